package dnsname

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of RFC 1035 §2.3.4.
const (
	// MaxLabelLen is the longest label, in bytes.
	MaxLabelLen = 63
	// MaxWireLen is the longest name in wire form, length bytes and the
	// final zero included.
	MaxWireLen = 255
	// MaxTextLen is the longest name in text form without a trailing dot:
	// MaxWireLen less the first length byte and the final zero.
	MaxTextLen = MaxWireLen - 2
)

// ErrMalformed reports bytes that are not a list of uncompressed names.
// Decode's errors match it with errors.Is; their text says only what is
// wrong, for callers that add their own context.
var ErrMalformed = errors.New("malformed DNS name")

// malformed is an error of Decode.
type malformed string

func (e malformed) Error() string { return string(e) }

// Is makes a malformed match ErrMalformed.
func (malformed) Is(target error) bool { return target == ErrMalformed }

// malformedf returns a malformed error.
func malformedf(format string, a ...any) error { return malformed(fmt.Sprintf(format, a...)) }

// WireLen returns the length of the text name (without a trailing dot) in
// wire form: a length byte per label, the label bytes and the final zero.
func WireLen(name string) int { return len(name) + 2 }

// Check checks name, with or without one trailing dot, as a name the wire
// carries unchanged: labels of 1 to MaxLabelLen bytes of printable ASCII
// other than space, MaxWireLen bytes in all. Internationalised names must
// be written as A-labels. It returns name without its trailing dot and
// its wire length. The error quotes name.
func Check(name string) (string, int, error) {
	return check(name, true)
}

// check checks the structure of name and, when printable is set, its
// bytes; see Check.
func check(name string, printable bool) (string, int, error) {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "", 0, fmt.Errorf("%q is empty", name)
	}
	wire := 1
	for l := range strings.SplitSeq(n, ".") {
		if l == "" || len(l) > MaxLabelLen {
			return "", 0, fmt.Errorf("%q has a label of %d bytes, want 1 to %d", name, len(l), MaxLabelLen)
		}
		if printable {
			for _, c := range []byte(l) {
				if c <= ' ' || c >= 0x7f {
					return "", 0, fmt.Errorf("%q has byte %#x; write internationalised names as A-labels (xn--)", name, c)
				}
			}
		}
		wire += 1 + len(l)
	}
	if wire > MaxWireLen {
		return "", 0, fmt.Errorf("%q is %d bytes on the wire, more than %d", name, wire, MaxWireLen)
	}
	return n, wire, nil
}

// Append appends name, with or without one trailing dot, to b in wire
// form. It checks the structure as Check does but not the bytes of the
// labels; on error b is returned unchanged.
func Append(b []byte, name string) ([]byte, error) {
	n, _, err := check(name, false)
	if err != nil {
		return b, err
	}
	for l := range strings.SplitSeq(n, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0), nil
}

// Decode decodes the names in b. When padded is set, a zero byte where a
// name would start begins padding, and every byte after it must be zero
// (the DNSSL option, RFC 8106 §5.2); otherwise such a byte is an empty
// name, which is an error. Names are returned without a trailing dot. On
// error, which wraps ErrMalformed, Decode returns the names decoded before
// the problem.
func Decode(b []byte, padded bool) ([]string, error) {
	var names []string
	for len(b) > 0 {
		if b[0] == 0 {
			if !padded {
				return names, malformed("empty name")
			}
			for _, c := range b {
				if c != 0 {
					return names, malformed("non-zero byte after the padding started (empty label?)")
				}
			}
			return names, nil
		}
		name, n, err := decodeName(b)
		if err != nil {
			return names, err
		}
		names = append(names, name)
		b = b[n:]
	}
	return names, nil
}

// decodeName decodes the name at the start of b (b[0] != 0) and returns
// it with the number of bytes it took.
func decodeName(b []byte) (string, int, error) {
	var labels []string
	for i := 0; ; {
		if i == len(b) {
			return "", 0, malformed("last name is not terminated")
		}
		n := int(b[i])
		i++
		switch {
		case n == 0:
			return strings.Join(labels, "."), i, nil
		case n > MaxLabelLen:
			// Compression pointers (0xc0) are not allowed here.
			return "", 0, malformedf("label length byte %#x: compressed or over %d", n, MaxLabelLen)
		case i+n > len(b):
			return "", 0, malformedf("label of %d bytes runs past the end", n)
		}
		l := string(b[i : i+n])
		if strings.ContainsAny(l, ". ") {
			return "", 0, malformedf("label %q contains a dot or space", l)
		}
		labels = append(labels, l)
		i += n
	}
}
