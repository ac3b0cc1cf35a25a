package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"github.com/ralab/ralab/internal/ra"
)

// Addresses every lab shares: the router's link-local address follows
// from netlab.RouterMAC (RFC 4291 Appendix A), ff02::1 and ff02::2 are
// the all-nodes and all-routers groups (RFC 4291 §2.7.1).
var (
	routerLL  = netip.MustParseAddr("fe80::ff:fe00:100")
	allNodes  = netip.MustParseAddr("ff02::1")
	allRouter = netip.MustParseAddr("ff02::2")
)

// Host MACs used by the tests; slaacAddr derives the address each one
// forms from them.
const (
	mac1 = "02:00:00:00:02:01"
	mac2 = "02:00:00:00:02:02"
)

// ICMPv6 message types (RFC 4861 §4.1, §4.2).
const (
	typeRS = 133
	typeRA = 134
)

// Timing constants of RFC 4861 §10, as the daemon implements them.
const (
	// maxRADelay is MAX_RA_DELAY_TIME: the most a router waits before
	// answering an RS.
	maxRADelay = 500 * time.Millisecond
	// minDelayBetweenRAs is MIN_DELAY_BETWEEN_RAS: the least time
	// between two multicast RAs.
	minDelayBetweenRAs = 3 * time.Second
	// maxInitialInterval is MAX_INITIAL_RTR_ADVERT_INTERVAL.
	maxInitialInterval = 16 * time.Second
)

// Tolerances for timing read from capture timestamps. The capture stamps
// packets in the kernel as they cross the bridge, so the timestamps
// themselves are exact to microseconds; what varies is when the daemon
// gets to run.
const (
	// earlySlack allows a gap to be this much shorter than a lower
	// bound: a late send followed by one on time (the daemon schedules
	// from planned times) shortens the gap by the first one's lateness,
	// which is a few milliseconds even on a loaded machine.
	earlySlack = 50 * time.Millisecond
	// lateSlack allows a send to come this much after its deadline: timer
	// wake-up and scheduling latency of a daemon sharing two loaded cores
	// with the whole test suite.
	lateSlack = 300 * time.Millisecond
	// answerSlack is the allowance over MAX_RA_DELAY_TIME for an answer
	// to an RS: reading the RS, waking the timer and sending, on a loaded
	// machine.
	answerSlack = 100 * time.Millisecond
)

// packet is one ICMPv6 Neighbor Discovery packet from a capture.
type packet struct {
	// At is the capture timestamp.
	At time.Time
	// Src and Dst are the IPv6 addresses, without zone.
	Src, Dst netip.Addr
	// HopLimit is the IPv6 hop limit.
	HopLimit uint8
	// Type is the ICMPv6 type.
	Type uint8
	// ICMP is the ICMPv6 message from its type byte on.
	ICMP []byte
}

// errNotICMPv6 is returned by decodeFrame for frames that are not an
// ICMPv6 message directly in IPv6 in Ethernet.
var errNotICMPv6 = errors.New("not ICMPv6 in IPv6 in Ethernet")

// decodeFrame decodes an Ethernet frame carrying ICMPv6 directly after
// the IPv6 header (no extension headers: RFC 4861 messages never need
// one). Other frames, and truncated ones, give errNotICMPv6.
func decodeFrame(b []byte, at time.Time) (packet, error) {
	const (
		ethLen    = 14
		ipv6Len   = 40
		etherIPv6 = 0x86dd
		nhICMPv6  = 58
	)
	if len(b) < ethLen+ipv6Len+4 || binary.BigEndian.Uint16(b[12:14]) != etherIPv6 {
		return packet{}, errNotICMPv6
	}
	ip := b[ethLen:]
	if ip[0]>>4 != 6 || ip[6] != nhICMPv6 {
		return packet{}, errNotICMPv6
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	icmp := ip[ipv6Len:]
	if plen < 4 || plen > len(icmp) {
		return packet{}, errNotICMPv6
	}
	return packet{
		At:       at,
		Src:      netip.AddrFrom16([16]byte(ip[8:24])),
		Dst:      netip.AddrFrom16([16]byte(ip[24:40])),
		HopLimit: ip[7],
		Type:     icmp[0],
		ICMP:     slices.Clone(icmp[:plen]),
	}, nil
}

// readCapture returns the ICMPv6 packets of the pcapng file at path, in
// capture order.
func readCapture(t testing.TB, path string) []packet {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("reading capture %s: %v", path, err)
	}
	var out []packet
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading capture %s: %v", path, err)
		}
		if p, err := decodeFrame(data, ci.Timestamp); err == nil {
			out = append(out, p)
		}
	}
}

// routerAd is a Router Advertisement from a capture, decoded.
type routerAd struct {
	packet
	// Msg is the decoded RA.
	Msg *ra.Message
}

// routerAds returns the RAs the router sent, decoded; an RA that does not
// decode fails t.
func routerAds(t testing.TB, pkts []packet) []routerAd {
	t.Helper()
	var out []routerAd
	for _, p := range pkts {
		if p.Type != typeRA || p.Src != routerLL {
			continue
		}
		m, err := ra.Decode(p.ICMP)
		if err != nil {
			t.Fatalf("RA at %s does not decode: %v", p.At.Format(time.StampMicro), err)
		}
		if m.Err != nil {
			t.Errorf("RA at %s is malformed: %v", p.At.Format(time.StampMicro), m.Err)
		}
		out = append(out, routerAd{packet: p, Msg: m})
	}
	return out
}

// solicitations returns the RS that src sent.
func solicitations(pkts []packet, src netip.Addr) []packet {
	var out []packet
	for _, p := range pkts {
		if p.Type == typeRS && p.Src == src {
			out = append(out, p)
		}
	}
	return out
}

