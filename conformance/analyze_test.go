package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

// scenarioFrames is a small exchange with two clients.
func scenarioFrames(t testing.TB) []tf {
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	return []tf{
		at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)),
		at(0.7, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(60*time.Second, dnsServer)})),
		at(1.2, ir(clientMAC, clientLL, 1)), at(1.21, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer2))),
		at(2, dad(t, client2MAC, client2LL)), at(2.5, rs(t, client2MAC, client2LL)),
		at(2.6, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(60*time.Second, dnsServer)})),
		at(3, query(t, client2MAC, client2LL, dnsServer, 1)), at(3.01, answer(t, client2MAC, client2LL, dnsServer, 1)),
		at(300, query(t, client2MAC, client2LL, dnsServer, 2)),
	}
}

func writePcap(t *testing.T, frames []tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(f.at), CaptureLength: len(f.b), Length: len(f.b)}
		if err := w.WritePacket(ci, f.b); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func pcapBytes(t *testing.T, frames []tf, ng bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if ng {
		w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			ci := gopacket.CaptureInfo{Timestamp: t0.Add(f.at), CaptureLength: len(f.b), Length: len(f.b)}
			if err := w.WritePacket(ci, f.b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	return writePcap(t, frames)
}

func TestAnalyze(t *testing.T) {
	frames := scenarioFrames(t)
	want := run(frames, 0)
	ignore := cmpopts.IgnoreFields(Report{}, "GeneratedAt", "Source")
	for _, ng := range []bool{false, true} {
		t.Run(fmt.Sprintf("pcapng=%v", ng), func(t *testing.T) {
			got, err := Analyze(bytes.NewReader(pcapBytes(t, frames, ng)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, ignore, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("Analyze differs from the live tracker (-want +got):\n%s", diff)
			}
			if got.Schema != SchemaVersion || got.Packets != len(frames) || len(got.Clients) != 2 {
				t.Errorf("schema %q packets %d clients %d", got.Schema, got.Packets, len(got.Clients))
			}
		})
	}
	t.Run("verdicts", func(t *testing.T) {
		got := []string{}
		for _, c := range want.Clients {
			got = append(got, c.MAC+" "+string(c.Verdict))
		}
		wantV := []string{clientMAC.String() + " dns-ok", client2MAC.String() + " dns-ok"}
		if diff := cmp.Diff(wantV, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestAnalyzeAt(t *testing.T) {
	frames := scenarioFrames(t)
	ignore := cmpopts.IgnoreFields(Report{}, "GeneratedAt", "Source")
	// As of 100 s, the query at 300 s is not seen yet: the report is that
	// of the frames before it, evaluated at 100 s.
	want := run(frames[:len(frames)-1], 100)
	got, err := AnalyzeAt(bytes.NewReader(pcapBytes(t, frames, true)), t0.Add(100*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignore, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("AnalyzeAt differs from the tracker fed up to then (-want +got):\n%s", diff)
	}
	if !got.End.Equal(t0.Add(100*time.Second)) || got.Packets != len(frames)-1 {
		t.Errorf("End %v, packets %d; want %v, %d", got.End, got.Packets, t0.Add(100*time.Second), len(frames)-1)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	var raw bytes.Buffer
	w := pcapgo.NewWriter(&raw)
	if err := w.WriteFileHeader(65536, layers.LinkTypeIEEE802_11); err != nil {
		t.Fatal(err)
	}
	full := pcapBytes(t, scenarioFrames(t), false)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{name: "empty", in: nil, want: wire.ErrUnknownFormat},
		{name: "text", in: []byte("hello world"), want: wire.ErrUnknownFormat},
		{name: "pcap header cut", in: full[:10], want: wire.ErrUnknownFormat},
		{name: "802.11", in: raw.Bytes(), want: ErrUnsupportedLinkType},
		{name: "truncated last packet", in: full[:len(full)-5], want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Analyze(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && len(findingIDs(r, wire.CheckDecode)) != 1 {
				t.Errorf("truncated capture: want one DECODE finding, got %v", findingIDs(r, wire.CheckDecode))
			}
		})
	}
}

// FuzzAnalyze checks that no capture file makes Analyze panic.
func FuzzAnalyze(f *testing.F) {
	f.Add(pcapOf(f, frametest.LinkTypeEthernet, scenarioFrames(f)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := Analyze(bytes.NewReader(b)); err == nil && r == nil {
			t.Fatal("Analyze returned neither a report nor an error")
		}
	})
}

// benchCapture is frametest.Clients: clients joining, soliciting, asking
// DHCPv6 and querying DNS, with periodic RAs.
func benchCapture(b testing.TB, clients int) []tf {
	var out []tf
	for _, f := range frametest.Clients(b, clients) {
		out = append(out, tf{at: f.At, b: f.Frame})
	}
	return out
}

// BenchmarkTrack measures decoding and tracking a capture from memory.
func BenchmarkTrack(b *testing.B) {
	frames := benchCapture(b, 2000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tr := NewTracker(Options{})
		for _, f := range frames {
			tr.ObserveFrame(f.b, t0.Add(f.at))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
	b.ReportMetric(float64(len(frames)), "packets/op")
}

// BenchmarkAnalyze measures a whole pcap file: read, decode, track, report.
func BenchmarkAnalyze(b *testing.B) {
	frames := benchCapture(b, 2000)
	capture := pcapOf(b, frametest.LinkTypeEthernet, frames)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Analyze(bytes.NewReader(capture)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
}

// TestAnalyzeBatches checks that a capture of many pipeline batches gives
// the same report as feeding the frames to a tracker one by one.
func TestAnalyzeBatches(t *testing.T) {
	frames := cycles(t, 4.05, 600, 4*time.Second)
	if len(frames) <= 2*pipelineBatch {
		t.Fatalf("%d frames: want several batches", len(frames))
	}
	want := run(frames, 0)
	got, err := Analyze(bytes.NewReader(pcapBytes(t, frames, true)))
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(Report{}, "GeneratedAt", "Source")
	if diff := cmp.Diff(want, got, ignore, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("Analyze differs from the tracker fed frame by frame (-want +got):\n%s", diff)
	}
}
