package liveobserve

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"github.com/ralab/ralab/internal/scenario"
)

// sampled is one client's resolver, read every sampleEvery.
type sampled struct {
	inst  *labclient.Instance
	mu    sync.Mutex
	times []time.Time
	held  []bool
}

const sampleEvery = 250 * time.Millisecond

// TestLiveReportOutages runs "ralab serve" with the observer on and each
// of the shipped F1, F2 and F5 scenarios (in parallel, one lab each)
// against rdnssd, dhcpcd and systemd-networkd, reads each client's
// resolver four times a second, and requires the live report that serve
// keeps writing to say dns-lost, with recovered, for every client whose
// resolver lost DNS for longer than the grace, and dns-ok for one that
// never did.
func TestLiveReportOutages(t *testing.T) {
	for _, name := range []string{"F1-ra-throttle", "F2-ra-replay", "F5-rdnss-lifetime"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := scenarios.Files.ReadFile(name + ".toml")
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Parse(name+".toml", b)
			if err != nil {
				t.Fatal(err)
			}
			liveOutages(t, name, sc.Duration)
		})
	}
}

// liveOutages runs built-in scenario name, of the given duration, and
// compares the live report with the clients' resolvers.
func liveOutages(t *testing.T, name string, duration time.Duration) {
	lab := netlabtest.New(t)
	ctx := t.Context()
	dir := t.TempDir()
	cfg := filepath.Join(lab.Router().Dir(), "ralab.toml")
	// The server is off-link, so the clients' queries go to the router
	// and are on the wire (an on-link one would only be looked up).
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `
[[interface]]
name = %q
[[interface.prefix]]
prefix = "2001:db8:1::/64"
[[interface.rdnss]]
servers = ["2001:db8:53::53"]
[interface.observe]
enabled = true
dir = %q
report_every = "1s"
`, lab.Router().IfName, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	srv, err := lab.Router().Start(ctx, "ralab", netlabtest.RalabBinary(t), "serve", "-c", cfg, "--scenario", name, "--scenario-hold")
	if err != nil {
		t.Fatal(err)
	}
	clients := startOutageClients(t, lab)
	// Past the scenario's end, where ralab serves the configuration
	// again, so that the clients that lost DNS are seen to recover.
	sampleUntil(ctx, t, clients, begin.Add(duration+6*time.Second))
	// The report file is rewritten every second: wait for one written
	// after the last sample.
	time.Sleep(2500 * time.Millisecond)
	rep := readLiveReport(t, filepath.Join(dir, lab.Router().IfName+".report.json"))
	// One more sample after the report was read, so that the samples
	// cover every packet the report saw: an RA that ended an outage just
	// before the report was written must be seen applied too (a loaded
	// machine may take a moment to run a client's resolver hook).
	for _, s := range clients {
		s.sample(time.Now())
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("stopping ralab serve: %v", err)
	}
	grace := time.Duration(rep.OutageGraceSeconds * float64(time.Second))
	lost := 0
	for _, s := range clients {
		lost += checkLiveClient(t, rep, s, grace)
	}
	if lost == 0 {
		t.Error("no client's resolver lost DNS: the scenario did not bite, so the test shows nothing")
	}
}

// startOutageClients starts rdnssd, dhcpcd and networkd, each on a host.
func startOutageClients(t *testing.T, lab *netlabtest.Lab) []*sampled {
	t.Helper()
	var out []*sampled
	for i, c := range []*labclient.Client{labclient.RDNSSD(), labclient.DHCPCD(), labclient.Networkd()} {
		if err := c.Available(); err != nil {
			netlabtest.SkipOrFail(t, err.Error())
		}
		h := lab.Host(t, "c"+c.Name, fmt.Sprintf("02:00:00:00:02:%02x", i+1))
		inst, err := c.Start(t.Context(), h, h.IfName)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &sampled{inst: inst})
	}
	return out
}

// sampleUntil reads every client's resolver until end and has each query
// the servers it holds once a second, so that the observer sees them used.
func sampleUntil(ctx context.Context, t *testing.T, clients []*sampled, end time.Time) {
	t.Helper()
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	var digs sync.WaitGroup
	defer digs.Wait()
	lastDig := time.Time{}
	for now := time.Now(); now.Before(end); now = <-tick.C {
		dig := now.Sub(lastDig) >= time.Second-sampleEvery/4
		if dig {
			lastDig = now
		}
		for _, s := range clients {
			addrs := s.sample(now)
			if dig && len(addrs) > 0 {
				h := s.inst.Host
				digs.Go(func() { queryServers(ctx, h, addrs) })
			}
		}
	}
}

// sample records whether the client's resolver holds DNS servers now, and
// returns them.
func (s *sampled) sample(now time.Time) []netip.Addr {
	res, err := s.inst.Resolver()
	addrs := res.Addrs()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times = append(s.times, now)
	s.held = append(s.held, err == nil && len(addrs) > 0)
	return addrs
}

// queryServers has host h query each server once.
func queryServers(ctx context.Context, h *netlab.Host, servers []netip.Addr) {
	for _, a := range servers {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _ = h.Run(dctx, "dig", "+tries=1", "+time=1", "@"+a.String(), "www.lab.example", "AAAA") // Unanswered is fine.
		cancel()
	}
}

func readLiveReport(t *testing.T, path string) *conformance.Report {
	t.Helper()
	r, err := readReport(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// losses counts the spans, after the client first held DNS, in which its
// resolver held none for at least grace (from the last sample holding
// servers to the next), and says whether it holds DNS at the last sample.
func (s *sampled) losses(grace time.Duration) (n int, first bool, holdsAtEnd bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lastHeld := -1
	for i, h := range s.held {
		if !h {
			continue
		}
		if lastHeld >= 0 && i > lastHeld+1 && s.times[i].Sub(s.times[lastHeld]) >= grace+sampleEvery {
			n++
		}
		lastHeld = i
	}
	end := len(s.held) - 1
	if lastHeld >= 0 && lastHeld < end && s.times[end].Sub(s.times[lastHeld]) >= grace+sampleEvery {
		n++
	}
	return n, lastHeld >= 0, end >= 0 && s.held[end]
}

// checkLiveClient compares one client's live verdict with its resolver,
// and returns 1 if the resolver lost DNS.
func checkLiveClient(t *testing.T, rep *conformance.Report, s *sampled, grace time.Duration) int {
	t.Helper()
	mac := s.inst.Host.MAC.String()
	i := slices.IndexFunc(rep.Clients, func(c conformance.Client) bool { return c.MAC == mac })
	if i < 0 {
		t.Errorf("%s (%s) is not in the live report", s.inst.Client.Name, mac)
		return 0
	}
	c := rep.Clients[i]
	n, had, holds := s.losses(grace)
	t.Logf("%s: resolver lost DNS %d time(s), holds at the end %v; live report %s recovered=%v outages=%d: %s",
		s.inst.Client.Name, n, holds, c.Verdict, c.Recovered, c.OutageStats.Count, c.Reason)
	switch {
	case !had:
		t.Errorf("%s never held DNS", s.inst.Client.Name)
	case n > 0 && (c.Verdict != conformance.VerdictDNSLost || c.Recovered != holds):
		t.Errorf("%s lost DNS %d time(s) and holds it at the end: %v, but the live report says %s (recovered %v)",
			s.inst.Client.Name, n, holds, c.Verdict, c.Recovered)
	case n == 0 && c.Verdict != conformance.VerdictDNSOK:
		t.Errorf("%s never lost DNS for the grace, but the live report says %s", s.inst.Client.Name, c.Verdict)
	}
	if n > 0 {
		return 1
	}
	return 0
}
