package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/liveobserve"
	"golang.org/x/sys/unix"
)

// ErrObserveDir reports an [interface.observe] dir that is not a
// directory.
var ErrObserveDir = errors.New("not a directory")

// observer is the conformance observer of one served interface
// ([interface.observe]). The advertiser's goroutine starts it once an
// earlier instance of the interface has stopped, so p is nil until then,
// and whenever the observer is disabled or failed to start; the
// advertiser's callbacks read it.
type observer struct {
	p atomic.Pointer[liveobserve.Observer]
	// cfg is the [interface.observe] table it was started with; changes
	// need a restart.
	cfg config.Observe
}

// onSent tells the observer about an RA the advertiser meant to send. Wire
// RAs are told only when no meant RA precedes them (replays and the fake
// second router, field guide F2 and F15); fragments (F13) are not RAs.
func (o *observer) onSent(s advertiser.Sent) {
	obs := o.p.Load()
	if obs == nil || s.Fragment {
		return
	}
	if s.Wire && s.Kind != impair.KindReplay.String() && s.Kind != advertiser.KindSecondRouter {
		return
	}
	obs.NoteRA(s.At, s.Kind, s.Dst, s.Src, s.Bytes)
}

// onReply tells the observer about a DHCPv6 answer the server built, even
// one an impairment then drops (F9), so the report can tell "sent, lost
// on the way" from "never answered".
func (o *observer) onReply(at time.Time, to netip.AddrPort, msg []byte) {
	if obs := o.p.Load(); obs != nil {
		obs.NoteDHCPv6Reply(at, to.Addr().WithZone(""), msg)
	}
}

// onEffect tells the observer what an impairment did.
func (o *observer) onEffect(e impair.Effect) {
	if obs := o.p.Load(); obs != nil {
		obs.NoteEffect(e)
	}
}

// prepareObserveDir makes sure the observer can write to dir: it creates
// a missing directory (mode 0750, with its parents) and writes and
// removes a file in it.
func prepareObserveDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("observe.dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".ralab-write-test-*")
	if err != nil {
		return fmt.Errorf("observe.dir %s is not writable: %w", dir, err)
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// ObserveDirProblem returns why the observer could not use dir, without
// changing anything: dir, or its nearest existing parent when it is
// missing, must be a directory this process may write to. ralab check
// reports it as a warning, since serve only runs without the observer.
func ObserveDirProblem(dir string) error {
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case (errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR)) && filepath.Dir(p) != p:
			p = filepath.Dir(p)
			continue
		case err != nil:
			return err
		case !fi.IsDir():
			return fmt.Errorf("%s: %w", p, ErrObserveDir)
		}
		if err := unix.Access(p, unix.W_OK|unix.X_OK); err != nil {
			what := "create " + dir + " in"
			if p == filepath.Clean(dir) {
				what = "write to"
			}
			return fmt.Errorf("cannot %s %s: %w", what, p, err)
		}
		return nil
	}
}

// startObserver starts the observer of ifc when enabled. It runs until
// stopObserver, not until ctx ends, so that it captures the final RAs. A
// directory it cannot create or write is logged; the interface keeps
// advertising without an observer, as it does whenever the observer
// fails.
func (s *Supervisor) startObserver(ctx context.Context, so *observer, ifc config.Interface) {
	if !ifc.Observe.Enabled {
		return
	}
	running := s.sm.observer.WithLabelValues(ifc.Name)
	running.Set(0)
	if err := prepareObserveDir(ifc.Observe.Dir); err != nil {
		s.log.Error("observer not started; serving without it", "interface", ifc.Name, "err", err)
		return
	}
	c := liveobserve.FromConfig(ifc, s.log)
	c.Metrics = s.om
	c.Generator = s.gen
	obs, err := liveobserve.Start(context.WithoutCancel(ctx), c)
	if err != nil {
		s.log.Error("observer not started; serving without it", "interface", ifc.Name, "err", err)
		return
	}
	so.p.Store(obs)
	running.Set(1)
}

// stopObserver completes the pcapng file and writes the final reports.
func (s *Supervisor) stopObserver(name string, so *observer) {
	defer s.sm.observer.DeleteLabelValues(name)
	obs := so.p.Load()
	if obs == nil {
		return
	}
	r, err := obs.Close()
	if err != nil {
		s.log.Error("observer: writing the final capture and reports", "interface", name, "err", err)
		return
	}
	s.log.Info("observer: final capture and reports written", "interface", name, "dir", so.cfg.Dir,
		"clients", len(r.Clients), "dns_ok", r.Summary.DNSOK, "dns_lost", r.Summary.DNSLost,
		"no_dns", r.Summary.NoDNS, "inconclusive", r.Summary.Inconclusive)
}

// Observed returns the interfaces whose observer runs, for the index of
// the live reports.
func (s *Supervisor) Observed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name, si := range s.ifcs {
		if si.obs.p.Load() != nil {
			names = append(names, name)
		}
	}
	return names
}

// ServeReport serves GET /report/{interface}: the live report of that
// interface's observer (liveobserve.Observer.ServeHTTP).
func (s *Supervisor) ServeReport(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("interface")
	s.mu.Lock()
	si, ok := s.ifcs[name]
	s.mu.Unlock()
	var obs *liveobserve.Observer
	if ok {
		obs = si.obs.p.Load()
	}
	if obs == nil {
		http.Error(w, fmt.Sprintf("no observer runs on interface %q", name), http.StatusNotFound)
		return
	}
	obs.ServeHTTP(w, r)
}
