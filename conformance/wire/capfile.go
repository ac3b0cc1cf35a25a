package wire

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Bounds on what a capture file may claim: every size read from a file is
// checked against them before anything is allocated or skipped.
const (
	// maxBlock is the largest pcapng block accepted (Wireshark's limit
	// for a block it will read).
	maxBlock = 16 << 20
	// maxSnap is the largest pcap record accepted: libpcap's
	// MAXIMUM_SNAPLEN.
	maxSnap = 262144
	// maxInterfaces bounds the interfaces of one pcapng file.
	maxInterfaces = 1024
	// capBuffer is the read buffer; blocks that fit are read without a
	// copy, larger ones are copied.
	capBuffer = 256 << 10
)

// ErrUnknownFormat is returned for input that is neither pcap nor pcapng.
var ErrUnknownFormat = errors.New("not a pcap or pcapng capture")

// ErrDamagedCapture is wrapped by the errors of a capture file that is
// damaged after its header: a record that claims an impossible size, or
// names an interface the file does not describe.
var ErrDamagedCapture = errors.New("damaged capture record")

// pcapng block types (draft-ietf-opsawg-pcapng §4).
const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 1
	blockPB  = 2 // obsolete Packet Block
	blockSPB = 3
	blockISB = 5
	blockEPB = 6
)

// Interface is one interface of a capture: a pcap file has one, a
// pcapng file one per Interface Description Block, numbered across its
// sections.
type Interface struct {
	// LinkType is the LINKTYPE_ value.
	LinkType uint16
	// SnapLen is the snapshot length (0: none).
	SnapLen uint32
	// Name is if_name, when the file has it.
	Name string
	// isbStart and isbEnd are the isb_starttime and isb_endtime of the
	// interface's statistics block with the latest end, in ticks (zero:
	// none).
	isbStart, isbEnd uint64
	// first and last are the times of its first and last packets.
	first, last time.Time
	// units are timestamp ticks per second (if_tsresol).
	units uint64
	// offset is if_tsoffset, in seconds.
	offset int64
}

// time converts a timestamp in the interface's units.
func (i *Interface) time(ts uint64) time.Time {
	return ticksTime(ts, i.units, i.offset)
}

// ticksTime converts ts ticks of units per second, plus offset seconds.
func ticksTime(ts, units uint64, offset int64) time.Time {
	var sec, ns uint64
	switch units {
	case 1e9:
		sec, ns = ts/1e9, ts%1e9
	case 1e6:
		sec, ns = ts/1e6, ts%1e6*1e3
	default:
		// Other resolutions are rare: float64 keeps the fraction to
		// well under a nanosecond.
		sec = ts / units
		ns = min(uint64(float64(ts%units)*1e9/float64(units)), 999999999)
	}
	return time.Unix(int64(sec)+offset, int64(ns)).UTC()
}

// seen notes a packet of the interface at t.
func (i *Interface) seen(t time.Time) {
	if i.first.IsZero() || t.Before(i.first) {
		i.first = t
	}
	if t.After(i.last) {
		i.last = t
	}
}

// end returns the interface's isb_endtime (zero: none). dumpcap writes
// ISB times in microseconds whatever the interface's if_tsresol
// (Wireshark's writecap/pcapio.c); when the time read in the interface's
// units ends before its last packet but read in microseconds it brackets
// its packets, it is read in microseconds.
func (i *Interface) end() time.Time {
	if i.isbEnd == 0 {
		return time.Time{}
	}
	end := i.time(i.isbEnd)
	if i.units == 1e6 || i.last.IsZero() || !end.Before(i.last) {
		return end
	}
	us := ticksTime(i.isbEnd, 1e6, i.offset)
	if us.Before(i.last) || i.isbStart != 0 && ticksTime(i.isbStart, 1e6, i.offset).After(i.first) {
		return end
	}
	return us
}

// Record is one packet of a capture file. Data is valid until the
// next call to Next.
type Record struct {
	Data  []byte
	Time  time.Time
	Iface int
}

// CaptureReader reads pcap and pcapng files without copying packets that fit
// its buffer and without allocating per packet.
type CaptureReader struct {
	r      *bufio.Reader
	ng     bool
	big    bool // pcap/pcapng section byte order is big-endian
	nanos  bool // pcap timestamps in nanoseconds
	ifaces []Interface
	// base is the index of the current section's first interface.
	base int
	// last is the previous packet's time (Simple Packet Blocks have none).
	last time.Time
	// spill holds blocks larger than the buffer.
	spill []byte
	// offset counts the bytes consumed and blockStart is the offset of
	// the current pcapng block, for error messages.
	offset, blockStart int64
}

