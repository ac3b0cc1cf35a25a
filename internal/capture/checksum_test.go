package capture

import (
	"bytes"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// serialize builds a frame with gopacket, which computes checksums
// independently of fillChecksum.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ls...); err != nil {
		t.Fatalf("SerializeLayers: %v", err)
	}
	return bytes.Clone(buf.Bytes())
}

// must fails t on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// goodFrames returns frames with correct checksums and the offset of the
// checksum in each.
func goodFrames(t testing.TB) map[string]struct {
	frame []byte
	at    int
} {
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 2, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 1, 1}, EthernetType: et}
	}
	ip6 := func(nh layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, NextHeader: nh, HopLimit: 255, SrcIP: net.ParseIP("fe80::ff:fe00:201"), DstIP: net.ParseIP("ff02::1:2")}
	}
	ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4zero.To4(), DstIP: net.IPv4bcast.To4()}
	payload := gopacket.Payload([]byte("odd-length payload!"))

	udp6 := &layers.UDP{SrcPort: 546, DstPort: 547}
	v6 := ip6(layers.IPProtocolUDP)
	must(t, udp6.SetNetworkLayerForChecksum(v6))
	tcp6 := &layers.TCP{SrcPort: 40000, DstPort: 53, SYN: true, Window: 1000}
	v6t := ip6(layers.IPProtocolTCP)
	must(t, tcp6.SetNetworkLayerForChecksum(v6t))
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(133, 0)}
	v6i := ip6(layers.IPProtocolICMPv6)
	must(t, icmp.SetNetworkLayerForChecksum(v6i))
	udp4 := &layers.UDP{SrcPort: 68, DstPort: 67}
	must(t, udp4.SetNetworkLayerForChecksum(ip4))
	udpv := &layers.UDP{SrcPort: 546, DstPort: 547}
	v6v := ip6(layers.IPProtocolUDP)
	must(t, udpv.SetNetworkLayerForChecksum(v6v))
	vlan := &layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv6}

	return map[string]struct {
		frame []byte
		at    int
	}{
		"IPv6 UDP":      {serialize(t, eth(layers.EthernetTypeIPv6), v6, udp6, payload), 14 + 40 + 6},
		"IPv6 TCP":      {serialize(t, eth(layers.EthernetTypeIPv6), v6t, tcp6), 14 + 40 + 16},
		"ICMPv6":        {serialize(t, eth(layers.EthernetTypeIPv6), v6i, icmp, gopacket.Payload(make([]byte, 4))), 14 + 40 + 2},
		"IPv4 UDP":      {serialize(t, eth(layers.EthernetTypeIPv4), ip4, udp4, payload), 14 + 20 + 6},
		"VLAN IPv6 UDP": {serialize(t, eth(layers.EthernetTypeDot1Q), vlan, v6v, udpv, payload), 18 + 40 + 6},
	}
}

func TestFillChecksum(t *testing.T) {
	for name, g := range goodFrames(t) {
		t.Run(name, func(t *testing.T) {
			partial := bytes.Clone(g.frame)
			// What the kernel hands over before offload: a partial sum.
			partial[g.at], partial[g.at+1] = 0x12, 0x34
			if !fillChecksum(partial) {
				t.Fatal("fillChecksum changed nothing")
			}
			if diff := cmp.Diff(g.frame, partial); diff != "" {
				t.Fatalf("filled frame (-gopacket +ours):\n%s", diff)
			}
		})
	}
}

func TestFillChecksumLeavesAlone(t *testing.T) {
	g := goodFrames(t)
	udp4 := bytes.Clone(g["IPv4 UDP"].frame)
	udp4[14+6] = 0x20 // more fragments
	tests := []struct {
		name  string
		frame []byte
	}{
		{name: "truncated IPv6", frame: g["IPv6 UDP"].frame[:60]},
		{name: "IPv4 fragment", frame: udp4},
		{name: "hop-by-hop first", frame: frame(0x86dd, 0, make([]byte, 16))},
		{name: "ARP", frame: frame(0x0806, 0, nil)},
		{name: "runt", frame: []byte{1, 2, 3}},
		{name: "empty", frame: nil},
		{name: "triple VLAN", frame: append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x86, 0xdd)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bytes.Clone(tt.frame)
			if fillChecksum(tt.frame) {
				t.Fatal("fillChecksum reported a change")
			}
			if diff := cmp.Diff(before, tt.frame); diff != "" {
				t.Fatalf("frame changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUDPZeroChecksumSentAsOnes(t *testing.T) {
	// Find a UDP payload whose checksum computes to zero by adjusting two
	// payload bytes: then the field must hold 0xffff (RFC 768).
	f := bytes.Clone(goodFrames(t)["IPv6 UDP"].frame)
	at := 14 + 40 + 6
	sum := uint16(f[at])<<8 | uint16(f[at+1])
	// Adding the checksum's value to the payload makes the new sum ~0.
	last := len(f) - 2
	if (len(f)-(14+40))%2 == 1 {
		last = len(f) - 3
	}
	v := uint32(f[last])<<8 | uint32(f[last+1])
	v += uint32(sum)
	v = v&0xffff + v>>16
	f[last], f[last+1] = byte(v>>8), byte(v)
	if !fillChecksum(f) {
		t.Fatal("fillChecksum changed nothing")
	}
	if got := uint16(f[at])<<8 | uint16(f[at+1]); got != 0xffff {
		t.Fatalf("checksum %#04x, want 0xffff", got)
	}
}

func TestInsertVLAN(t *testing.T) {
	f := frame(0x86dd, 58, icmp(134))
	tests := []struct {
		name string
		aux  auxdata
		want []byte
	}{
		{name: "no tag", aux: auxdata{}, want: f},
		{name: "802.1Q", aux: auxdata{status: 0x10, vlanTCI: 0x2005}, want: append(append(bytes.Clone(f[:12]), 0x81, 0x00, 0x20, 0x05), f[12:]...)},
		{name: "802.1ad", aux: auxdata{status: 0x10 | 0x40, vlanTCI: 7, vlanTPID: 0x88a8}, want: append(append(bytes.Clone(f[:12]), 0x88, 0xa8, 0x00, 0x07), f[12:]...)},
		{name: "priority tag", aux: auxdata{status: 0x10}, want: append(append(bytes.Clone(f[:12]), 0x81, 0x00, 0, 0), f[12:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, insertVLAN(bytes.Clone(f), tt.aux)); diff != "" {
				t.Fatalf("frame (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzFillChecksum(f *testing.F) {
	for _, g := range goodFrames(f) {
		f.Add(g.frame)
	}
	f.Add(frame(0x86dd, 17, ports(546, 547)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !fillChecksum(b) {
			return
		}
		// Filling twice is stable.
		again := bytes.Clone(b)
		fillChecksum(again)
		if !bytes.Equal(b, again) {
			t.Fatalf("second fill changed the frame: %x -> %x", b, again)
		}
	})
}
