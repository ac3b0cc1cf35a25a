package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// pcapng option codes (draft-ietf-opsawg-pcapng §4.2, §4.6).
const (
	optEnd       = 0
	optIfName    = 2
	optIfTsresol = 9
	optIfTsoff   = 14
	optIsbStart  = 2
	optIsbEnd    = 3
)

// damaged returns an error about the block at the reader's offset.
func (c *CaptureReader) damaged(format string, args ...any) error {
	return fmt.Errorf("pcapng block at byte %d: %s: %w", c.blockStart, fmt.Sprintf(format, args...), ErrDamagedCapture)
}

// block reads the block at the reader's position, checking its length
// fields, and returns its type and body (between the length fields), or
// io.EOF at the end of the file.
func (c *CaptureReader) block() (uint32, []byte, error) {
	c.blockStart = c.offset
	h, err := c.r.Peek(12)
	if err != nil {
		if len(h) == 0 && errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, shortRead(err)
	}
	typ := c.u32(h[0:4])
	if typ == blockSHB {
		switch binary.LittleEndian.Uint32(h[8:12]) {
		case 0x1a2b3c4d:
			c.big = false
		case 0x4d3c2b1a:
			c.big = true
		default:
			return 0, nil, c.damaged("section header with byte-order magic %x", h[8:12])
		}
	}
	n := c.u32(h[4:8])
	if n < 12 || n%4 != 0 || n > maxBlock {
		return 0, nil, c.damaged("block type %#x claims length %d (a multiple of 4 from 12 to %d)", typ, n, maxBlock)
	}
	b, err := c.take(int(n))
	if err != nil {
		return 0, nil, err
	}
	if t := c.u32(b[n-4:]); t != n {
		return 0, nil, c.damaged("block type %#x: trailing length %d differs from %d", typ, t, n)
	}
	return typ, b[8 : n-4], nil
}

// readBlock reads one non-packet block; with first, it must be a
// Section Header Block.
func (c *CaptureReader) readBlock(first bool) error {
	typ, body, err := c.block()
	if err != nil {
		return err
	}
	if first && typ != blockSHB {
		return c.damaged("file does not start with a section header")
	}
	return c.control(typ, body)
}

// nextBlock reads one block and returns its packet, if it is one.
func (c *CaptureReader) nextBlock() (Record, bool, error) {
	typ, body, err := c.block()
	if err != nil {
		return Record{}, false, err
	}
	var rec Record
	switch typ {
	case blockEPB, blockPB:
		rec, err = c.packet(typ, body)
	case blockSPB:
		rec, err = c.simplePacket(body)
	default:
		return Record{}, false, c.control(typ, body)
	}
	if err != nil {
		return Record{}, false, err
	}
	c.last = rec.Time
	c.ifaces[rec.Iface].seen(rec.Time)
	return rec, true, nil
}

// control handles a block that is not a packet: section headers,
// interface descriptions and statistics; others are skipped.
func (c *CaptureReader) control(typ uint32, body []byte) error {
	switch typ {
	case blockSHB:
		if len(body) < 16 {
			return c.damaged("section header of %d bytes", len(body))
		}
		if v := c.u16(body[4:6]); v != 1 {
			return c.damaged("pcapng major version %d (want 1)", v)
		}
		c.base = len(c.ifaces)
	case blockIDB:
		return c.addInterface(body)
	case blockISB:
		return c.statistics(body)
	}
	return nil
}

// interfaceOf returns the interface with section-relative id.
func (c *CaptureReader) interfaceOf(id uint32) (int, error) {
	if int64(id) >= int64(len(c.ifaces)-c.base) {
		return 0, c.damaged("interface %d not described in its section (%d are)", id, len(c.ifaces)-c.base)
	}
	return c.base + int(id), nil
}

// packet decodes an Enhanced Packet Block or an obsolete Packet Block.
func (c *CaptureReader) packet(typ uint32, body []byte) (Record, error) {
	if len(body) < 20 {
		return Record{}, c.damaged("packet block of %d bytes", len(body))
	}
	id := c.u32(body[0:4])
	if typ == blockPB {
		id = uint32(c.u16(body[0:2]))
	}
	i, err := c.interfaceOf(id)
	if err != nil {
		return Record{}, err
	}
	caplen := c.u32(body[12:16])
	if int64(caplen) > int64(len(body)-20) {
		return Record{}, c.damaged("packet claims %d captured bytes, its block holds %d", caplen, len(body)-20)
	}
	ts := uint64(c.u32(body[4:8]))<<32 | uint64(c.u32(body[8:12]))
	return Record{Data: body[20 : 20+caplen], Time: c.ifaces[i].time(ts), Iface: i}, nil
}

