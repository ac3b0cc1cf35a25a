package capture

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"golang.org/x/net/bpf"
)

// TestPcapFilterAgrees compiles PcapFilter with tcpdump (libpcap) and
// checks that it keeps exactly the whole frames Filter keeps.
func TestPcapFilterAgrees(t *testing.T) {
	netlabtest.RequireTool(t, "tcpdump", "tcpdump")
	out, err := exec.Command("tcpdump", "-ddd", "-y", "EN10MB", PcapFilter).Output()
	if err != nil {
		t.Fatalf("tcpdump does not compile PcapFilter: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var raw []bpf.RawInstruction
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		var v [4]uint64
		for i := range v {
			if v[i], err = strconv.ParseUint(f[i], 10, 32); err != nil {
				t.Fatalf("tcpdump -ddd line %q: %v", l, err)
			}
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	prog, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("cannot decode libpcap's program: %v", prog)
	}
	pcap, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := bpf.NewVM(Filter())
	if err != nil {
		t.Fatal(err)
	}
	frames := map[string][]byte{
		"RS": frame(0x86dd, 58, icmp(133)), "RA": frame(0x86dd, 58, icmp(134)),
		"NS": frame(0x86dd, 58, icmp(135)), "NA": frame(0x86dd, 58, icmp(136)),
		"redirect": frame(0x86dd, 58, icmp(137)), "echo": frame(0x86dd, 58, icmp(128)),
		"MLD done": frame(0x86dd, 58, icmp(132)), "inverse ND": frame(0x86dd, 58, icmp(138)),
		"DHCPv6": frame(0x86dd, 17, ports(546, 547)), "DHCPv6 reply": frame(0x86dd, 17, ports(547, 546)),
		"DNS udp": frame(0x86dd, 17, ports(40000, 53)), "DNS answer": frame(0x86dd, 17, ports(53, 40000)),
		"mDNS": frame(0x86dd, 17, ports(5353, 5353)), "NTP": frame(0x86dd, 17, ports(40000, 123)),
		"DNS tcp": frame(0x86dd, 6, ports(40000, 53)), "tcp 547": frame(0x86dd, 6, ports(40000, 547)),
		"hop-by-hop": frame(0x86dd, 0, []byte{58, 0, 5, 2, 0, 0, 1, 0, 143}),
		"fragment":   frame(0x86dd, 44, []byte{58, 0, 0, 1, 0, 0, 0, 1}),
		"routing":    frame(0x86dd, 43, make([]byte, 8)),
		"DHCPv4":     frame4(20, 17, 0, ports(68, 67)), "DHCPv4 options": frame4(24, 17, 0, ports(68, 67)),
		"DHCPv4 DF": frame4(20, 17, 0x4000, ports(67, 68)), "IPv4 DNS": frame4(20, 17, 0, ports(40000, 53)),
		"IPv4 tcp 67": frame4(20, 6, 0, ports(40000, 67)), "IPv4 later fragment": frame4(20, 17, 0x2001, ports(68, 67)),
		"ARP": frame(0x0806, 0, nil),
	}
	for name, f := range frames {
		a, err := ours.Run(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := pcap.Run(f)
		if err != nil {
			t.Fatal(err)
		}
		if (a > 0) != (b > 0) {
			t.Errorf("%s: Filter keeps %v, PcapFilter %v", name, a > 0, b > 0)
		}
	}
}

// TestWriterFilterOption checks with capinfos (Wireshark) that a pcapng
// file of Writer carries PcapFilter as its capture filter and the words
// in comments.
func TestWriterFilterOption(t *testing.T) {
	netlabtest.RequireTool(t, "capinfos", "wireshark-common")
	path := filepath.Join(t.TempDir(), "c.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, "eth9")
	if err == nil {
		err = w.Flush()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("capinfos", path).CombinedOutput()
	if err != nil {
		t.Fatalf("capinfos: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Filter string = " + PcapFilter,
		"Comment = ralab capture filter: " + FilterDescription,
		"captured by ralab on eth9",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("capinfos output lacks %q:\n%s", want, out)
		}
	}
}
