package capture

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestWriterRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 27, 7, 0, 0, 123456789, time.UTC)
	want := []Packet{
		{Time: start, Data: frame(0x86dd, 58, icmp(133))},
		{Time: start.Add(1500 * time.Microsecond), Data: frame(0x86dd, 58, icmp(134)), Outbound: true},
		{Time: start.Add(3 * time.Second), Data: frame(0x86dd, 17, ports(546, 547))[:57], Length: 74, ChecksumFilled: true},
	}
	for i := range want[:2] {
		want[i].Length = len(want[i].Data)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "veth0")
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for _, p := range want {
		if err := w.WritePacket(p); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
	}
	if err := w.WriteStats(Stats{KernelPackets: 3, KernelDrops: 1}, start, start.Add(time.Minute)); err != nil {
		t.Fatalf("WriteStats: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("NewNgReader: %v", err)
	}
	if diff := cmp.Diff(layers.LinkTypeEthernet, r.LinkType()); diff != "" {
		t.Fatalf("link type (-want +got):\n%s", diff)
	}
	var got []Packet
	for {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("ReadPacketData: %v", err)
		}
		out := opts.Flags != nil && opts.Flags.Direction == pcapgo.NgEpbFlagDirectionOutbound
		filled := slices.Contains(opts.Comments, checksumComment)
		got = append(got, Packet{Time: ci.Timestamp.UTC(), Data: data, Length: ci.Length, Outbound: out, ChecksumFilled: filled})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("packets (-want +got):\n%s", diff)
	}
	intf, err := r.Interface(0)
	if err != nil {
		t.Fatalf("Interface: %v", err)
	}
	if diff := cmp.Diff("veth0", intf.Name); diff != "" {
		t.Fatalf("interface name (-want +got):\n%s", diff)
	}
}
