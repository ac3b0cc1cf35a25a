package conformance

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrUnknownFormat is returned for input that is neither pcap nor pcapng.
var ErrUnknownFormat = errors.New("not a pcap or pcapng capture")

// ErrUnsupportedLinkType is returned for captures whose link type is not
// Ethernet (for example tcpdump -i any, which records Linux "cooked"
// headers without the destination MAC the observer needs).
var ErrUnsupportedLinkType = errors.New("unsupported capture link type (capture on an Ethernet interface)")

// packetReader is what pcapgo's pcap and pcapng readers share.
type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// Analyze reads a pcap or pcapng capture of Ethernet frames (the format is
// detected from its magic number) and returns the report as of its last
// packet. It is the offline counterpart of feeding a live Tracker: the
// report is the same. A capture cut short (a truncated last packet) still
// gives a report, with a link-level finding saying so.
func Analyze(r io.Reader) (*Report, error) {
	t := NewTracker(Options{Source: Source{Kind: SourceFile}})
	if err := t.ReadCapture(r); err != nil {
		return nil, err
	}
	return t.Report(time.Time{}), nil
}

// ReadCapture feeds every frame of a pcap or pcapng capture to t.
func (t *Tracker) ReadCapture(r io.Reader) error {
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
	if lt := pr.LinkType(); lt != layers.LinkTypeEthernet {
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