// NewCaptureReader reads the file header of a pcap or pcapng capture,
// gzip-compressed or not.
func NewCaptureReader(r io.Reader) (*CaptureReader, error) {
	br := bufio.NewReaderSize(r, capBuffer)
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("conformance: gzip: %w: %w", ErrUnknownFormat, err)
		}
		br = bufio.NewReaderSize(zr, capBuffer)
	}
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("conformance: reading capture header: %w", ErrUnknownFormat)
	}
	c := &CaptureReader{r: br}
	switch binary.LittleEndian.Uint32(magic) {
	case blockSHB:
		c.ng = true
		if err := c.readBlock(true); err != nil {
			return nil, fmt.Errorf("conformance: %w: %w", ErrUnknownFormat, err)
		}
		return c, nil
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		if err := c.readPcapHeader(); err != nil {
			return nil, fmt.Errorf("conformance: %w: %w", ErrUnknownFormat, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("conformance: magic %x: %w", magic, ErrUnknownFormat)
}

func (c *CaptureReader) u16(b []byte) uint16 {
	if c.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (c *CaptureReader) u32(b []byte) uint32 {
	if c.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// take returns the next n bytes, in the buffer when they fit, and
// consumes them.
func (c *CaptureReader) take(n int) ([]byte, error) {
	var b []byte
	if n <= c.r.Size() {
		p, err := c.r.Peek(n)
		if err != nil {
			return nil, shortRead(err)
		}
		b = p
		_, _ = c.r.Discard(n)
	} else {
		c.spill = c.spill[:0]
		for len(c.spill) < n {
			k := min(n-len(c.spill), capBuffer)
			c.spill = append(c.spill, make([]byte, k)...)
			if _, err := io.ReadFull(c.r, c.spill[len(c.spill)-k:]); err != nil {
				return nil, shortRead(err)
			}
		}
		b = c.spill
	}
	c.offset += int64(n)
	return b, nil
}

// shortRead turns a read that ended early into io.ErrUnexpectedEOF.
func shortRead(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readPcapHeader reads a pcap file header (draft-ietf-opsawg-pcap §4).
func (c *CaptureReader) readPcapHeader() error {
	h, err := c.take(24)
	if err != nil {
		return err
	}
	switch binary.LittleEndian.Uint32(h) {
	case 0xa1b2c3d4:
	case 0xd4c3b2a1:
		c.big = true
	case 0xa1b23c4d:
		c.nanos = true
	case 0x4d3cb2a1:
		c.big, c.nanos = true, true
	}
	units := uint64(1e6)
	if c.nanos {
		units = 1e9
	}
	// LinkType and additional information: the link type is the low 16
	// bits; the others say whether frames carry an FCS.
	c.ifaces = append(c.ifaces, Interface{LinkType: c.u16(h[20:22]), SnapLen: c.u32(h[16:20]), units: units})
	return nil
}

// Next returns the next packet record, io.EOF at the end of the file, or
// an error wrapping ErrDamagedCapture or io.ErrUnexpectedEOF.
func (c *CaptureReader) Next() (Record, error) {
	if !c.ng {
		return c.nextPcap()
	}
	for {
		rec, ok, err := c.nextBlock()
		if err != nil || ok {
			return rec, err
		}
	}
}

func (c *CaptureReader) nextPcap() (Record, error) {
	h, err := c.r.Peek(16)
	if err != nil {
		if errors.Is(err, io.EOF) && len(h) == 0 {
			return Record{}, io.EOF
		}
		return Record{}, shortRead(err)
	}
	sec, frac, incl := c.u32(h[0:4]), c.u32(h[4:8]), c.u32(h[8:12])
	if incl > maxSnap {
		return Record{}, fmt.Errorf("record at byte %d claims %d captured bytes, more than the %d a capture can hold: %w",
			c.offset, incl, maxSnap, ErrDamagedCapture)
	}
	_, _ = c.r.Discard(16)
	c.offset += 16
	data, err := c.take(int(incl))
	if err != nil {
		return Record{}, err
	}
	ns := int64(frac) * 1000
	if c.nanos {
		ns = int64(frac)
	}
	c.last = time.Unix(int64(sec), ns).UTC()
	return Record{Data: data, Time: c.last}, nil
}

// PcapNG reports whether the file is pcapng (else pcap).
func (c *CaptureReader) PcapNG() bool { return c.ng }

// Interface returns interface i of the capture (i < the number of
// interfaces described so far: a Record's Iface is).
func (c *CaptureReader) Interface(i int) Interface { return c.ifaces[i] }

// Converter returns a new converter of interface i's records to Ethernet
// frames, or nil when its link type is not one the observer reads.
func (c *CaptureReader) Converter(i int) *LinkConverter {
	return newLinkConverter(c.ifaces[i].LinkType, !c.ng)
}
