package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DNS resource record types the message walker checks the RDATA of.
const (
	dnsTypeA    = 1
	dnsTypeAAAA = 28
	dnsTypeOPT  = 41
)

// errDNSShort is a DNS message that ends inside a field.
var errDNSShort = errors.New("message ends inside a field")

// dnsWalker checks the structure of a DNS message (RFC 1035 §4.1) without
// building it: the header, the questions, and every resource record's
// name, fixed fields and RDLENGTH. Only the first question's name is
// turned into a string, in the presentation form of github.com/miekg/dns
// (which the tests check it against).
// RDATA is checked for A and AAAA (its exact length) and not further: a
// message miekg/dns accepts is accepted with the same fields, and one it
// rejects for a malformed RDATA of another type may be accepted.
type dnsWalker struct {
	msg []byte
	off int
}

// decodeDNS decodes the parts of a DNS message the observer uses.
func (p *Packet) decodeDNS(b []byte) *DNSMessage {
	if len(b) < 12 {
		p.problem(CheckDecode, "RFC 1035 §4.1.1", "DNS message of %d bytes is shorter than its header", len(b))
		return nil
	}
	d := &DNSMessage{
		ID:       binary.BigEndian.Uint16(b[0:2]),
		Response: b[2]&0x80 != 0,
		Rcode:    int(b[3] & 0x0f),
	}
	w := dnsWalker{msg: b, off: 12}
	if err := w.walk(d); err != nil {
		d.Rcode, d.Answers, d.Name, d.Type = int(b[3]&0x0f), 0, "", 0
		p.problem(CheckDecode, "RFC 1035 §4.1", "DNS message does not parse: %v", err)
	}
	return d
}

// walk fills d's question and answer count from the message body,
// following miekg/dns's (*Msg).Unpack: record counts larger than the
// message stop at its end, a header alone is a valid message.
func (w *dnsWalker) walk(d *DNSMessage) error {
	qd := int(binary.BigEndian.Uint16(w.msg[4:6]))
	counts := [3]int{
		int(binary.BigEndian.Uint16(w.msg[6:8])),
		int(binary.BigEndian.Uint16(w.msg[8:10])),
		int(binary.BigEndian.Uint16(w.msg[10:12])),
	}
	if w.off == len(w.msg) {
		return nil
	}
	for i := 0; i < qd; i++ {
		if err := w.question(d, i == 0); err != nil {
			return err
		}
	}
	for sec, n := range counts {
		got, ext, err := w.records(n, sec == 2)
		if err != nil {
			return err
		}
		if sec == 0 {
			d.Answers = got
		}
		if ext >= 0 {
			d.Rcode |= ext << 4
		}
	}
	return nil
}

// question reads one question; the first one's name and type go to d.
func (w *dnsWalker) question(d *DNSMessage, first bool) error {
	start := w.off
	if err := w.skipName(); err != nil {
		return fmt.Errorf("bad question name: %w", err)
	}
	if first {
		d.Name = w.presentation(start)
	}
	// Type and class; a message may end after the name or the type.
	for i := 0; i < 2 && w.off < len(w.msg); i++ {
		if w.off+2 > len(w.msg) {
			return fmt.Errorf("bad question: %w", errDNSShort)
		}
		if first && i == 0 {
			d.Type = binary.BigEndian.Uint16(w.msg[w.off:])
		}
		w.off += 2
	}
	return nil
}

// records walks up to n resource records and returns how many it read
// and, with opt, the extended RCODE bits of the last OPT record (-1 when
// none).
func (w *dnsWalker) records(n int, opt bool) (int, int, error) {
	ext := -1
	for i := 0; i < n; i++ {
		if w.off == len(w.msg) {
			return i, ext, nil // The count was a lie.
		}
		if err := w.skipName(); err != nil {
			return 0, -1, fmt.Errorf("record %d name: %w", i+1, err)
		}
		if w.off+10 > len(w.msg) {
			return 0, -1, fmt.Errorf("record %d header: %w", i+1, errDNSShort)
		}
		typ := binary.BigEndian.Uint16(w.msg[w.off:])
		ttl := binary.BigEndian.Uint32(w.msg[w.off+4:])
		rdlen := int(binary.BigEndian.Uint16(w.msg[w.off+8:]))
		w.off += 10
		if w.off+rdlen > len(w.msg) {
			return 0, -1, fmt.Errorf("record %d: bad rdlength %d", i+1, rdlen)
		}
		if err := checkRdata(typ, rdlen); err != nil {
			return 0, -1, fmt.Errorf("record %d: %w", i+1, err)
		}
		w.off += rdlen
		if opt && typ == dnsTypeOPT {
			ext = int(ttl >> 24)
		}
	}
	return n, ext, nil
}