// simplePacket decodes a Simple Packet Block: interface 0, no timestamp
// (the previous packet's time is used).
func (c *CaptureReader) simplePacket(body []byte) (Record, error) {
	if len(body) < 4 {
		return Record{}, c.damaged("simple packet block of %d bytes", len(body))
	}
	i, err := c.interfaceOf(0)
	if err != nil {
		return Record{}, err
	}
	n := min(int64(c.u32(body[0:4])), int64(len(body)-4))
	if s := c.ifaces[i].SnapLen; s > 0 {
		n = min(n, int64(s))
	}
	return Record{Data: body[4 : 4+n], Time: c.last, Iface: i}, nil
}

// addInterface decodes an Interface Description Block.
func (c *CaptureReader) addInterface(body []byte) error {
	if len(body) < 8 {
		return c.damaged("interface description of %d bytes", len(body))
	}
	if len(c.ifaces) >= maxInterfaces {
		return c.damaged("more than %d interfaces", maxInterfaces)
	}
	ifc := Interface{LinkType: c.u16(body[0:2]), SnapLen: c.u32(body[4:8]), units: 1e6}
	err := c.options(body[8:], func(code uint16, v []byte) error {
		switch {
		case code == optIfName:
			ifc.Name = string(v)
		case code == optIfTsresol && len(v) >= 1:
			u, err := tsUnits(v[0])
			if err != nil {
				return c.damaged("%v", err)
			}
			ifc.units = u
		case code == optIfTsoff && len(v) >= 8:
			ifc.offset = int64(binary.LittleEndian.Uint64(v))
			if c.big {
				ifc.offset = int64(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.ifaces = append(c.ifaces, ifc)
	return nil
}

// tsUnits returns the ticks per second of an if_tsresol value: 10^-v, or
// 2^-(v&0x7f) when the high bit is set.
func tsUnits(v uint8) (uint64, error) {
	if v&0x80 != 0 {
		if v&0x7f > 63 {
			return 0, fmt.Errorf("if_tsresol 2^-%d is finer than 64-bit timestamps hold", v&0x7f)
		}
		return 1 << (v & 0x7f), nil
	}
	if v > 19 {
		return 0, fmt.Errorf("if_tsresol 10^-%d is finer than 64-bit timestamps hold", v)
	}
	u := uint64(1)
	for range v {
		u *= 10
	}
	return u, nil
}

// statistics decodes an Interface Statistics Block for its isb_endtime.
func (c *CaptureReader) statistics(body []byte) error {
	if len(body) < 12 {
		return c.damaged("interface statistics of %d bytes", len(body))
	}
	i, err := c.interfaceOf(c.u32(body[0:4]))
	if err != nil {
		return err
	}
	var start, end uint64
	err = c.options(body[12:], func(code uint16, v []byte) error {
		if (code == optIsbStart || code == optIsbEnd) && len(v) == 8 {
			t := uint64(c.u32(v[0:4]))<<32 | uint64(c.u32(v[4:8]))
			if code == optIsbStart {
				start = t
			} else {
				end = t
			}
		}
		return nil
	})
	if ifc := &c.ifaces[i]; end > ifc.isbEnd {
		ifc.isbStart, ifc.isbEnd = start, end
	}
	return err
}

// options walks a block's options (draft-ietf-opsawg-pcapng §3.5).
func (c *CaptureReader) options(b []byte, fn func(code uint16, v []byte) error) error {
	for len(b) >= 4 {
		code, l := c.u16(b[0:2]), int(c.u16(b[2:4]))
		if code == optEnd {
			return nil
		}
		padded := (l + 3) &^ 3
		if 4+padded > len(b) {
			return c.damaged("option %d claims %d bytes, %d remain", code, l, len(b)-4)
		}
		if err := fn(code, b[4:4+l]); err != nil {
			return err
		}
		b = b[4+padded:]
	}
	return nil
}

// End returns the latest isb_endtime of the file's interfaces, zero when
// none recorded one.
func (c *CaptureReader) End() time.Time {
	var t time.Time
	for i := range c.ifaces {
		if e := c.ifaces[i].end(); e.After(t) {
			t = e
		}
	}
	return t
}
