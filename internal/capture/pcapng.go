package capture

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// A Writer stores captured frames as a pcapng file with one Ethernet
// interface. It buffers: call Flush to push data to the underlying writer.
type Writer struct {
	ng *pcapgo.NgWriter
}

// NewWriter writes the pcapng section header and an interface description
// for interface ifName to w.
func NewWriter(w io.Writer, ifName string) (*Writer, error) {
	intf := pcapgo.NgInterface{
		Name:                ifName,
		Filter:              PcapFilter,
		Comment:             "ralab capture filter: " + FilterDescription,
		OS:                  runtime.GOOS,
		LinkType:            layers.LinkTypeEthernet,
		TimestampResolution: 9, // nanoseconds: 10^-9 (pcapng if_tsresol)
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware:    runtime.GOARCH,
		OS:          runtime.GOOS,
		Application: "ralab",
		Comment:     "captured by ralab on " + ifName,
	}}
	ng, err := pcapgo.NewNgWriterInterface(w, intf, opts)
	if err != nil {
		return nil, fmt.Errorf("capture: writing pcapng header: %w", err)
	}
	return &Writer{ng: ng}, nil
}

// checksumComment is the pcapng packet comment on frames whose checksum
// the Listener filled in.
const checksumComment = "ralab computed the transport checksum: the kernel delivered this frame " +
	"before checksum offload filled it in (TP_STATUS_CSUMNOTREADY)"

// WritePacket appends p, with its direction in the packet flags and a
// comment when its checksum was filled in.
func (w *Writer) WritePacket(p Packet) error {
	dir := pcapgo.NgEpbFlagDirectionInbound
	if p.Outbound {
		dir = pcapgo.NgEpbFlagDirectionOutbound
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     p.Time,
		CaptureLength: len(p.Data),
		Length:        max(p.Length, len(p.Data)),
	}
	opts := pcapgo.NgPacketOptions{Flags: &pcapgo.NgEpbFlags{Direction: dir}}
	if p.ChecksumFilled {
		opts.Comments = []string{checksumComment}
	}
	err := w.ng.WritePacketWithOptions(ci, p.Data, opts)
	if err != nil {
		return fmt.Errorf("capture: writing packet: %w", err)
	}
	return nil
}

// WriteStats appends an interface statistics block: when the capture ran,
// how many frames the kernel passed the filter and how many it dropped.
func (w *Writer) WriteStats(s Stats, start, end time.Time) error {
	err := w.ng.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{
		LastUpdate:      end,
		StartTime:       start,
		EndTime:         end,
		PacketsReceived: s.KernelPackets,
		PacketsDropped:  s.KernelDrops,
	})
	if err != nil {
		return fmt.Errorf("capture: writing statistics: %w", err)
	}
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.ng.Flush(); err != nil {
		return fmt.Errorf("capture: flushing pcapng: %w", err)
	}
	return nil
}
