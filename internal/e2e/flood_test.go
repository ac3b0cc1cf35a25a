package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// floodConfig serves metrics on the router namespace's loopback and
// answers RS with unicast RAs. MaxRtrAdvInterval 6 s makes
// MinRtrAdvInterval 4.5 s (0.75 × max, RFC 4861 §6.2.1), so several
// periodic RAs fall in the flood.
const floodConfig = `
[http]
address = "[::1]:9430"

[[interface]]
name = "lab0"
max_interval = "6s"
unicast_solicited = true
source_lla = true

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"

  [[interface.rdnss]]
  servers = ["2001:db8:1::53"]
`

// Flood parameters: 10,000 RS spread evenly over 5 s, 2,000 a
// second, from one host.
const (
	floodCount  = 10000
	floodSpread = 5 * time.Second
)

// floodRS sends n Router Solicitations from h to all-routers, with a
// Source Link-Layer Address option as hosts send them (RFC 4861 §4.1),
// spread evenly over spread. They come from h's link-local address, or
// round robin from srcs (addresses of h's interface) when given. The raw
// socket is opened in h's namespace; every RS has hop limit 255 (RFC 4861
// §6.1.1).
func floodRS(h *netlab.Host, srcs []netip.Addr, n int, spread time.Duration) error {
	var (
		c   *ndp.Conn
		ifi *net.Interface
	)
	err := h.Do(func() error {
		var err error
		if ifi, err = net.InterfaceByName(h.IfName); err != nil {
			return err
		}
		// ndp sends to the zone ifi.Name, which the Go runtime resolves
		// in whatever namespace the sending thread is in; a numeric zone
		// is taken as the index of h's interface as it is.
		ifi.Name = strconv.Itoa(ifi.Index)
		c, _, err = ndp.Listen(ifi, ndp.LinkLocal)
		return err
	})
	if err != nil {
		return fmt.Errorf("opening NDP socket in %s: %w", h.Namespace, err)
	}
	defer c.Close()
	rs := &ndp.RouterSolicitation{Options: []ndp.Option{
		&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: h.MAC},
	}}
	start := time.Now()
	for i := range n {
		// Pace in batches of 20 (10 ms at 2,000 a second).
		if i%20 == 0 {
			time.Sleep(time.Until(start.Add(spread * time.Duration(i) / time.Duration(n))))
		}
		var cm *ipv6.ControlMessage // nil: ndp's default, the bound address
		if len(srcs) > 0 {
			cm = &ipv6.ControlMessage{HopLimit: 255, IfIndex: ifi.Index, Src: srcs[i%len(srcs)].AsSlice()}
		}
		if err := c.WriteTo(rs, cm, allRouter); err != nil {
			return fmt.Errorf("RS %d: %w", i, err)
		}
	}
	return nil
}

// addLinkLocals adds n extra link-local addresses to h's interface,
// fe80::1:0 upwards, and returns them.
func addLinkLocals(t *testing.T, h *netlab.Host, n int) []netip.Addr {
	t.Helper()
	var (
		out   []netip.Addr
		batch strings.Builder
	)
	for i := range n {
		a := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 13: 1, 14: byte(i >> 8), 15: byte(i)})
		out = append(out, a)
		fmt.Fprintf(&batch, "addr add %s/64 dev %s nodad\n", a, h.IfName)
	}
	path := filepath.Join(h.Dir(), "extra-addrs.batch")
	if err := os.WriteFile(path, []byte(batch.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := h.Run(t.Context(), "ip", "-batch", path); err != nil {
		t.Fatalf("adding addresses: %v: %s", err, out)
	}
	return out
}

// metric returns the values of the series named series, such as
// `ralab_rs_received_total{interface="lab0"}`, from ralab's /metrics
// inside the router namespace; a missing series is an error.
func metric(ctx context.Context, router *netlab.Host, series []string) (map[string]float64, error) {
	all, err := scrapeMetrics(ctx, router)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(series))
	for _, s := range series {
		v, ok := all[s]
		if !ok {
			return nil, fmt.Errorf("/metrics has no %s", s)
		}
		out[s] = v
	}
	return out, nil
}

