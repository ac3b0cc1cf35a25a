package capture

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"
)

// frame builds an Ethernet II frame with the given EtherType whose payload
// is an IPv6 header with next header nh followed by l4.
func frame(etherType uint16, nh byte, l4 []byte) []byte {
	b := make([]byte, 14+40, 14+40+len(l4))
	copy(b[0:6], []byte{0x33, 0x33, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 2, 1})
	binary.BigEndian.PutUint16(b[12:14], etherType)
	b[14] = 0x60
	binary.BigEndian.PutUint16(b[18:20], uint16(len(l4)))
	b[20] = nh
	b[21] = 255
	b[22] = 0xfe
	b[23] = 0x80
	b[38] = 0xff
	b[39] = 0x02
	return append(b, l4...)
}

// frame4 builds an Ethernet II frame carrying IPv4 with header length
// ihl bytes, protocol proto, the given flags and fragment offset field,
// followed by l4.
func frame4(ihl int, proto byte, frag uint16, l4 []byte) []byte {
	b := make([]byte, 14+ihl, 14+ihl+len(l4))
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 2, 1})
	binary.BigEndian.PutUint16(b[12:14], 0x0800)
	b[14] = 0x40 | byte(ihl/4)
	binary.BigEndian.PutUint16(b[16:18], uint16(ihl+len(l4)))
	binary.BigEndian.PutUint16(b[20:22], frag)
	b[22] = 64
	b[23] = proto
	return append(b, l4...)
}

// icmp returns an ICMPv6 header of the given type.
func icmp(typ byte) []byte { return []byte{typ, 0, 0, 0, 0, 0, 0, 0} }

// ports returns a UDP or TCP header start with the given ports.
func ports(src, dst uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:2], src)
	binary.BigEndian.PutUint16(b[2:4], dst)
	return b
}

