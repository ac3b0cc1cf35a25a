package conformance

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrUnknownFormat is returned for input that is neither pcap nor pcapng.
var ErrUnknownFormat = errors.New("not a pcap or pcapng capture")

// ErrUnsupportedLinkType is returned for captures whose link type is
// neither Ethernet nor Linux "cooked" capture (tcpdump -i any).
var ErrUnsupportedLinkType = errors.New("unsupported capture link type (capture on an Ethernet interface)")

// packetReader is what pcapgo's pcap and pcapng readers share.
type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// Analyze reads a pcap or pcapng capture of Ethernet frames or Linux
// cooked records (the format is detected from its magic number) and returns the report as of its last
// packet. It is the offline counterpart of feeding a live Tracker: the
// report is the same. A capture cut short (a truncated last packet) still
// gives a report, with a link-level finding saying so.
func Analyze(r io.Reader) (*Report, error) {
	return AnalyzeAt(r, time.Time{})
}

// AnalyzeAt is Analyze as of time at: frames captured after at are
// ignored, and verdicts are those at that moment (Report.End is at). A
// zero at means the capture's last packet, as Analyze.
func AnalyzeAt(r io.Reader, at time.Time) (*Report, error) {
	return AnalyzeWith(r, AnalyzeOptions{At: at})
}

// AnalyzeOptions tune AnalyzeWith.
type AnalyzeOptions struct {
	// At is the evaluation time; zero means the end of the capture.
	At time.Time
	// Tracker are the tracker's options (Source.Kind is set to file).
	Tracker Options
}

// AnalyzeWith is AnalyzeAt with tracker options.
func AnalyzeWith(r io.Reader, o AnalyzeOptions) (*Report, error) {
	to := o.Tracker
	to.Source.Kind = SourceFile
	t := NewTracker(to)
	if err := t.readCapture(r, o.At); err != nil {
		return nil, err
	}
	return t.Report(o.At), nil
}

// ReadCapture feeds every frame of a pcap or pcapng capture to t.
func (t *Tracker) ReadCapture(r io.Reader) error {
	return t.readCapture(r, time.Time{})
}

// readCapture is ReadCapture that stops at the first frame after until
// (zero: none).
func (t *Tracker) readCapture(r io.Reader, until time.Time) error {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("conformance: reading capture header: %w", ErrUnknownFormat)
	}
	var pr packetReader
	switch binary.LittleEndian.Uint32(magic) {
	case 0x0a0d0d0a: // pcapng Section Header Block (same in both byte orders)
		pr, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1: // pcap, µs or ns, either byte order
		pr, err = pcapgo.NewReader(br)
	default:
		return fmt.Errorf("conformance: magic %x: %w", magic, ErrUnknownFormat)
	}
	if err != nil {
		return fmt.Errorf("conformance: %w: %w", ErrUnknownFormat, err)
	}
	lt := pr.LinkType()
	var cooked *sllConverter
	switch lt {
	case layers.LinkTypeEthernet:
	case layers.LinkTypeLinuxSLL, linkTypeLinuxSLL2:
		cooked = newSLLConverter(lt == linkTypeLinuxSLL2)
	default:
		return fmt.Errorf("conformance: link type %s: %w", lt, ErrUnsupportedLinkType)
	}
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			t.truncated(err)
			return nil
		}
		if !until.IsZero() && ci.Timestamp.After(until) {
			return nil
		}
		if cooked != nil {
			data = cooked.convert(data)
		}
		t.ObserveFrame(data, ci.Timestamp)
	}
}

// truncated records that the capture ended in a damaged packet.
func (t *Tracker) truncated(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.linkFind.add(Finding{ID: CheckDecode, Severity: SeverityWarning, Time: t.last,
		Message: fmt.Sprintf("capture ends in a damaged record after packet %d: %v", t.packets, err)}, "truncated")
}

// linkTypeLinuxSLL2 is LINKTYPE_LINUX_SLL2 (tcpdump.org link types).
const linkTypeLinuxSLL2 layers.LinkType = 276

// maxLearned bounds the IPv6-to-MAC map of an sllConverter.
const maxLearned = 1 << 16

// sllConverter turns Linux "cooked" capture records (SLL, SLL2) into
// Ethernet frames. The cooked header has the sender's MAC but not the
// destination's: that is the group MAC for multicast (RFC 2464 §7) and,
// for unicast, the MAC learned from earlier packets from that address
// (zero when unknown).
type sllConverter struct {
	v2      bool
	learned map[netip.Addr]MAC
	buf     []byte
}

func newSLLConverter(v2 bool) *sllConverter {
	return &sllConverter{v2: v2, learned: make(map[netip.Addr]MAC)}
}

// convert returns an Ethernet frame for cooked record b, or b itself when
// it is too short to convert (the decoder then reports it).
func (s *sllConverter) convert(b []byte) []byte {
	var proto uint16
	var halen int
	var addr, payload []byte
	if s.v2 {
		// SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1)
		// halen(1) address(8).
		if len(b) < 20 {
			return b
		}
		proto, halen, addr, payload = binary.BigEndian.Uint16(b[0:2]), int(b[11]), b[12:20], b[20:]
	} else {
		// SLL: pkttype(2) hatype(2) halen(2) address(8) protocol(2).
		if len(b) < 16 {
			return b
		}
		halen, addr, proto, payload = int(binary.BigEndian.Uint16(b[4:6])), b[6:14], binary.BigEndian.Uint16(b[14:16]), b[16:]
	}
	var src, dst MAC
	if halen == 6 {
		copy(src[:], addr[:6])
	}
	if proto == 0x86dd && len(payload) >= 40 {
		sip := netip.AddrFrom16([16]byte(payload[8:24]))
		dip := netip.AddrFrom16([16]byte(payload[24:40]))
		if halen == 6 && !sip.IsUnspecified() && (len(s.learned) < maxLearned || s.learned[sip] != (MAC{})) {
			s.learned[sip] = src
		}
		if dip.IsMulticast() {
			d := dip.As16()
			dst = MAC{0x33, 0x33, d[12], d[13], d[14], d[15]}
		} else {
			dst = s.learned[dip]
		}
	} else if proto == 0x0800 {
		dst = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	s.buf = append(s.buf[:0], dst[:]...)
	s.buf = append(s.buf, src[:]...)
	s.buf = binary.BigEndian.AppendUint16(s.buf, proto)
	return append(s.buf, payload...)
}