// TestRSFlood floods ralab with Router Solicitations and checks, from the
// capture, that it stays within the RFC limits and its own documented ones
// (advertiser.DefaultLimits), and keeps answering:
//
//   - 10,000 RS from one address: at most one unicast RA to it
//     per MIN_DELAY_BETWEEN_RAS (the per-source limit);
//   - 10,000 RS from 64 addresses of another host: unicast RAs within
//     the global token bucket (burst 20, 10 a second);
//   - throughout: multicast RAs at least MIN_DELAY_BETWEEN_RAS apart (R2),
//     and never further apart than MaxRtrAdvInterval, so the periodic RAs
//     stay on schedule;
//   - afterwards: an RS from another host, and one from the flooder, each
//     answered within MAX_RA_DELAY_TIME (R3);
//   - the metrics endpoint counts the RS received.
func TestRSFlood(t *testing.T) {
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	t.Parallel()
	const (
		maxInterval = 6 * time.Second
		window      = floodSpread + time.Second
		sources     = 64
	)
	l := newLab(t, floodConfig)
	c1 := l.Host(t, "c1", mac1)
	c2 := l.Host(t, "c2", mac2)
	// The many-address flooder has a host of its own: with extra
	// link-local addresses, its own would no longer be the one its RS
	// come from.
	c3 := l.Host(t, "c3", "02:00:00:00:02:03")
	extra := addLinkLocals(t, c3, sources)
	// Let the hosts' own start-up RS be answered first.
	solicit(t, c1, 5, time.Second)
	solicit(t, c2, 5, time.Second)
	time.Sleep(minDelayBetweenRAs + time.Second)

	rsSeries := `ralab_rs_received_total{interface="lab0"}`
	before, err := metric(t.Context(), l.Router(), []string{rsSeries})
	if err != nil {
		t.Fatal(err)
	}
	oneStart := time.Now()
	if err := floodRS(c1, nil, floodCount, floodSpread); err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d RS from one address in %v", floodCount, time.Since(oneStart))
	time.Sleep(minDelayBetweenRAs)
	manyStart := time.Now()
	if err := floodRS(c3, extra, floodCount, floodSpread); err != nil {
		t.Fatal(err)
	}
	floodEnd := time.Now()
	t.Logf("sent %d RS from %d addresses in %v", floodCount, sources, floodEnd.Sub(manyStart))

	// Another host, right after the flood: the global token bucket has
	// refilled 10 tokens a second since.
	time.Sleep(time.Second)
	probe2 := time.Now()
	solicit(t, c2, 1, 1500*time.Millisecond)
	// The flooder's link-local address, once its per-source limit has
	// passed.
	time.Sleep(minDelayBetweenRAs + 500*time.Millisecond)
	probe1 := time.Now()
	solicit(t, c1, 1, 1500*time.Millisecond)
	if l.ralab.Exited() {
		t.Fatalf("ralab exited: %v", l.ralab.Err())
	}

	series := []string{
		rsSeries,
		`ralab_ra_sent_total{interface="lab0",kind="solicited-unicast"}`,
		`ralab_ra_sent_total{interface="lab0",kind="solicited-multicast"}`,
		`ralab_rs_answers_suppressed_total{interface="lab0",reason="per-source-rate"}`,
		`ralab_rs_answers_suppressed_total{interface="lab0",reason="global-rate"}`,
		`ralab_rs_answers_suppressed_total{interface="lab0",reason="coalesced"}`,
		`ralab_invalid_messages_total{interface="lab0",reason="hop-limit"}`,
	}
	after, err := metric(t.Context(), l.Router(), series)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		t.Logf("%s %v", s, after[s])
	}
	received := after[rsSeries] - before[rsSeries]
	// The kernel may drop part of a flood on a loaded machine before
	// ralab reads it (socket buffer); half is ample proof that the
	// counter counts and that ralab kept reading.
	const sent = 2 * floodCount
	if received < sent/2 || received > sent+10 {
		t.Errorf("ralab counted %v RS during the floods, want %d to %d", received, sent/2, sent+10)
	}
	if after[series[4]] == 0 {
		t.Errorf("no RS answer suppressed by the global rate during the flood from %d addresses", sources)
	}

	_, pkts := l.stopCapture(t)
	ras := routerAds(t, pkts)
	captured := 0
	for _, p := range pkts {
		if p.Type == typeRS && !p.At.Before(oneStart) && !p.At.After(floodEnd) {
			captured++
		}
	}
	t.Logf("RS: %d sent, %d captured, %v counted by ralab", sent, captured, received)

	// One source: one unicast RA per MIN_DELAY_BETWEEN_RAS at most.
	var toFlooder []routerAd
	for _, r := range between(ras, oneStart, oneStart.Add(window)) {
		if r.Dst == c1.LinkLocal() {
			toFlooder = append(toFlooder, r)
		}
	}
	if limit := int(window/minDelayBetweenRAs) + 1; len(toFlooder) == 0 || len(toFlooder) > limit {
		t.Errorf("%d unicast RAs to the single-address flooder in %v, want 1 to %d", len(toFlooder), window, limit)
	}
	for i, g := range gaps(toFlooder) {
		if g < minDelayBetweenRAs-earlySlack {
			t.Errorf("unicast RAs %d and %d to the flooder %v apart, want at least %v", i, i+1, g, minDelayBetweenRAs)
		}
	}

	// Many sources: the global bucket bounds the unicast RAs, and each
	// source still gets at most one per MIN_DELAY_BETWEEN_RAS.
	perSource := map[netip.Addr][]routerAd{}
	unicast := 0
	for _, r := range between(ras, manyStart, manyStart.Add(window)) {
		if slices.Contains(extra, r.Dst) {
			unicast++
			perSource[r.Dst] = append(perSource[r.Dst], r)
		}
	}
	lim := advertiser.DefaultLimits
	if limit := lim.UnicastBurst + int(lim.UnicastRate*window.Seconds()); unicast == 0 || unicast > limit {
		t.Errorf("%d unicast RAs in %v of the flood from %d addresses, want 1 to %d (burst %d + %v/s)", unicast, window, sources, limit, lim.UnicastBurst, lim.UnicastRate)
	}
	for dst, rs := range perSource {
		for i, g := range gaps(rs) {
			if g < minDelayBetweenRAs-earlySlack {
				t.Errorf("unicast RAs %d and %d to %s %v apart, want at least %v", i, i+1, dst, g, minDelayBetweenRAs)
			}
		}
	}
	t.Logf("single source: %d unicast RAs; %d sources: %d unicast RAs to %d of them", len(toFlooder), sources, unicast, len(perSource))

	// Multicast RAs over the whole run: never closer than
	// MIN_DELAY_BETWEEN_RAS, never further apart than MaxRtrAdvInterval.
	mc := multicast(ras)
	t.Logf("%d multicast RAs, gaps %v", len(mc), gaps(mc))
	for i, g := range gaps(mc) {
		if g < minDelayBetweenRAs-earlySlack || g > maxInterval+lateSlack {
			t.Errorf("multicast RAs %d and %d %v apart, want %v to %v", i, i+1, g, minDelayBetweenRAs, maxInterval)
		}
	}

	// The probes after the flood: answered within MAX_RA_DELAY_TIME.
	for _, p := range []struct {
		h    *netlab.Host
		from time.Time
	}{{c2, probe2}, {c1, probe1}} {
		var rs []packet
		for _, x := range solicitations(pkts, p.h.LinkLocal()) {
			if !x.At.Before(p.from) {
				rs = append(rs, x)
			}
		}
		if len(rs) == 0 {
			t.Errorf("%s's RS after the flood not captured", p.h.Name)
			continue
		}
		a, ok := answer(ras, rs[0])
		if !ok {
			t.Errorf("%s's RS after the flood got no RA", p.h.Name)
			continue
		}
		d := a.At.Sub(rs[0].At)
		t.Logf("%s's RS after the flood answered by an RA to %s after %v", p.h.Name, a.Dst, d)
		if d > maxRADelay+answerSlack {
			t.Errorf("%s's RS after the flood answered after %v, want at most %v (+%v)", p.h.Name, d, maxRADelay, answerSlack)
		}
	}
}

