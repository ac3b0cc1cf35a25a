package advlab

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
)

// Interface names and MACs of the veth pair (lab-recipes.md).
const (
	// RouterIf is the router namespace's end.
	RouterIf = "R0"
	// ClientIf is the client namespace's end.
	ClientIf = "C0"
)

// Require skips the test, or fails it when CI=true, unless it runs as root
// and every tool is installed.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("needs root to create network namespaces")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			fail("needs %s: %v", tool, err)
		}
	}
}

// Lab is two namespaces joined by a veth pair: RouterIf (MAC
// 02:00:00:00:01:01) in Router, ClientIf (02:00:00:00:02:01, accept_ra=2)
// in Client. DAD is off so link-local addresses are usable at once, and
// loopback is up in both.
type Lab struct {
	t testing.TB
	// Router and Client are the namespace names.
	Router, Client string
}

// Run runs a command in the current namespace and fails the test on error.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// New creates the lab; t.Cleanup removes it.
func New(t testing.TB) *Lab {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	prefix := "ralabt" + hex.EncodeToString(b)
	l := &Lab{t: t, Router: prefix + "-r", Client: prefix + "-c"}
	for _, ns := range []string{l.Router, l.Client} {
		Run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Logf("ip netns del %s: %v %s", ns, err, out)
			}
		})
		// Before the veth exists, so its link-local address is never
		// tentative (lab-recipes.md).
		l.Sh(ns, "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad")
		Run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	Run(t, "ip", "link", "add", RouterIf, "netns", l.Router, "address", "02:00:00:00:01:01", "type", "veth",
		"peer", "name", ClientIf, "netns", l.Client, "address", "02:00:00:00:02:01")
	l.Sh(l.Client, "echo 2 > /proc/sys/net/ipv6/conf/"+ClientIf+"/accept_ra")
	l.Sh(l.Router, "echo 1 > /proc/sys/net/ipv6/conf/"+RouterIf+"/accept_ra")
	Run(t, "ip", "-n", l.Client, "link", "set", ClientIf, "up")
	Run(t, "ip", "-n", l.Router, "link", "set", RouterIf, "up")
	return l
}

// Sh runs a shell command inside namespace ns and returns its output.
func (l *Lab) Sh(ns, cmd string) string {
	l.t.Helper()
	return Run(l.t, "ip", "netns", "exec", ns, "sh", "-c", cmd)
}

// Proc is a background command. Its Wait may be called more than once
// and from several goroutines.
type Proc struct {
	*exec.Cmd
	once sync.Once
	err  error
}

// Wait waits for the command to exit and returns its result.
func (p *Proc) Wait() error {
	p.once.Do(func() { p.err = p.Cmd.Wait() })
	return p.err
}

// Start starts a command inside ns with extra environment; it is killed at
// cleanup if still running. Its output goes to out.
func (l *Lab) Start(ns string, env []string, out *Buffer, args ...string) *Proc {
	l.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("starting %v: %v", args, err)
	}
	p := &Proc{Cmd: cmd}
	l.t.Cleanup(func() {
		_ = p.Process.Kill()
		_ = p.Wait()
	})
	return p
}

// Capture starts tcpdump on ClientIf writing ICMPv6 to path and waits
// until it listens. Stop it with SIGTERM.
func (l *Lab) Capture(path string) *Proc {
	l.t.Helper()
	var out Buffer
	cmd := l.Start(l.Client, nil, &out, "tcpdump", "-i", ClientIf, "-n", "--immediate-mode", "-U", "-w", path, "icmp6")
	WaitFor(l.t, "tcpdump to start", 30*time.Second, func() bool { return strings.Contains(out.String(), "listening on") })
	return cmd
}

// Buffer is a bytes.Buffer safe for a child's stdout and stderr.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond every 50 ms until it holds, failing the test after
// timeout.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Packet is one captured ICMPv6 message.
type Packet struct {
	// At is the capture timestamp.
	At time.Time
	// Src and Dst are the IPv6 addresses.
	Src, Dst netip.Addr
	// HopLimit is the IPv6 hop limit.
	HopLimit uint8
	// ICMP is the ICMPv6 message from its type byte on.
	ICMP []byte
}

// ReadPcap returns the ICMPv6 packets (without extension headers) of a
// little-endian classic pcap file of Ethernet frames, as tcpdump -w writes
// it. A file still being written is read up to its last whole record.
func ReadPcap(path string) ([]Packet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePcap(b)
}

// ParsePcap is ReadPcap on the file's contents.
func ParsePcap(b []byte) ([]Packet, error) {
	if len(b) < 24 {
		return nil, nil
	}
	bo := binary.LittleEndian
	nano := false
	switch bo.Uint32(b) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	default:
		return nil, errors.New("advlab: not a little-endian pcap file")
	}
	var out []Packet
	for p := b[24:]; len(p) >= 16; {
		sec, frac, n := bo.Uint32(p), bo.Uint32(p[4:]), int(bo.Uint32(p[8:]))
		if len(p) < 16+n {
			break
		}
		f := p[16 : 16+n]
		p = p[16+n:]
		if len(f) < 14+40 || f[12] != 0x86 || f[13] != 0xdd || f[14+6] != 58 {
			continue
		}
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		out = append(out, Packet{
			At:       time.Unix(int64(sec), ns),
			Src:      netip.AddrFrom16([16]byte(f[14+8 : 14+24])),
			Dst:      netip.AddrFrom16([16]byte(f[14+24 : 14+40])),
			HopLimit: f[14+7],
			ICMP:     f[14+40:],
		})
	}
	return out, nil
}

// RA is a captured, parsed Router Advertisement.
type RA struct {
	Packet
	// Msg is the parsed message.
	Msg *ndp.RouterAdvertisement
}

// RAs reads the capture at path and returns its RAs; an RA that does not
// parse fails the test.
func RAs(t testing.TB, path string) []RA {
	t.Helper()
	pkts, err := ReadPcap(path)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	var out []RA
	for _, p := range pkts {
		if len(p.ICMP) == 0 || p.ICMP[0] != 134 {
			continue
		}
		m, err := ndp.ParseMessage(p.ICMP)
		if err != nil {
			t.Errorf("RA at %v does not parse: %v", p.At, err)
			continue
		}
		out = append(out, RA{Packet: p, Msg: m.(*ndp.RouterAdvertisement)})
	}
	return out
}
