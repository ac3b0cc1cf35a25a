package advertiser

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// floodEnv makes the re-executed test binary send that many RS from the
// client interface's link-local address, spread evenly over floodSpread.
const (
	floodEnv    = "RALAB_ADVERTISER_FLOOD"
	floodSpread = 6 * time.Second
)

// TestHelperFlood is not a test: TestNamespaceFlood runs the test binary
// with this test selected in the client namespace to send an RS flood.
func TestHelperFlood(t *testing.T) {
	spec := os.Getenv(floodEnv)
	if spec == "" {
		// Not started as a helper process: nothing to do (no Skip, which
		// CI would count as a failure).
		return
	}
	n, err := strconv.Atoi(spec)
	if err != nil {
		t.Fatalf("bad %s %q: %v", floodEnv, spec, err)
	}
	ifi, err := net.InterfaceByName(netlab.HostIfName)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := ndp.Listen(ifi, ndp.LinkLocal)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst := netip.MustParseAddr("ff02::2")
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(floodSpread * time.Duration(i) / time.Duration(n))); d > 0 {
			time.Sleep(d)
		}
		if err := c.WriteTo(&ndp.RouterSolicitation{}, nil, dst); err != nil {
			t.Fatalf("RS %d: %v", i, err)
		}
	}
}

// TestNamespaceFlood floods the advertiser with RS from one source, first
// with unicast answers, then (after a reload) with multicast answers, and
// checks on the wire that it sends at most one unicast RA per
// MIN_DELAY_BETWEEN_RAS to that source and keeps multicast RAs at least
// MIN_DELAY_BETWEEN_RAS apart.
func TestNamespaceFlood(t *testing.T) {
	requireIntegration(t, "tcpdump")
	l := netlabtest.New(t)
	rtr, cli := l.Router(), l.Host(t, "c1", "02:00:00:00:02:01")
	td := startPcap(t, cli, "icmp6")
	pcap := td.Path()
	ifc := config.Interface{
		Name:             rtr.IfName,
		RouterLifetime:   1800 * time.Second,
		MinInterval:      200 * time.Second,
		MaxInterval:      600 * time.Second,
		UnicastSolicited: true,
	}
	multicastOnly := ifc
	multicastOnly.UnicastSolicited = false
	helper := startAdvertiser(t, rtr, helperEnv+"="+mustJSON(t, ifc), helperReloadEnv+"="+mustJSON(t, multicastOnly))
	netlabtest.WaitFor(t, "the first RA", 30*time.Second, func() bool { return len(readRAs(t, pcap)) > 0 })

	// flood sends n RS and returns the RAs captured within window of the
	// start, split by destination.
	flood := func(t *testing.T, window time.Duration) (unicast, multicast []time.Time) {
		const n = 10000
		start := time.Now()
		f := cli.Command(t.Context(), os.Args[0], "-test.run=^TestHelperFlood$")
		f.Env = append(os.Environ(), floodEnv+"="+strconv.Itoa(n))
		if out, err := f.CombinedOutput(); err != nil {
			t.Fatalf("flood: %v\n%s", err, out)
		}
		t.Logf("sent %d RS in %v", n, time.Since(start))
		time.Sleep(window - time.Since(start))
		for _, r := range readRAs(t, pcap) {
			if r.At.Before(start) || r.At.After(start.Add(window)) {
				continue
			}
			if r.Dst.IsMulticast() {
				multicast = append(multicast, r.At)
			} else {
				unicast = append(unicast, r.At)
			}
		}
		t.Logf("in %v from the flood's start: %d unicast RAs, %d multicast RAs", window, len(unicast), len(multicast))
		return unicast, multicast
	}
	// Capture timestamps differ from the sender's clock by a few ms.
	const slack = 20 * time.Millisecond
	spaced := func(t *testing.T, ts []time.Time) {
		for i := 1; i < len(ts); i++ {
			if g := ts[i].Sub(ts[i-1]); g < MinDelayBetweenRAs-slack {
				t.Errorf("RAs %v apart, want at least %v", g, MinDelayBetweenRAs)
			}
		}
	}
	const window = 7 * time.Second

	t.Run("unicast", func(t *testing.T) {
		unicast, multicast := flood(t, window)
		if limit := int(window/MinDelayBetweenRAs) + 1; len(unicast) == 0 || len(unicast) > limit {
			t.Errorf("%d unicast RAs to one source in %v, want 1..%d", len(unicast), window, limit)
		}
		spaced(t, unicast)
		spaced(t, multicast)
	})

	t.Run("multicast", func(t *testing.T) {
		hup := time.Now()
		if err := helper.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// Flood once the reload RA shows the new configuration is in use.
		netlabtest.WaitFor(t, "the reload RA", 30*time.Second, func() bool {
			for _, r := range readRAs(t, pcap) {
				if r.At.After(hup) && r.Dst.IsMulticast() {
					return true
				}
			}
			return false
		})
		unicast, multicast := flood(t, window)
		if len(unicast) != 0 {
			t.Errorf("%d unicast RAs with unicast answers off", len(unicast))
		}
		// At least one: on a loaded machine the kernel may drop part of
		// the flood, so the lower bound is loose; the upper one is the point.
		if limit := int(window/MinDelayBetweenRAs) + 1; len(multicast) == 0 || len(multicast) > limit {
			t.Errorf("%d multicast RAs in %v, want 1..%d", len(multicast), window, limit)
		}
		spaced(t, multicast)
	})

	if err := helper.Stop(); err != nil {
		t.Errorf("stopping the advertiser: %v", err)
	}
	if _, err := td.Stop(); err != nil {
		t.Errorf("stopping the capture: %v", err)
	}
	t.Logf("advertiser counters: %s", lastLine(processOutput(helper), "helper: Run returned"))
}

// lastLine returns the last line of s that contains sub, from sub on, or
// "" when none does.
func lastLine(s, sub string) string {
	j := strings.LastIndex(s, sub)
	if j < 0 {
		return ""
	}
	line, _, _ := strings.Cut(s[j:], "\n")
	return line
}