func TestFilter(t *testing.T) {
	vm, err := bpf.NewVM(Filter())
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	tests := []struct {
		name  string
		frame []byte
		keep  bool
	}{
		{name: "router solicitation", frame: frame(0x86dd, 58, icmp(133)), keep: true},
		{name: "router advertisement", frame: frame(0x86dd, 58, icmp(134)), keep: true},
		{name: "neighbor solicitation", frame: frame(0x86dd, 58, icmp(135)), keep: true},
		{name: "neighbor advertisement", frame: frame(0x86dd, 58, icmp(136)), keep: true},
		{name: "redirect", frame: frame(0x86dd, 58, icmp(137)), keep: true},
		{name: "echo request", frame: frame(0x86dd, 58, icmp(128)), keep: false},
		{name: "MLD done", frame: frame(0x86dd, 58, icmp(132)), keep: false},
		{name: "inverse ND", frame: frame(0x86dd, 58, icmp(138)), keep: false},
		{name: "MLDv2 report without hop-by-hop", frame: frame(0x86dd, 58, icmp(143)), keep: false},
		{name: "DHCPv6 to server", frame: frame(0x86dd, 17, ports(546, 547)), keep: true},
		{name: "DHCPv6 to client", frame: frame(0x86dd, 17, ports(547, 546)), keep: true},
		{name: "DHCPv6 relay", frame: frame(0x86dd, 17, ports(547, 547)), keep: true},
		{name: "DHCPv6 odd source port", frame: frame(0x86dd, 17, ports(40000, 547)), keep: true},
		{name: "DNS query over UDP", frame: frame(0x86dd, 17, ports(40000, 53)), keep: true},
		{name: "DNS answer over UDP", frame: frame(0x86dd, 17, ports(53, 40000)), keep: true},
		{name: "mDNS", frame: frame(0x86dd, 17, ports(5353, 5353)), keep: false},
		{name: "other UDP", frame: frame(0x86dd, 17, ports(40000, 123)), keep: false},
		{name: "DNS query over TCP", frame: frame(0x86dd, 6, ports(40000, 53)), keep: true},
		{name: "DNS answer over TCP", frame: frame(0x86dd, 6, ports(53, 40000)), keep: true},
		{name: "TCP to port 547", frame: frame(0x86dd, 6, ports(40000, 547)), keep: false},
		{name: "HTTP", frame: frame(0x86dd, 6, ports(40000, 80)), keep: false},
		{name: "hop-by-hop first", frame: frame(0x86dd, 0, []byte{58, 0, 5, 2, 0, 0, 1, 0, 143}), keep: true},
		{name: "fragment first", frame: frame(0x86dd, 44, []byte{58, 0, 0, 1, 0, 0, 0, 1}), keep: true},
		{name: "routing header first", frame: frame(0x86dd, 43, make([]byte, 8)), keep: false},
		{name: "no next header", frame: frame(0x86dd, 59, nil), keep: false},
		{name: "DHCPv4 DISCOVER", frame: frame4(20, 17, 0, ports(68, 67)), keep: true},
		{name: "DHCPv4 OFFER", frame: frame4(20, 17, 0x4000, ports(67, 68)), keep: true},
		{name: "DHCPv4 with IP options", frame: frame4(24, 17, 0, ports(68, 67)), keep: true},
		{name: "DHCPv4 relay source port", frame: frame4(20, 17, 0, ports(40000, 67)), keep: true},
		{name: "IPv4 DNS", frame: frame4(20, 17, 0, ports(40000, 53)), keep: false},
		{name: "IPv4 TCP to 67", frame: frame4(20, 6, 0, ports(40000, 67)), keep: false},
		{name: "IPv4 first fragment of DHCPv4", frame: frame4(20, 17, 0x2000, ports(68, 67)), keep: true},
		{name: "IPv4 later fragment", frame: frame4(20, 17, 0x2001, ports(68, 67)), keep: false},
		{name: "IPv4 truncated before ports", frame: frame4(24, 17, 0, ports(68, 67))[:14+24+1], keep: false},
		{name: "ARP", frame: frame(0x0806, 0, nil), keep: false},
		{name: "VLAN tag left in frame", frame: frame(0x8100, 58, icmp(134)), keep: false},
		{name: "truncated before next header", frame: frame(0x86dd, 58, icmp(134))[:20], keep: false},
		{name: "ICMPv6 without payload", frame: frame(0x86dd, 58, nil), keep: false},
		{name: "UDP cut after source port", frame: frame(0x86dd, 17, ports(40000, 547))[:56], keep: false},
		{name: "UDP source port only", frame: frame(0x86dd, 17, ports(547, 40000))[:56], keep: true},
		{name: "empty", frame: nil, keep: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := vm.Run(tt.frame)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.keep, n > 0); diff != "" {
				t.Fatalf("kept (-want +got):\n%s", diff)
			}
			if n > 0 && n < len(tt.frame) {
				t.Fatalf("kept %d of %d bytes, want the whole frame", n, len(tt.frame))
			}
			if diff := cmp.Diff(tt.keep, reference(tt.frame)); diff != "" {
				t.Fatalf("reference disagrees (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterAssembles(t *testing.T) {
	raw, err := assembledFilter()
	if err != nil {
		t.Fatalf("assembledFilter: %v", err)
	}
	back, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("Disassemble could not decode every instruction")
	}
	again, err := bpf.Assemble(back)
	if err != nil {
		t.Fatalf("Assemble after Disassemble: %v", err)
	}
	if diff := cmp.Diff(raw, again); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestResolveRejectsBadJumps(t *testing.T) {
	tests := []struct {
		name string
		prog []insn
	}{
		{name: "unknown label", prog: []insn{{cond: bpf.JumpEqual, jt: "nowhere"}, {ins: bpf.RetConstant{}}}},
		{name: "backwards", prog: []insn{{label: "x", ins: bpf.RetA{}}, {cond: bpf.JumpEqual, jt: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := resolve(tt.prog); err == nil {
				t.Fatal("resolve succeeded, want an error")
			}
		})
	}
}

// reference is the filter written in Go: the BPF program must agree with
// it on every input.
func reference(b []byte) bool {
	u16 := func(off int) (int, bool) {
		if len(b) < off+2 {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(b[off:])), true
	}
	et, ok := u16(offEtherType)
	if ok && et == etherTypeIPv4 {
		if len(b) <= offIPv4Protocol || b[offIPv4Protocol] != protoUDP {
			return false
		}
		if frag, ok := u16(offIPv4Fragment); !ok || frag&ipv4FragOffsetMask != 0 {
			return false
		}
		l4 := offIPv4 + int(b[offIPv4]&0x0f)*4
		dhcp := map[int]bool{67: true, 68: true}
		src, ok := u16(l4)
		if !ok {
			return false
		}
		if dhcp[src] {
			return true
		}
		dst, ok := u16(l4 + 2)
		return ok && dhcp[dst]
	}
	if !ok || et != etherTypeIPv6 {
		return false
	}
	if len(b) <= offNextHeader {
		return false
	}
	switch b[offNextHeader] {
	case protoHopByHop, protoFragment:
		return true
	case protoICMPv6:
		return len(b) > offICMPType && b[offICMPType] >= 133 && b[offICMPType] <= 137
	case protoUDP, protoTCP:
		want := map[int]bool{53: true}
		if b[offNextHeader] == protoUDP {
			want[546], want[547] = true, true
		}
		src, ok := u16(offSrcPort)
		if !ok {
			return false
		}
		if want[src] {
			return true
		}
		dst, ok := u16(offDstPort)
		return ok && want[dst]
	}
	return false
}

func FuzzFilter(f *testing.F) {
	f.Add(frame(0x86dd, 58, icmp(134)))
	f.Add(frame(0x86dd, 17, ports(546, 547)))
	f.Add(frame(0x86dd, 6, ports(40000, 53)))
	f.Add(frame(0x86dd, 44, nil))
	f.Add(frame4(24, 17, 0, ports(68, 67)))
	f.Add([]byte{})
	vm, err := bpf.NewVM(Filter())
	if err != nil {
		f.Fatalf("NewVM: %v", err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := vm.Run(b)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got, want := n > 0, reference(b); got != want {
			t.Fatalf("filter keeps %v, reference %v, frame %x", got, want, b)
		}
	})
}
