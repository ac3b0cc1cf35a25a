package advertiser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// helperEnv carries the JSON configuration to the re-executed test binary
// that runs the advertiser inside the router namespace; helperReloadEnv
// the configuration it reloads on SIGHUP.
// helperImpairEnv carries [impairment.NAME] tables (TOML) to apply
// from the start.
const (
	helperEnv       = "RALAB_ADVERTISER_HELPER_CONFIG"
	helperReloadEnv = "RALAB_ADVERTISER_HELPER_RELOAD"
	helperImpairEnv = "RALAB_ADVERTISER_HELPER_IMPAIR"
)

// TestHelperAdvertiser is not a test: the integration test runs the test
// binary with this test selected under "ip netns exec", so that the whole
// process (netlink, raw sockets, /proc/sys) lives in the router namespace.
func TestHelperAdvertiser(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		// Not started as a helper process: nothing to do (no Skip, which
		// CI would count as a failure).
		return
	}
	var ifc config.Interface
	if err := json.Unmarshal([]byte(raw), &ifc); err != nil {
		t.Fatalf("bad helper config: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := New(ifc, Options{Logger: log})
	if raw := os.Getenv(helperImpairEnv); raw != "" {
		set, err := helperImpairments(raw)
		if err != nil {
			t.Fatalf("bad helper impairments: %v", err)
		}
		a.SetImpairments(set)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			var next config.Interface
			if err := json.Unmarshal([]byte(os.Getenv(helperReloadEnv)), &next); err != nil {
				log.Error("bad reload config", "err", err)
				continue
			}
			a.Reload(next)
		}
	}()
	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	fmt.Fprintf(os.Stderr, "helper: Run returned after cancel: %+v\n", a.Status().Counters)
}

// helperImpairments builds a Set from [impairment.NAME] tables, in name
// order.
func helperImpairments(doc string) (*impair.Set, error) {
	var f struct{ Impairment map[string]map[string]any }
	if _, err := toml.Decode(doc, &f); err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(f.Impairment))
	var specs []impair.Spec
	for _, n := range names {
		sp, err := impair.NewSpec(n, f.Impairment[n])
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	return impair.NewSet(time.Now(), nil, specs...), nil
}

// rdnssServers returns the RDNSS servers of m with their lifetimes.
func rdnssServers(m *ndp.RouterAdvertisement) map[netip.Addr]time.Duration {
	out := map[netip.Addr]time.Duration{}
	for _, o := range m.Options {
		if r, ok := o.(*ndp.RecursiveDNSServer); ok {
			for _, a := range r.Servers {
				out[a] = r.Lifetime
			}
		}
	}
	return out
}