// checkRdata checks the RDATA length of the types whose length is fixed.
func checkRdata(typ uint16, rdlen int) error {
	if rdlen == 0 {
		return nil // RFC 2136 §2.5 deletions carry none.
	}
	switch {
	case typ == dnsTypeA && rdlen != 4, typ == dnsTypeAAAA && rdlen != 16:
		return fmt.Errorf("bad rdlength %d for type %d", rdlen, typ)
	}
	return nil
}

// skipName moves past a domain name, with the checks of miekg/dns's
// UnpackDomainName: labels within the message, at most 255 octets, at
// most maxDNSPointers compression pointers, no reserved label types.
func (w *dnsWalker) skipName() error {
	const maxDNSPointers = (255+1)/2 - 2 // miekg/dns maxCompressionPointers
	off, end, ptrs, budget := w.off, -1, 0, 255
	for {
		if off >= len(w.msg) {
			return errDNSShort
		}
		c := int(w.msg[off])
		off++
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if end < 0 {
					end = off
				}
				w.off = end
				return nil
			}
			if off+c > len(w.msg) {
				return errDNSShort
			}
			if budget -= c + 1; budget <= 0 {
				return errors.New("domain name exceeds 255 octets")
			}
			off += c
		case 0xc0:
			if off >= len(w.msg) {
				return errDNSShort
			}
			if end < 0 {
				end = off + 1
			}
			if ptrs++; ptrs > maxDNSPointers {
				return errors.New("too many compression pointers")
			}
			off = (c&0x3f)<<8 | int(w.msg[off])
		default:
			return fmt.Errorf("reserved label type %#x", c&0xc0)
		}
	}
}

// presentation returns the name at off, which skipName has validated,
// in presentation form (RFC 1035 §5.1): labels joined and ended by dots,
// with the special characters escaped by a backslash and non-printable
// bytes as \DDD. It measures the name first so that the string is its
// only allocation.
func (w *dnsWalker) presentation(off int) string {
	n := 0
	for l, o := w.label(off); l != nil; l, o = w.label(o) {
		for _, b := range l {
			n += escapedLen(b)
		}
		n++
	}
	if n == 0 {
		return "."
	}
	var sb strings.Builder
	sb.Grow(n)
	for l, o := w.label(off); l != nil; l, o = w.label(o) {
		plain := true
		for _, b := range l {
			plain = plain && escapedLen(b) == 1
		}
		if plain {
			sb.Write(l)
		} else {
			writeEscaped(&sb, l)
		}
		sb.WriteByte('.')
	}
	return sb.String()
}

// label returns the label at off of a validated name, following
// compression pointers, and the offset after it; nil at the name's end.
func (w *dnsWalker) label(off int) ([]byte, int) {
	for {
		c := int(w.msg[off])
		switch {
		case c == 0:
			return nil, off
		case c&0xc0 == 0xc0:
			off = (c&0x3f)<<8 | int(w.msg[off+1])
		default:
			return w.msg[off+1 : off+1+c], off + 1 + c
		}
	}
}

// writeEscaped writes label l with its special bytes escaped.
func writeEscaped(sb *strings.Builder, l []byte) {
	for _, b := range l {
		switch escapedLen(b) {
		case 1:
			sb.WriteByte(b)
		case 2:
			sb.WriteByte('\\')
			sb.WriteByte(b)
		default:
			sb.Write([]byte{'\\', '0' + b/100, '0' + b/10%10, '0' + b%10})
		}
	}
}

// escapedLen is the length of byte c of a label in presentation form.
func escapedLen(c byte) int { return int(escapedLens[c]) }

// escapedLens maps a label byte to its length in presentation form:
// miekg/dns escapes . space ' @ ; ( ) " \ with a backslash and writes
// bytes outside printable ASCII as \DDD.
var escapedLens = func() (t [256]uint8) {
	for c := range t {
		switch {
		case strings.IndexByte(`. '@;()"\`, byte(c)) >= 0:
			t[c] = 2
		case c < ' ' || c > '~':
			t[c] = 4
		default:
			t[c] = 1
		}
	}
	return t
}()
