package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

// capWriter writes tf frames through internal/capture's pcapng writer,
// with an interface statistics block ending at end when end is set.
func capWriter(t testing.TB, fs []tf, end time.Duration) []byte {
	t.Helper()
	return frametest.CapWriter(t, frames(fs), end)
}

// endFrames has an RDNSS of 60 s that a client uses, then 10 s of
// unrelated traffic: the RDNSS runs out after the last packet.
func endFrames(t testing.TB) []tf {
	return []tf{
		at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)),
		at(0.7, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(60*time.Second, dnsServer)})),
		at(3, query(t, clientMAC, clientLL, dnsServer, 1)), at(3.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
		at(10, query(t, clientMAC, clientLL, dnsServer, 2)),
	}
}

// TestAnalyzeCaptureEnd checks that a capture is evaluated at its
// recorded end (isb_endtime), in the interface's time units and offset,
// and that an explicit time still wins.
func TestAnalyzeCaptureEnd(t *testing.T) {
	frames := endFrames(t)
	custom := func(big bool, tsresol uint8, units uint64, offset int64, end float64) []byte {
		w := &ngFile{Big: big}
		w.Shb().Idb(frametest.LinkTypeEthernet, "eth0", tsresol, offset)
		tick := func(d time.Duration) uint64 {
			at := t0.Add(d).Add(-time.Duration(offset) * time.Second)
			return uint64(at.Unix())*units + uint64(at.Nanosecond())*units/1e9
		}
		for _, f := range frames {
			w.Epb(0, tick(f.at), f.b)
		}
		return w.Isb(0, tick(time.Duration(end*float64(time.Second))), tick(time.Duration(end*float64(time.Second)))).B
	}
	// dumpcap writes ISB times in microseconds, whatever if_tsresol.
	dumpcap := func(start, end float64) []byte {
		w := (&ngFile{}).Shb().Idb(frametest.LinkTypeEthernet, "lab0", 9, 0)
		for _, f := range frames {
			w.Epb(0, uint64(t0.Add(f.at).UnixNano()), f.b)
		}
		us := func(s float64) uint64 { return uint64(t0.Add(time.Duration(s * float64(time.Second))).UnixMicro()) }
		b := w.TS(w.Order().AppendUint32(nil, 0), us(end))
		return w.Block(frametest.BlockISB, append(b, w.Opts(w.Opt(frametest.OptIsbStart, w.TS(nil, us(start))), w.Opt(frametest.OptIsbEnd, w.TS(nil, us(end))))...)).B
	}
	tests := []struct {
		name string
		file []byte
		at   float64 // AnalyzeAt time, seconds after t0; 0: none
		want float64 // evaluation time, seconds after t0
	}{
		{name: "capture writer ISB", file: capWriter(t, frames, 120*time.Second), want: 120},
		{name: "no ISB: last packet", file: capWriter(t, frames, 0), want: 10},
		{name: "ISB before the last packet", file: capWriter(t, frames, 5*time.Second), want: 10},
		{name: "explicit time wins", file: capWriter(t, frames, 120*time.Second), at: 30, want: 30},
		{name: "microseconds, offset, big-endian", file: custom(true, 6, 1e6, 1_700_000_000, 120), want: 120},
		{name: "2^-20 s units", file: custom(false, 0x80|20, 1<<20, 0, 90), want: 90},
		{name: "dumpcap: ISB in microseconds", file: dumpcap(-1, 120), want: 120},
		{name: "dumpcap-like, start after the first packet", file: dumpcap(1, 120), want: 10},
	}
	ignore := cmpopts.IgnoreFields(Report{}, "GeneratedAt", "Source")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at time.Time
			if tt.at != 0 {
				at = t0.Add(time.Duration(tt.at * float64(time.Second)))
			}
			got, err := AnalyzeAt(bytes.NewReader(tt.file), at)
			if err != nil {
				t.Fatal(err)
			}
			want := run(frames, tt.want)
			// Time units coarser than the frames' round their times.
			if diff := cmp.Diff(viewOf(want), viewOf(got)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			if d := got.End.Sub(want.End); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("End = %v, want %v", got.End, want.End)
			}
			if tt.name == "capture writer ISB" {
				if diff := cmp.Diff(want, got, ignore, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Errorf("report (-want +got):\n%s", diff)
				}
			}
		})
	}
	// The RDNSS expired at 60.7 s: held at the last packet, not at 120 s.
	last, _ := Analyze(bytes.NewReader(capWriter(t, frames, 0)))
	end, _ := Analyze(bytes.NewReader(capWriter(t, frames, 120*time.Second)))
	got := []Verdict{clientOf(t, last, clientMAC).Verdict, clientOf(t, end, clientMAC).Verdict}
	if diff := cmp.Diff([]Verdict{VerdictDNSOK, VerdictDNSLost}, got); diff != "" {
		t.Errorf("verdict at the last packet, at isb_endtime (-want +got):\n%s", diff)
	}
}