// TestNamespace runs the advertiser in a router namespace and checks, from
// a client namespace, that a solicitation is answered within
// MAX_RA_DELAY_TIME, that a reload withdraws what was removed at once,
// that link down/up brings the fast initial RAs back, and that shutdown
// sends final RAs with router lifetime 0 and restores the router's
// sysctls.
func TestNamespace(t *testing.T) {
	requireIntegration(t, "rdisc6", "tcpdump")
	l := netlabtest.New(t)
	rtr, cli := l.Router(), l.Host(t, "c1", "02:00:00:00:02:01")
	td := startPcap(t, cli, "icmp6")
	pcap := td.Path()

	dns1, dns2 := netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54")
	ifc := config.Interface{
		Name:             rtr.IfName,
		OtherConfig:      true,
		HopLimit:         64,
		RouterLifetime:   1800 * time.Second,
		MinInterval:      30 * time.Second,
		MaxInterval:      60 * time.Second,
		UnicastSolicited: true,
		SourceLLA:        true,
		RDNSS:            []config.RDNSS{{Servers: []netip.Addr{dns1}, Lifetime: 180 * time.Second}},
		WithdrawOnStop:   true,
	}
	next := ifc
	next.RDNSS = []config.RDNSS{{Servers: []netip.Addr{dns2}, Lifetime: 180 * time.Second}}
	helper := startAdvertiser(t, rtr, helperEnv+"="+mustJSON(t, ifc), helperReloadEnv+"="+mustJSON(t, next))

	netlabtest.WaitFor(t, "the first RA", 30*time.Second, func() bool { return len(readRAs(t, pcap)) > 0 })
	accept := func() string {
		out, err := rtr.Run(t.Context(), "cat", "/proc/sys/net/ipv6/conf/"+rtr.IfName+"/accept_ra")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := accept(); got != "0" {
		t.Errorf("router accept_ra while advertising = %s, want 0", got)
	}

	// Right after the first RA, so that the reload RA must wait for
	// MIN_DELAY_BETWEEN_RAS.
	t.Run("reload", func(t *testing.T) {
		var lastMC time.Time
		for _, r := range readRAs(t, pcap) {
			if r.Dst.IsMulticast() {
				lastMC = r.At
			}
		}
		hup := time.Now()
		if err := helper.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		var got *capturedRA
		netlabtest.WaitFor(t, "the reload RA", 30*time.Second, func() bool {
			for _, r := range readRAs(t, pcap) {
				if r.At.After(hup) && r.Dst.IsMulticast() {
					got = &r
					return true
				}
			}
			return false
		})
		earliest := hup
		if e := lastMC.Add(MinDelayBetweenRAs); e.After(hup) {
			earliest = e
		}
		t.Logf("SIGHUP %v after the last multicast RA; reload RA %v after SIGHUP", hup.Sub(lastMC), got.At.Sub(hup))
		if got.At.Before(lastMC.Add(MinDelayBetweenRAs - 10*time.Millisecond)) {
			t.Errorf("reload RA %v after the previous multicast RA, want at least %v", got.At.Sub(lastMC), MinDelayBetweenRAs)
		}
		if late := got.At.Sub(earliest); late > schedSlack {
			t.Errorf("reload RA %v after the earliest allowed time, want at once", late)
		}
		want := map[netip.Addr]time.Duration{dns1: 0, dns2: 180 * time.Second}
		if diff := cmp.Diff(want, rdnssServers(got.Msg)); diff != "" {
			t.Errorf("reload RA RDNSS (-want +got):\n%s", diff)
		}
	})

	// The kernel's own RS at link-up was answered just now; the per-source
	// limit would suppress another from the same address for 3 s.
	time.Sleep(MinDelayBetweenRAs + 500*time.Millisecond)
	t.Run("solicited", func(t *testing.T) {
		before := time.Now()
		out, err := cli.Run(t.Context(), "rdisc6", "-1", "-r", "1", "-w", "1500", cli.IfName)
		if err != nil {
			t.Fatalf("rdisc6: %v\n%s", err, out)
		}
		// Judge the delay from capture timestamps, RS to RA.
		var rs, ra *capPacket
		netlabtest.WaitFor(t, "RS and RA in the capture", 10*time.Second, func() bool {
			pkts := readPackets(t, pcap)
			rs, ra = nil, nil
			for i := range pkts {
				p := &pkts[i]
				if p.At.Before(before.Add(-time.Second)) || len(p.ICMP) == 0 {
					continue
				}
				if p.ICMP[0] == 133 && rs == nil {
					rs = p
				}
				if p.ICMP[0] == 134 && rs != nil && ra == nil {
					ra = p
				}
			}
			return ra != nil
		})
		d := ra.At.Sub(rs.At)
		t.Logf("RS from %v to %v answered after %v, to %v", rs.Src, rs.Dst, d, ra.Dst)
		// MAX_RA_DELAY_TIME plus an allowance for a loaded machine's timer
		// and scheduling latency, which the protocol does not govern.
		if d < 0 || d > MaxRADelayTime+schedSlack {
			t.Errorf("RA %v after RS, want within %v (+%v slack)", d, MaxRADelayTime, schedSlack)
		}
		if ra.Dst != rs.Src {
			t.Errorf("answer went to %v, want unicast to %v (unicast-solicited)", ra.Dst, rs.Src)
		}
		if ra.HopLimit != 255 {
			t.Errorf("RA hop limit %d, want 255", ra.HopLimit)
		}
	})

	t.Run("link flap", func(t *testing.T) {
		if out, err := rtr.Run(t.Context(), "ip", "link", "set", rtr.IfName, "down"); err != nil {
			t.Fatalf("link down: %v: %s", err, out)
		}
		time.Sleep(time.Second)
		up := time.Now()
		if out, err := rtr.Run(t.Context(), "ip", "link", "set", rtr.IfName, "up"); err != nil {
			t.Fatalf("link up: %v: %s", err, out)
		}
		var after []capturedRA
		netlabtest.WaitFor(t, "two multicast RAs after link up", 60*time.Second, func() bool {
			after = nil
			for _, r := range readRAs(t, pcap) {
				if r.At.After(up) && r.Dst.IsMulticast() {
					after = append(after, r)
				}
			}
			return len(after) >= 2
		})
		// The first RA comes at once (the last multicast RA was long
		// ago), allowing for netlink and the carrier; the second within
		// MaxInitialRtrAdvertInterval, much sooner than MinInterval.
		t.Logf("first RA %v after link up, second %v later", after[0].At.Sub(up), after[1].At.Sub(after[0].At))
		if d := after[0].At.Sub(up); d > 5*time.Second {
			t.Errorf("first RA %v after link up, want promptly", d)
		}
		if g := after[1].At.Sub(after[0].At); g < MinDelayBetweenRAs || g > MaxInitialRtrAdvertInterval+schedSlack {
			t.Errorf("second RA %v after the first, want initial spacing within [%v, %v]", g, MinDelayBetweenRAs, MaxInitialRtrAdvertInterval)
		}
		want := map[netip.Addr]time.Duration{dns2: 180 * time.Second}
		if diff := cmp.Diff(want, rdnssServers(after[0].Msg)); diff != "" {
			t.Errorf("RDNSS after reload and flap (-want +got):\n%s", diff)
		}
	})

	t.Run("final", func(t *testing.T) {
		stop := time.Now()
		if err := helper.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := helper.Wait(ctx); errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("advertiser did not exit after SIGTERM")
		} else if err != nil {
			t.Fatalf("advertiser exited with %v", err)
		}
		t.Logf("shutdown took %v", time.Since(stop))
		if got := accept(); got != "1" {
			t.Errorf("router accept_ra after exit = %s, want 1 (restored)", got)
		}
		var final []capturedRA
		netlabtest.WaitFor(t, "final RAs in the capture", 10*time.Second, func() bool {
			final = nil
			for _, r := range readRAs(t, pcap) {
				if r.At.After(stop) {
					final = append(final, r)
				}
			}
			return len(final) >= MaxFinalRtrAdvertisements
		})
		if len(final) != MaxFinalRtrAdvertisements {
			t.Errorf("%d RAs after SIGTERM, want %d", len(final), MaxFinalRtrAdvertisements)
		}
		for i, r := range final {
			if r.Msg.RouterLifetime != 0 || !r.Dst.IsMulticast() {
				t.Errorf("final RA %d to %v router lifetime %v, want multicast with 0", i, r.Dst, r.Msg.RouterLifetime)
			}
			// WithdrawOnStop: RDNSS at lifetime 0.
			for a, lt := range rdnssServers(r.Msg) {
				if lt != 0 {
					t.Errorf("final RA %d RDNSS %v lifetime %v, want 0", i, a, lt)
				}
			}
		}
		if span := final[len(final)-1].At.Sub(final[0].At); span > time.Second {
			t.Errorf("final RAs spread over %v, want under 1 s", span)
		}
	})

	if _, err := td.Stop(); err != nil {
		t.Errorf("stopping the capture: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// toolPackage names the Debian package of each tool the integration
// tests need.
var toolPackage = map[string]string{"rdisc6": "ndisc6", "tcpdump": "tcpdump", "tshark": "tshark"}

// requireIntegration skips t in -short mode, and unless the lab and the
// tools can run (failing it instead under CI=true).
func requireIntegration(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		netlabtest.SkipOrFail(t, "integration test skipped in -short mode")
	}
	netlabtest.RequireLab(t)
	for _, tool := range tools {
		netlabtest.RequireTool(t, tool, toolPackage[tool])
	}
}

// routerLL is the link-local address of the lab router's bridge, from
// netlab.RouterMAC (modified EUI-64, RFC 4291 Appendix A).
var routerLL = netip.MustParseAddr("fe80::ff:fe00:100")

// startPcap starts tcpdump on h's link with the capture filter filter,
// failing t on error; the file can be read while it runs.
func startPcap(t *testing.T, h *netlab.Host, filter string) *netlab.Capture {
	t.Helper()
	c, err := h.StartPcap(t.Context(), "capture", filter)
	if err != nil {
		t.Fatalf("StartPcap: %v", err)
	}
	return c
}

// startAdvertiser runs the test binary as TestHelperAdvertiser in the
// router namespace with the extra environment env ("NAME=value"). It gets
// SIGTERM when the test ends; netlabtest logs the tail of its output if
// the test failed.
func startAdvertiser(t *testing.T, rtr *netlab.Host, env ...string) *netlab.Process {
	t.Helper()
	args := slices.Concat(env, []string{os.Args[0], "-test.run=^TestHelperAdvertiser$", "-test.v"})
	p, err := rtr.Start(t.Context(), "advertiser", "env", args...)
	if err != nil {
		t.Fatalf("starting the advertiser: %v", err)
	}
	return p
}

// processOutput returns what p wrote so far: its standard output, then
// its standard error.
func processOutput(p *netlab.Process) string {
	out, _ := os.ReadFile(p.Stdout)
	errOut, _ := os.ReadFile(p.Stderr)
	return string(out) + string(errOut)
}

// capPacket is one captured ICMPv6 message.
type capPacket struct {
	// At is the capture timestamp.
	At time.Time
	// Src and Dst are the IPv6 addresses.
	Src, Dst netip.Addr
	// HopLimit is the IPv6 hop limit.
	HopLimit uint8
	// ICMP is the ICMPv6 message from its type byte on.
	ICMP []byte
}

// readPackets returns the ICMPv6 messages directly in IPv6 in Ethernet (no
// extension headers) of the pcap file at path, which may still be being
// written.
func readPackets(t testing.TB, path string) []capPacket {
	t.Helper()
	frames, err := netlab.ReadPcap(path)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	const eth, ip6 = 14, 40
	var out []capPacket
	for _, f := range frames {
		d := f.Data
		if len(d) < eth+ip6 || d[12] != 0x86 || d[13] != 0xdd || d[eth+6] != 58 {
			continue
		}
		out = append(out, capPacket{
			At:       f.At,
			Src:      netip.AddrFrom16([16]byte(d[eth+8 : eth+24])),
			Dst:      netip.AddrFrom16([16]byte(d[eth+24 : eth+40])),
			HopLimit: d[eth+7],
			ICMP:     d[eth+ip6:],
		})
	}
	return out
}

// capturedRA is a captured, parsed Router Advertisement.
type capturedRA struct {
	capPacket
	// Msg is the parsed message.
	Msg *ndp.RouterAdvertisement
}

// readRAs returns the RAs of the capture at path; an RA that does not
// parse fails t.
func readRAs(t testing.TB, path string) []capturedRA {
	t.Helper()
	var out []capturedRA
	for _, p := range readPackets(t, path) {
		if len(p.ICMP) == 0 || p.ICMP[0] != 134 {
			continue
		}
		m, err := ndp.ParseMessage(p.ICMP)
		if err != nil {
			t.Errorf("RA at %v does not parse: %v", p.At, err)
			continue
		}
		out = append(out, capturedRA{capPacket: p, Msg: m.(*ndp.RouterAdvertisement)})
	}
	return out
}
