package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Offsets into an untagged Ethernet II frame carrying IPv6 (RFC 8200 §3).
const (
	offEtherType  = 12
	offNextHeader = 14 + 6
	offL4         = 14 + 40
	offSrcPort    = offL4
	offDstPort    = offL4 + 2
	offICMPType   = offL4
)

// Offsets into an untagged Ethernet II frame carrying IPv4 (RFC 791 §3.1).
const (
	offIPv4         = 14
	offIPv4Protocol = offIPv4 + 9
	offIPv4Fragment = offIPv4 + 6
)

// Protocol numbers and ports the filter keeps.
const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd

	protoHopByHop = 0  // RFC 8200 §4.3
	protoTCP      = 6  // RFC 9293
	protoUDP      = 17 // RFC 768
	protoFragment = 44 // RFC 8200 §4.5
	protoICMPv6   = 58 // RFC 4443

	// ICMPv6 types 133 to 137 are Router Solicitation, Router Advertisement,
	// Neighbor Solicitation, Neighbor Advertisement and Redirect
	// (RFC 4861 §4).
	icmpRouterSolicitation = 133
	icmpRedirect           = 137

	portDNS        = 53  // RFC 1035 §4.2
	portDHCPClient = 546 // RFC 8415 §7.2
	portDHCPServer = 547 // RFC 8415 §7.2

	portDHCPv4Server = 67 // RFC 2131 §4.1
	portDHCPv4Client = 68 // RFC 2131 §4.1

	// ipv4FragOffsetMask selects the fragment offset in the IPv4 flags and
	// fragment offset field: only a first fragment carries the UDP header.
	ipv4FragOffsetMask = 0x1fff
)

// keepAll is what the filter returns to keep a frame: more than any frame
// length, so the kernel keeps the whole frame.
const keepAll = 1 << 18

// PcapFilter is Filter as a libpcap filter expression (pcap-filter(7)),
// the form tcpdump and Wireshark use: the pcapng interface block stores it
// as the capture filter, so Wireshark shows it and a capture with the
// same filter keeps the same frames (TestPcapFilterAgrees).
const PcapFilter = "(ip6 and (ip6[6] == 0 or ip6[6] == 44 or (icmp6 and ip6[40] >= 133 and ip6[40] <= 137) or " +
	"udp port 53 or udp port 546 or udp port 547 or tcp port 53)) or (ip and udp and (port 67 or port 68))"

// FilterDescription says in words what the BPF program keeps; it is stored
// in the pcapng interface block as its comment.
const FilterDescription = "(ip6 and (icmp6 types 133-137 (RS, RA, NS, NA, Redirect) or " +
	"udp port 53/546/547 or tcp port 53 or first next header Hop-by-Hop or Fragment)) or " +
	"(ip and udp port 67/68)"

// insn is one instruction of the filter under construction. A conditional
// jump names its targets by label; the assembler turns them into skips.
type insn struct {
	label string
	// ins is a non-jump instruction; nil for a jump.
	ins bpf.Instruction
	// cond and val are the jump's test against the accumulator.
	cond bpf.JumpTest
	val  uint32
	// jt and jf are the labels jumped to when the test is true or false.
	jt, jf string
}