// linkRecord, pcapOf and ngOf write frames as records and files of a
// link type (frametest's).
var linkRecord = frametest.LinkRecord

func pcapOf(t testing.TB, lt uint16, fs []tf) []byte { return frametest.PcapOf(t, lt, frames(fs)) }
func ngOf(lt uint16, fs []tf) []byte                 { return frametest.NgOf(lt, frames(fs)) }

// ngFile builds pcapng files block by block.
type ngFile = frametest.NgFile

// linkView is what must not depend on the link type of a capture.
type linkView struct {
	Clients  []clientView
	Reasons  []string
	Routers  []string
	Packets  int
	Ignored  int
	Findings []string
}

func linkViewOf(r *Report) linkView {
	v := linkView{Clients: viewOf(r), Packets: r.Packets, Ignored: r.Ignored}
	for _, c := range r.Clients {
		v.Reasons = append(v.Reasons, c.Reason)
	}
	for _, rt := range r.Routers {
		v.Routers = append(v.Routers, rt.MAC)
	}
	for _, f := range r.Findings {
		if f.ID != CheckCapture {
			v.Findings = append(v.Findings, f.ID+" "+f.Message)
		}
	}
	return v
}

// TestAnalyzeLinkTypes checks that Linux cooked and raw IP captures of
// the same traffic give the verdicts of the Ethernet capture.
func TestAnalyzeLinkTypes(t *testing.T) {
	frames := append(scenarioFrames(t), benchCapture(t, 3)...)
	want := linkViewOf(run(frames, 0))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(ngOf(frametest.LinkTypeEthernet, frames)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
	}{
		{name: "Ethernet pcapng, gzip", file: gz.Bytes()},
		{name: "SLL pcap", file: pcapOf(t, frametest.LinkTypeLinuxSLL, frames)},
		{name: "SLL2 pcapng", file: ngOf(frametest.LinkTypeLinuxSLL2, frames)},
		{name: "raw IP (101) pcap", file: pcapOf(t, frametest.LinkTypeRaw, frames)},
		{name: "DLT_RAW 12 pcap", file: pcapOf(t, frametest.LinkTypeDLTRaw12, frames)},
		{name: "DLT_RAW 14 pcap", file: pcapOf(t, frametest.LinkTypeDLTRaw14, frames)},
		{name: "raw IPv6 (229) pcapng", file: ngOf(frametest.LinkTypeIPv6, frames)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Analyze(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, linkViewOf(got)); diff != "" {
				t.Errorf("(-Ethernet +%s):\n%s", tt.name, diff)
			}
		})
	}
}