// multicast returns the RAs sent to all-nodes.
func multicast(ras []routerAd) []routerAd {
	var out []routerAd
	for _, r := range ras {
		if r.Dst == allNodes {
			out = append(out, r)
		}
	}
	return out
}

// between returns the RAs captured in [from, to].
func between(ras []routerAd, from, to time.Time) []routerAd {
	var out []routerAd
	for _, r := range ras {
		if !r.At.Before(from) && !r.At.After(to) {
			out = append(out, r)
		}
	}
	return out
}

// answer returns the first RA at or after rs that reaches rs's source:
// unicast to it or multicast to all-nodes.
func answer(ras []routerAd, rs packet) (routerAd, bool) {
	for _, r := range ras {
		if !r.At.Before(rs.At) && (r.Dst == rs.Src || r.Dst == allNodes) {
			return r, true
		}
	}
	return routerAd{}, false
}

// gaps returns the time between consecutive RAs.
func gaps(ras []routerAd) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ras); i++ {
		out = append(out, ras[i].At.Sub(ras[i-1].At))
	}
	return out
}

// rdnssLifetimes returns every RDNSS server of m with its lifetime.
func rdnssLifetimes(m *ra.Message) map[netip.Addr]time.Duration {
	out := map[netip.Addr]time.Duration{}
	for _, o := range m.Options {
		if o.RDNSS != nil {
			for _, s := range o.RDNSS.Servers {
				out[s] = o.RDNSS.Lifetime
			}
		}
	}
	return out
}

// lab is one test's lab: the harness, its capture and the daemon.
type lab struct {
	*netlabtest.Lab
	capture *netlab.Capture
	ralab   *netlab.Process
}

// newLab creates a lab, starts the capture on the router's bridge and
// then ralab with cfg, and waits until ralab advertises.
func newLab(t *testing.T, cfg string) *lab {
	t.Helper()
	l := &lab{Lab: netlabtest.New(t)}
	l.capture = l.Capture(t)
	l.ralab = l.StartRalab(t, []byte(cfg))
	waitFor(t, "ralab to advertise", 60*time.Second, func() (bool, string) {
		if l.ralab.Exited() {
			t.Fatalf("ralab exited: %v\n%s", l.ralab.Err(), netlabtest.Tail(l.ralab.Stderr, 3000))
		}
		b, _ := os.ReadFile(l.ralab.Stderr)
		return bytes.Contains(b, []byte("msg=advertising")), "no \"advertising\" in the log"
	})
	return l
}

// stopCapture stops the capture and returns its path and packets.
func (l *lab) stopCapture(t testing.TB) (string, []packet) {
	t.Helper()
	path, err := l.capture.Stop()
	if err != nil {
		t.Fatalf("stopping capture: %v", err)
	}
	return path, readCapture(t, path)
}

// configPath returns the file StartRalab wrote the configuration to.
func (l *lab) configPath() string {
	return filepath.Join(l.Router().Dir(), "ralab.toml")
}

// waitFor polls cond every 200 ms until it holds, failing t after
// timeout with cond's last explanation.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// solicit runs rdisc6 on h: up to tries RS, waiting wait for an RA after
// each. It returns rdisc6's output and fails t when no RA came.
func solicit(t testing.TB, h *netlab.Host, tries int, wait time.Duration) string {
	t.Helper()
	out, err := h.Run(t.Context(), "rdisc6", "-1", "-r", fmt.Sprint(tries), "-w", fmt.Sprint(wait.Milliseconds()), h.IfName)
	if err != nil {
		t.Fatalf("rdisc6 on %s got no RA (%d RS, %v each): %v\n%s", h.Name, tries, wait, err, out)
	}
	return string(out)
}

// hasDefaultVia reports whether h has a default route via gw, and
// describes its routes.
func hasDefaultVia(ctx context.Context, h *netlab.Host, gw netip.Addr) (bool, string) {
	rs, err := h.DefaultRoutes(ctx)
	if err != nil {
		return false, err.Error()
	}
	for _, r := range rs {
		if r.Gateway == gw {
			return true, fmt.Sprintf("%+v", rs)
		}
	}
	return false, fmt.Sprintf("default routes %+v", rs)
}

// hasAddress reports whether h has the usable address a, and describes
// its addresses.
func hasAddress(ctx context.Context, h *netlab.Host, a netip.Addr) (bool, string) {
	as, err := h.Addresses(ctx)
	if err != nil {
		return false, err.Error()
	}
	var have []string
	for _, x := range as {
		if x.Addr() == a && x.Usable() {
			return true, ""
		}
		have = append(have, x.Prefix.String())
	}
	return false, "addresses " + strings.Join(have, " ")
}

// tsharkFields runs tshark on a capture with a display filter and
// returns, per matching packet, the values of fields, each field's
// occurrences joined with commas.
func tsharkFields(t testing.TB, path, filter string, fields []string) [][]string {
	t.Helper()
	args := []string{"-n", "-r", path, "-Y", filter, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.CommandContext(t.Context(), "tshark", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("tshark: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("tshark: %v", err)
	}
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != len(fields) {
			t.Fatalf("tshark printed %d fields, want %d: %q", len(row), len(fields), line)
		}
		rows = append(rows, row)
	}
	return rows
}

// scrapeMetrics fetches ralab's /metrics (the tests' [http] address
// [::1]:9430) from inside router's namespace and returns every series,
// name with labels, and its value.
func scrapeMetrics(ctx context.Context, router *netlab.Host) (map[string]float64, error) {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: router.DialContext, DisableKeepAlives: true},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://[::1]:9430/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("metrics line %q has no value", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}