// Filter returns the classic BPF program (golang.org/x/net/bpf) that keeps
// IPv6 frames carrying ICMPv6 types 133–137, UDP to or from ports 53, 546 or
// 547, or TCP to or from port 53. It also keeps every IPv6 frame whose first
// next header is Hop-by-Hop or Fragment: a classic filter does not walk
// extension headers, and the conformance decoder must see fragmented
// Neighbor Discovery (RFC 6980 §5) to report it. Finally it keeps IPv4 UDP
// to or from ports 67 and 68: the decoder reads DHCPv4 Parameter Request
// Lists for the option 108 check (C12, RFC 8925).
func Filter() []bpf.Instruction {
	prog := []insn{
		{ins: bpf.LoadAbsolute{Off: offEtherType, Size: 2}},
		{cond: bpf.JumpEqual, val: etherTypeIPv4, jt: "ipv4"},
		{cond: bpf.JumpEqual, val: etherTypeIPv6, jf: "drop"},
		{ins: bpf.LoadAbsolute{Off: offNextHeader, Size: 1}},
		{cond: bpf.JumpEqual, val: protoICMPv6, jt: "icmp"},
		{cond: bpf.JumpEqual, val: protoUDP, jt: "udp"},
		{cond: bpf.JumpEqual, val: protoTCP, jt: "tcp"},
		{cond: bpf.JumpEqual, val: protoHopByHop, jt: "keep"},
		{cond: bpf.JumpEqual, val: protoFragment, jt: "keep", jf: "drop"},

		{label: "icmp", ins: bpf.LoadAbsolute{Off: offICMPType, Size: 1}},
		{cond: bpf.JumpGreaterOrEqual, val: icmpRouterSolicitation, jf: "drop"},
		{cond: bpf.JumpGreaterOrEqual, val: icmpRedirect + 1, jt: "drop", jf: "keep"},

		{label: "udp", ins: bpf.LoadAbsolute{Off: offSrcPort, Size: 2}},
		{cond: bpf.JumpEqual, val: portDNS, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPClient, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPServer, jt: "keep"},
		{ins: bpf.LoadAbsolute{Off: offDstPort, Size: 2}},
		{cond: bpf.JumpEqual, val: portDNS, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPClient, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPServer, jt: "keep", jf: "drop"},

		{label: "tcp", ins: bpf.LoadAbsolute{Off: offSrcPort, Size: 2}},
		{cond: bpf.JumpEqual, val: portDNS, jt: "keep"},
		{ins: bpf.LoadAbsolute{Off: offDstPort, Size: 2}},
		{cond: bpf.JumpEqual, val: portDNS, jt: "keep", jf: "drop"},

		{label: "ipv4", ins: bpf.LoadAbsolute{Off: offIPv4Protocol, Size: 1}},
		{cond: bpf.JumpEqual, val: protoUDP, jf: "drop"},
		{ins: bpf.LoadAbsolute{Off: offIPv4Fragment, Size: 2}},
		{cond: bpf.JumpBitsSet, val: ipv4FragOffsetMask, jt: "drop"},
		// X = IPv4 header length: 4 × the IHL nibble.
		{ins: bpf.LoadMemShift{Off: offIPv4}},
		{ins: bpf.LoadIndirect{Off: offIPv4, Size: 2}},
		{cond: bpf.JumpEqual, val: portDHCPv4Server, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPv4Client, jt: "keep"},
		{ins: bpf.LoadIndirect{Off: offIPv4 + 2, Size: 2}},
		{cond: bpf.JumpEqual, val: portDHCPv4Server, jt: "keep"},
		{cond: bpf.JumpEqual, val: portDHCPv4Client, jt: "keep", jf: "drop"},

		{label: "drop", ins: bpf.RetConstant{Val: 0}},
		{label: "keep", ins: bpf.RetConstant{Val: keepAll}},
	}
	out, err := resolve(prog)
	if err != nil {
		// The program is a constant: a bad label is a programming error
		// that the package's tests catch.
		panic(err)
	}
	return out
}

// resolve turns labelled jumps into relative skips. An empty target means
// the next instruction.
func resolve(prog []insn) ([]bpf.Instruction, error) {
	at := make(map[string]int)
	for i, in := range prog {
		if in.label != "" {
			at[in.label] = i
		}
	}
	skip := func(from int, label string) (uint8, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := at[label]
		if !ok || to <= from || to-from-1 > 255 {
			return 0, fmt.Errorf("capture: bad jump from %d to %q", from, label)
		}
		return uint8(to - from - 1), nil
	}
	out := make([]bpf.Instruction, 0, len(prog))
	for i, in := range prog {
		if in.ins != nil {
			out = append(out, in.ins)
			continue
		}
		jt, err := skip(i, in.jt)
		if err != nil {
			return nil, err
		}
		jf, err := skip(i, in.jf)
		if err != nil {
			return nil, err
		}
		out = append(out, bpf.JumpIf{Cond: in.cond, Val: in.val, SkipTrue: jt, SkipFalse: jf})
	}
	return out, nil
}

// assembledFilter returns Filter in the kernel's encoding.
func assembledFilter() ([]bpf.RawInstruction, error) {
	raw, err := bpf.Assemble(Filter())
	if err != nil {
		return nil, fmt.Errorf("capture: assembling filter: %w", err)
	}
	return raw, nil
}