// TestRSFloodManySources floods ralab with 10,000 RS from 1,000
// addresses, 10 from each, as a flooding tool sends them (round after
// round), and checks that a host that solicits during the flood with
// rdisc6 is answered within 1.5 s: the flood's sources soon send more RS
// than a host does and only get the part of the unicast budget that is
// not kept for hosts (advertiser.ReasonNoisySource). The unicast RAs stay
// within the global token bucket.
func TestRSFloodManySources(t *testing.T) {
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	t.Parallel()
	const sources = 1000
	l := newLab(t, floodConfig)
	// The kernel of a forwarding interface creates a neighbor entry for
	// the source of every RS it receives, option or not (Linux
	// ndisc_recv_rs). A thousand sources would overflow the neighbor
	// table, which all namespaces share (gc_thresh3, default 1024), and
	// every namespace's sends to new neighbors, the host's included, would
	// fail with EINVAL for a while. ralab does not need forwarding.
	if err := l.Router().Sysctl(t.Context(), "net.ipv6.conf."+netlab.BridgeName+".forwarding", "0"); err != nil {
		t.Fatal(err)
	}
	c2 := l.Host(t, "c2", mac2)
	created := time.Now()
	c3 := l.Host(t, "c3", "02:00:00:00:02:03")
	// The new host's own start-up RS (up to 3, 4 s apart) lie behind it
	// when it runs rdisc6, as for a host that joined a while ago.
	time.Sleep(time.Until(created.Add(advertiser.NoisyWindow + time.Second)))

	floodStart := time.Now()
	floodErr := make(chan error, 1)
	go func() { floodErr <- spoofRS(c3, sources, floodCount, floodSpread) }()
	// Midway: every flood source has sent 5 RS.
	time.Sleep(floodSpread / 2)
	probe := time.Now()
	out, err := c2.Run(t.Context(), "rdisc6", "-1", "-r", "1", "-w", "1500", c2.IfName)
	took := time.Since(probe)
	if err != nil {
		t.Errorf("rdisc6 during the flood got no RA within 1.5 s: %v\n%s", err, out)
	}
	t.Logf("rdisc6 during the flood returned after %v", took)
	if err := <-floodErr; err != nil {
		t.Fatal(err)
	}
	floodEnd := time.Now()
	t.Logf("sent %d RS from %d addresses in %v", floodCount, sources, floodEnd.Sub(floodStart))
	if l.ralab.Exited() {
		t.Fatalf("ralab exited: %v", l.ralab.Err())
	}

	noisy := `ralab_rs_answers_suppressed_total{interface="lab0",reason="noisy-source"}`
	drops := `ralab_socket_receive_drops_total{interface="lab0",socket="ndp"}`
	received := `ralab_rs_received_total{interface="lab0"}`
	m, err := metric(t.Context(), l.Router(), []string{noisy, drops, received})
	if err != nil {
		t.Fatal(err)
	}
	if m[noisy] == 0 {
		t.Errorf("%s is 0 after the flood", noisy)
	}
	for _, s := range []string{noisy, drops, received} {
		t.Logf("%s %v", s, m[s])
	}
	// The flood is counted, not logged line by line.
	if b, err := os.ReadFile(l.ralab.Stderr); err != nil || bytes.Count(b, []byte("\n")) > 100 {
		t.Errorf("ralab logged %d lines by the end of the flood, want at most 100 (%v)", bytes.Count(b, []byte("\n")), err)
	}

	_, pkts := l.stopCapture(t)
	ras := routerAds(t, pkts)
	var rs []packet
	for _, x := range solicitations(pkts, c2.LinkLocal()) {
		if !x.At.Before(probe) {
			rs = append(rs, x)
		}
	}
	if len(rs) == 0 {
		t.Fatal("the host's RS during the flood was not captured")
	}
	a, ok := answer(ras, rs[0])
	if !ok {
		t.Fatal("the host's RS during the flood got no RA")
	}
	d := a.At.Sub(rs[0].At)
	t.Logf("the host's RS during the flood answered by an RA to %s after %v", a.Dst, d)
	if d > maxRADelay+answerSlack {
		t.Errorf("the host's RS during the flood answered after %v, want at most %v (+%v)", d, maxRADelay, answerSlack)
	}
	unicast := 0
	for _, r := range between(ras, floodStart, floodEnd.Add(time.Second)) {
		if r.Dst != allNodes {
			unicast++
		}
	}
	lim := advertiser.DefaultLimits
	window := floodEnd.Add(time.Second).Sub(floodStart)
	if limit := lim.UnicastBurst + int(lim.UnicastRate*window.Seconds()); unicast > limit {
		t.Errorf("%d unicast RAs in the %v of the flood, want at most %d", unicast, window, limit)
	}
	t.Logf("%d unicast RAs during the flood", unicast)
}

