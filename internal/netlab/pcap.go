package netlab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// ErrPcap is wrapped by errors about an unreadable pcap file.
var ErrPcap = errors.New("netlab: bad pcap file")

// A Frame is one captured link-layer frame.
type Frame struct {
	// At is the capture timestamp.
	At time.Time
	// Data is the frame, from the Ethernet header on.
	Data []byte
}

// ReadPcap returns the frames of the classic pcap file at path, as
// Host.StartPcap writes it. A file still being written is read up to its
// last whole record.
func ReadPcap(path string) ([]Frame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	return ParsePcap(b)
}

// ParsePcap is ReadPcap on the file's contents. A file too short for its
// header (tcpdump has not written it yet) has no frames.
func ParsePcap(b []byte) ([]Frame, error) {
	// The file header is 24 octets (pcap-savefile(5)).
	if len(b) < 24 {
		return nil, nil
	}
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPcap, err)
	}
	var out []Frame
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%w: %w", ErrPcap, err)
		}
		out = append(out, Frame{At: ci.Timestamp, Data: data})
	}
}
