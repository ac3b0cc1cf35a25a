package advertiser_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/advertiser/advertisertest"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/sysctl"
)

// slack is what a test allows the scheduler's timer beyond an RFC 4861
// bound, on a loaded machine.
const slack = 750 * time.Millisecond

// loopInterface is a configuration whose unsolicited RAs come fast: the
// scheduler takes intervals as given (validation would refuse these).
func loopInterface(dns string) config.Interface {
	return config.Interface{
		Name:           "lab0",
		RouterLifetime: 1800 * time.Second,
		MinInterval:    advertiser.MinDelayBetweenRAs,
		MaxInterval:    advertiser.MinDelayBetweenRAs + time.Second,
		RDNSS:          []config.RDNSS{{Servers: []netip.Addr{netip.MustParseAddr(dns)}, Lifetime: 1800 * time.Second}},
	}
}

// loop is one advertiser running on a fake link.
type loop struct {
	a      *advertiser.Advertiser
	link   *advertisertest.Link
	dialer *advertisertest.Dialer
	fs     *sysctl.FS
	cancel context.CancelFunc
	done   chan error
}

// startLoop runs an advertiser for ifc on a usable fake link of index 7.
func startLoop(t *testing.T, ifc config.Interface) *loop {
	t.Helper()
	l := &loop{
		link:   advertisertest.NewLink(advertisertest.Usable(7)),
		dialer: &advertisertest.Dialer{},
		fs:     advertisertest.Sysctls(t, ifc.Name),
		done:   make(chan error, 1),
	}
	l.a = advertiser.New(ifc, advertiser.Options{Sysctl: l.fs, Watch: l.link.Watch, Dial: l.dialer.Dial})
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.done <- l.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

// stop cancels Run and returns its error.
func (l *loop) stop(t *testing.T) error {
	t.Helper()
	l.cancel()
	select {
	case err := <-l.done:
		l.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// sysctls returns the router sysctls of name.
func sysctls(t *testing.T, fs *sysctl.FS, name string) string {
	t.Helper()
	var s string
	for _, k := range sysctl.RouterSettings {
		v, err := fs.Get(name, k.Key)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("%s=%s ", k.Key, v)
	}
	return s
}

// waitState waits until the advertiser's status has state and reason.
func waitState(t *testing.T, a *advertiser.Advertiser, state, reason string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := a.Status()
		if st.State == state && st.Reason == reason {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %q (%q), want %q (%q)", st.State, st.Reason, state, reason)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var allNodes = netip.IPv6LinkLocalAllNodes()

// TestLoopUnsolicitedAndShutdown runs the whole advertiser on a fake
// link: the sysctls are turned off while it advertises, the first initial
// RA goes out at once, the next after MinInterval..MaxInterval, and on
// shutdown three final RAs (router lifetime 0) go out 250 ms apart
// before the sysctls are restored and the socket closed.
func TestLoopUnsolicitedAndShutdown(t *testing.T) {
	t.Parallel()
	ifc := loopInterface("2001:db8::53")
	l := startLoop(t, ifc)
	c := l.dialer.WaitConn(t, 1, 5*time.Second)
	if c.Link.Index != 7 {
		t.Errorf("dialled link index %d, want 7", c.Link.Index)
	}
	first := advertisertest.NextRA(t, c, slack)
	waitState(t, l.a, "advertising", "")
	if got := sysctls(t, l.fs, ifc.Name); got != "accept_ra=0 autoconf=0 " {
		t.Errorf("sysctls while advertising: %s", got)
	}
	second := advertisertest.NextRA(t, c, ifc.MaxInterval+slack)
	gap := second.At.Sub(first.At)
	if gap < ifc.MinInterval-slack {
		t.Errorf("second initial RA %v after the first, want at least %v", gap, ifc.MinInterval)
	}
	for _, r := range []advertisertest.SentRA{first, second} {
		if r.Addr != allNodes || r.RA.RouterLifetime != ifc.RouterLifetime {
			t.Errorf("RA to %v with router lifetime %v, want to %v with %v", r.Addr, r.RA.RouterLifetime, allNodes, ifc.RouterLifetime)
		}
	}
	if diff := cmp.Diff(map[string]time.Duration{"2001:db8::53": 1800 * time.Second}, first.RDNSS()); diff != "" {
		t.Errorf("RDNSS (-want +got):\n%s", diff)
	}

	if err := l.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	var finals []time.Time
	for len(c.Sent) > 0 {
		r := advertisertest.NextRA(t, c, time.Second)
		if r.RA.RouterLifetime != 0 || r.Addr != allNodes {
			t.Errorf("final RA to %v with router lifetime %v, want to %v with 0", r.Addr, r.RA.RouterLifetime, allNodes)
		}
		finals = append(finals, r.At)
	}
	if len(finals) != advertiser.MaxFinalRtrAdvertisements {
		t.Fatalf("%d final RAs, want %d", len(finals), advertiser.MaxFinalRtrAdvertisements)
	}
	if gap := finals[1].Sub(finals[0]); gap < advertiser.DefaultFinalSpacing {
		t.Errorf("final RAs %v apart, want %v", gap, advertiser.DefaultFinalSpacing)
	}
	if got := sysctls(t, l.fs, ifc.Name); got != "accept_ra=1 autoconf=1 " {
		t.Errorf("sysctls after shutdown: %s", got)
	}
	select {
	case <-c.Closed():
	default:
		t.Error("the NDP socket is still open after Run returned")
	}
	if got := l.a.Status().State; got != "stopped" {
		t.Errorf("state after Run = %q, want stopped", got)
	}
}

// TestLoopSolicited checks the receive side: a valid RS gets a unicast
// answer (unicast_solicited) within MAX_RA_DELAY_TIME; a second one from
// the same source within MIN_DELAY_BETWEEN_RAS gets no second unicast
// answer (per-source rate) but the rate-limited multicast one, no sooner
// than MIN_DELAY_BETWEEN_RAS after the last multicast RA; an invalid one
// (hop limit not 255) is counted and not answered.
func TestLoopSolicited(t *testing.T) {
	t.Parallel()
	ifc := loopInterface("2001:db8::53")
	ifc.MinInterval, ifc.MaxInterval = 200*time.Second, 600*time.Second
	ifc.UnicastSolicited = true
	l := startLoop(t, ifc)
	c := l.dialer.WaitConn(t, 1, 5*time.Second)
	first := advertisertest.NextRA(t, c, slack)
	host := netip.MustParseAddr("fe80::99")
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 0x99}

	c.Receive(advertisertest.RS(mac), 255, host)
	if r := advertisertest.NextRA(t, c, advertiser.MaxRADelayTime+slack); r.Addr != host {
		t.Errorf("answer to %v, want unicast to %v", r.Addr, host)
	}
	c.Receive(advertisertest.RS(mac), 255, host)
	c.Receive(advertisertest.RS(mac), 64, host)
	r := advertisertest.NextRA(t, c, advertiser.MinDelayBetweenRAs+advertiser.MaxRADelayTime+slack)
	if r.Addr != allNodes {
		t.Errorf("answer to the second RS to %v, want %v", r.Addr, allNodes)
	}
	if gap := r.At.Sub(first.At); gap < advertiser.MinDelayBetweenRAs {
		t.Errorf("multicast answer %v after the last multicast RA, want at least %v", gap, advertiser.MinDelayBetweenRAs)
	}
	advertisertest.NoRA(t, c, advertiser.MaxRADelayTime+slack)

	got := l.a.Status().Counters
	want := advertiser.Counters{
		RSReceived: 2,
		Sent:       map[string]uint64{"initial": 1, "solicited-unicast": 1, "solicited-multicast": 1},
		Invalid:    map[string]uint64{"hop-limit": 1},
		Suppressed: map[string]uint64{advertiser.ReasonPerSource: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

// TestLoopReload checks that a reload goes out at once, as soon as
// MIN_DELAY_BETWEEN_RAS allows, and withdraws what the old configuration
// announced (old RDNSS with lifetime 0) besides announcing the new.
func TestLoopReload(t *testing.T) {
	t.Parallel()
	ifc := loopInterface("2001:db8::53")
	ifc.MinInterval, ifc.MaxInterval = 200*time.Second, 600*time.Second
	l := startLoop(t, ifc)
	c := l.dialer.WaitConn(t, 1, 5*time.Second)
	first := advertisertest.NextRA(t, c, slack)
	l.a.Reload(loopInterface("2001:db8::54"))
	r := advertisertest.NextRA(t, c, advertiser.MinDelayBetweenRAs+slack)
	if gap := r.At.Sub(first.At); gap < advertiser.MinDelayBetweenRAs {
		t.Errorf("reload RA %v after the last one, want at least %v", gap, advertiser.MinDelayBetweenRAs)
	}
	want := map[string]time.Duration{"2001:db8::53": 0, "2001:db8::54": 1800 * time.Second}
	if diff := cmp.Diff(want, r.RDNSS()); diff != "" {
		t.Errorf("RDNSS of the reload RA (-want +got):\n%s", diff)
	}
	if r.Addr != allNodes {
		t.Errorf("reload RA to %v, want %v", r.Addr, allNodes)
	}
}

// TestLoopLinkGoneAndBack checks that the advertiser lets go of a link
// that goes away (socket closed, sysctls restored, "waiting") and binds a
// new socket to the new incarnation (a new index) when it comes back,
// starting over with an initial RA; and that a socket that fails (ENODEV)
// is opened again.
func TestLoopLinkGoneAndBack(t *testing.T) {
	t.Parallel()
	ifc := loopInterface("2001:db8::53")
	ifc.MinInterval, ifc.MaxInterval = 200*time.Second, 600*time.Second
	l := startLoop(t, ifc)
	c1 := l.dialer.WaitConn(t, 1, 5*time.Second)
	advertisertest.NextRA(t, c1, slack)

	l.link.Set(advertisertest.Gone)
	waitState(t, l.a, "waiting", advertisertest.Gone.Reason)
	select {
	case <-c1.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("the socket of the vanished link is still open")
	}
	if got := sysctls(t, l.fs, ifc.Name); got != "accept_ra=1 autoconf=1 " {
		t.Errorf("sysctls while waiting: %s", got)
	}

	l.link.Set(advertisertest.Usable(8))
	c2 := l.dialer.WaitConn(t, 2, 5*time.Second)
	if c2.Link.Index != 8 {
		t.Errorf("dialled link index %d after the link came back, want 8", c2.Link.Index)
	}
	if r := advertisertest.NextRA(t, c2, advertiser.MinDelayBetweenRAs+slack); r.Addr != allNodes {
		t.Errorf("first RA on the new link to %v, want %v", r.Addr, allNodes)
	}

	c2.Fail(fmt.Errorf("read: %w", syscall.ENODEV))
	c3 := l.dialer.WaitConn(t, 3, 5*time.Second)
	if r := advertisertest.NextRA(t, c3, advertiser.MinDelayBetweenRAs+slack); r.Addr != allNodes {
		t.Errorf("first RA on the new socket to %v, want %v", r.Addr, allNodes)
	}
	// The counter follows the write.
	deadline := time.Now().Add(5 * time.Second)
	for l.a.Status().Counters.Sent["initial"] != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d initial RAs, want 3 (one per socket)", l.a.Status().Counters.Sent["initial"])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLoopDial checks that a socket that cannot be opened yet (address
// not bindable) is retried, and that a permission error stops Run with
// ErrPermission.
func TestLoopDial(t *testing.T) {
	t.Parallel()
	t.Run("retry", func(t *testing.T) {
		ifc := loopInterface("2001:db8::53")
		fails := 2
		l := &advertisertest.Dialer{Err: func(advertiser.LinkState) error {
			if fails > 0 {
				fails--
				return syscall.EADDRNOTAVAIL
			}
			return nil
		}}
		a := advertiser.New(ifc, advertiser.Options{Sysctl: advertisertest.Sysctls(t, ifc.Name),
			Watch: advertisertest.NewLink(advertisertest.Usable(7)).Watch, Dial: l.Dial})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		c := l.WaitConn(t, 1, 5*time.Second)
		advertisertest.NextRA(t, c, slack)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
	t.Run("permission", func(t *testing.T) {
		ifc := loopInterface("2001:db8::53")
		l := &advertisertest.Dialer{Err: func(advertiser.LinkState) error { return fmt.Errorf("listen: %w", os.ErrPermission) }}
		a := advertiser.New(ifc, advertiser.Options{Sysctl: advertisertest.Sysctls(t, ifc.Name),
			Watch: advertisertest.NewLink(advertisertest.Usable(7)).Watch, Dial: l.Dial})
		done := make(chan error, 1)
		go func() { done <- a.Run(context.Background()) }()
		select {
		case err := <-done:
			if !errors.Is(err, advertiser.ErrPermission) {
				t.Errorf("Run = %v, want ErrPermission", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop on a permission error")
		}
	})
}