// TestAnalyzeInterfaces checks a pcapng whose interfaces have different
// link types: each is read as its own type, and packets on an
// unsupported one are counted, skipped and reported per interface.
func TestAnalyzeInterfaces(t *testing.T) {
	frames := scenarioFrames(t)
	w := (&ngFile{}).Shb().Idb(frametest.LinkTypeEthernet, "eth0", 9, 0).Idb(frametest.LinkTypeIPv6, "tun0", 9, 0).Idb(105, "wlan0mon", 9, 0)
	for i, f := range frames {
		iface := uint32(i % 2)
		ts := uint64(t0.Add(f.at).UnixNano())
		w.Epb(iface, ts, linkRecord(map[uint32]uint16{0: frametest.LinkTypeEthernet, 1: frametest.LinkTypeIPv6}[iface], f.b))
		if i < 3 {
			w.Epb(2, ts, []byte("802.11 frame"))
		}
	}
	got, err := Analyze(bytes.NewReader(w.B))
	if err != nil {
		t.Fatal(err)
	}
	want := run(frames, 0)
	if diff := cmp.Diff(viewOf(want), viewOf(got)); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	var capFindings []string
	for _, f := range got.Findings {
		if f.ID == CheckCapture {
			capFindings = append(capFindings, f.Severity+" "+f.Message[:min(len(f.Message), 50)])
		}
	}
	wantF := []string{
		"info interface 1 (tun0): raw IP, no link-layer header: ",
		"warning interface 2 (wlan0mon): 3 packets skipped: link ty",
	}
	if diff := cmp.Diff(wantF, capFindings); diff != "" {
		t.Errorf("capture findings (-want +got):\n%s", diff)
	}
	if got.Packets != len(frames)+3 || got.Ignored != want.Ignored+3 {
		t.Errorf("packets %d ignored %d, want %d and %d", got.Packets, got.Ignored, len(frames)+3, want.Ignored+3)
	}
	// Skipped packets keep their numbers: the first three frames are
	// packets 1, 3 and 5, the others follow the last skipped one.
	var nums []int
	for _, e := range clientOf(t, got, clientMAC).Timeline {
		if e.Packet != 0 {
			nums = append(nums, e.Packet)
		}
	}
	if diff := cmp.Diff([]int{1, 3, 5, 7, 8}, nums[:min(len(nums), 5)]); diff != "" {
		t.Errorf("packet numbers of %s's events (-want +got):\n%s", clientMAC, diff)
	}

	only := (&ngFile{}).Shb().Idb(105, "", 0, 0).Epb(0, 1, []byte("x")).B
	if _, err := Analyze(bytes.NewReader(only)); !errors.Is(err, ErrUnsupportedLinkType) || !strings.Contains(err.Error(), "1 packets skipped") {
		t.Errorf("capture of only 802.11: err = %v, want ErrUnsupportedLinkType", err)
	}
}

// TestCapReaderDamaged checks that impossible sizes and references in a
// capture end the reading with a clear error, reported as a finding
// after the packets read before it.
func TestCapReaderDamaged(t *testing.T) {
	frame := query(t, clientMAC, clientLL, dnsServer, 1)
	good := func() *ngFile { return (&ngFile{}).Shb().Idb(frametest.LinkTypeEthernet, "", 0, 0).Epb(0, 1, frame) }
	// patch sets the 32-bit field at off, from the start of the last
	// record when off >= 0, from the end of the file when off < 0.
	patch := func(b []byte, start, off int, v uint32) []byte {
		b = bytes.Clone(b)
		if off < 0 {
			start = len(b)
		}
		binary.LittleEndian.PutUint32(b[start+off:], v)
		return b
	}
	first := len(good().B)
	last := good().Epb(0, 2, frame).B
	pcap := pcapOf(t, frametest.LinkTypeEthernet, []tf{at(0, frame), at(1, frame)})
	pcapFirst := len(pcap) - 16 - len(frame)
	tests := []struct {
		name    string
		file    []byte
		message string
	}{
		{name: "block length past the cap", file: patch(last, first, 4, 16<<20+4), message: "claims length 16777220"},
		{name: "block length not a multiple of 4", file: patch(last, first, 4, 33), message: "claims length 33"},
		{name: "trailing length differs", file: patch(last, first, -4, 8), message: "trailing length 8"},
		{name: "captured length past the block", file: patch(last, first, 20, 9999), message: "claims 9999 captured bytes"},
		{name: "unknown interface", file: patch(last, first, 8, 7), message: "interface 7 not described"},
		{name: "cut short", file: last[:len(last)-10], message: "unexpected EOF"},
		{name: "pcap record past the snaplen cap", file: patch(pcap, pcapFirst, 8, 262144+1), message: "more than the 262144"},
		{name: "bad if_tsresol", file: (&ngFile{}).Shb().Idb(1, "", 0, 0).Epb(0, 1, frame).Idb(1, "", 20, 0).B, message: "if_tsresol 10^-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Analyze(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, f := range r.Findings {
				if f.ID == wire.CheckDecode {
					msgs = append(msgs, f.Message)
				}
			}
			if r.Packets != 1 || len(msgs) != 1 || !strings.Contains(msgs[0], tt.message) {
				t.Errorf("packets %d, findings %q; want 1 packet and one finding with %q", r.Packets, msgs, tt.message)
			}
		})
	}
}