// spoofRS sends n Router Solicitations from h to all-routers, round robin
// from the link-local addresses fe80::1:0 to fe80::1:<sources-1>, as a
// flooding tool forges them, spread evenly over spread. It writes whole
// IPv6 packets on a raw socket (IPV6_HDRINCL), so the addresses need not
// be h's. The RS carry no Source Link-Layer Address option, which would
// name h's MAC address for every source.
func spoofRS(h *netlab.Host, sources, n int, spread time.Duration) error {
	var (
		fd  int
		ifi *net.Interface
	)
	err := h.Do(func() error {
		var err error
		if ifi, err = net.InterfaceByName(h.IfName); err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	if err != nil {
		return fmt.Errorf("raw socket in %s: %w", h.Namespace, err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_HDRINCL, 1); err != nil {
		return fmt.Errorf("IPV6_HDRINCL: %w", err)
	}
	to := &unix.SockaddrInet6{Addr: allRouter.As16(), ZoneId: uint32(ifi.Index)}
	start := time.Now()
	for i := range n {
		if i%20 == 0 {
			time.Sleep(time.Until(start.Add(spread * time.Duration(i) / time.Duration(n))))
		}
		j := i % sources
		src := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 13: 1, 14: byte(j >> 8), 15: byte(j)})
		if err := unix.Sendto(fd, rsPacket(src), 0, to); err != nil {
			return fmt.Errorf("RS %d: %w", i, err)
		}
	}
	return nil
}

// rsPacket returns an IPv6 packet from src to all-routers with hop limit
// 255 carrying a Router Solicitation without options (RFC 4861 §4.1) and
// its ICMPv6 checksum (RFC 4443 §2.3).
func rsPacket(src netip.Addr) []byte {
	const ip6, icmp = 40, 8
	b := make([]byte, ip6+icmp)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], icmp)
	b[6], b[7] = 58, 255
	s, d := src.As16(), allRouter.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	m := b[ip6:]
	m[0] = 133
	// Pseudo-header (addresses, length, next header), then the message.
	var sum uint32
	for _, p := range [][]byte{b[8:40], m} {
		for i := 0; i+1 < len(p); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(p[i:]))
		}
	}
	sum += icmp + 58
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(m[2:], ^uint16(sum))
	return b
}
