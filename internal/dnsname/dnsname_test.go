package dnsname

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	l63 := strings.Repeat("a", 63)
	max253 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("d", 61)
	tests := []struct {
		name     string
		in       string
		want     string
		wantWire int
		err      string
	}{
		{name: "plain", in: "lab.example", want: "lab.example", wantWire: 13},
		{name: "trailing dot dropped", in: "lab.example.", want: "lab.example", wantWire: 13},
		{name: "one label", in: "x", want: "x", wantWire: 3},
		{name: "underscore and case kept", in: "_Srv.Example", want: "_Srv.Example", wantWire: 14},
		{name: "empty", in: "", err: `"" is empty`},
		{name: "root", in: ".", err: `"." is empty`},
		{name: "empty label", in: "lab..example", err: `"lab..example" has a label of 0 bytes, want 1 to 63`},
		{name: "two trailing dots", in: "lab.", want: "lab", wantWire: 5},
		{name: "label of 64", in: strings.Repeat("x", 64), err: "has a label of 64 bytes"},
		{name: "253 characters fit", in: max253, want: max253, wantWire: 255},
		{name: "254 characters do not", in: max253 + "e", err: "is 256 bytes on the wire, more than 255"},
		{name: "space", in: "lab example", err: `"lab example" has byte 0x20; write internationalised names as A-labels (xn--)`},
		{name: "non-ASCII", in: "bücher.example", err: "has byte 0xc3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wire, err := Check(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Check(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWire, wire); diff != "" {
				t.Errorf("wire length (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wire, WireLen(got)); diff != "" {
				t.Errorf("WireLen (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRoundTrip encodes names with Append and decodes them with Decode.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		wire  string
	}{
		{name: "one", names: []string{"lab.example"}, wire: "\x03lab\x07example\x00"},
		{name: "two", names: []string{"lab.example", "x"}, wire: "\x03lab\x07example\x00\x01x\x00"},
		{name: "case and underscore", names: []string{"_Srv.EX"}, wire: "\x04_Srv\x02EX\x00"},
		{name: "longest label", names: []string{strings.Repeat("a", 63)}, wire: "\x3f" + strings.Repeat("a", 63) + "\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b []byte
			for _, n := range tt.names {
				var err error
				if b, err = Append(b, n); err != nil {
					t.Fatalf("Append(%q): %v", n, err)
				}
			}
			if diff := cmp.Diff([]byte(tt.wire), b); diff != "" {
				t.Fatalf("Append (-want +got):\n%s", diff)
			}
			for _, padded := range []bool{false, true} {
				in := b
				if padded {
					in = append(bytes.Clone(b), 0, 0, 0)
				}
				got, err := Decode(in, padded)
				if err != nil {
					t.Fatalf("Decode(padded %v): %v", padded, err)
				}
				if diff := cmp.Diff(tt.names, got); diff != "" {
					t.Errorf("Decode(padded %v) (-want +got):\n%s", padded, diff)
				}
			}
		})
	}
}

func TestAppendErrors(t *testing.T) {
	for _, in := range []string{"", ".", "a..b", strings.Repeat("x", 64)} {
		b, err := Append([]byte{1}, in)
		if err == nil {
			t.Errorf("Append(%q): no error", in)
		}
		if diff := cmp.Diff([]byte{1}, b); diff != "" {
			t.Errorf("Append(%q) changed b (-want +got):\n%s", in, diff)
		}
	}
	// Append checks the structure only: bytes are the caller's business.
	if _, err := Append(nil, "a b"); err != nil {
		t.Errorf("Append(\"a b\"): %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		padded bool
		want   []string
		err    string
	}{
		{name: "empty input", in: ""},
		{name: "padding", in: "\x01a\x00\x00\x00", padded: true, want: []string{"a"}},
		{name: "empty name unpadded", in: "\x01a\x00\x00", want: []string{"a"}, err: "empty name"},
		{name: "non-zero after padding", in: "\x01a\x00\x00\x01b\x00", padded: true, want: []string{"a"}, err: "non-zero byte after the padding started"},
		{name: "compression pointer", in: "\x01a\x00\xc0\x0c", want: []string{"a"}, err: "label length byte 0xc0"},
		{name: "label past the end", in: "\x05ab", err: "label of 5 bytes runs past the end"},
		{name: "not terminated", in: "\x01a\x01b", err: "last name is not terminated"},
		{name: "dot in label", in: "\x03a.b\x00", err: `label "a.b" contains a dot or space`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in), tt.padded)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Decode: %v", err)
			case tt.err != "" && (!errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("Decode error = %v, want ErrMalformed with %q", err, tt.err)
			}
		})
	}
}

func TestCheckHost(t *testing.T) {
	tests := []struct {
		in    string
		want  HostProblem
		label string
	}{
		{in: "lab.example"},
		{in: "xn--bcher-kva.example"},
		{in: "a-b.c9"},
		{in: "", want: HostEmpty},
		{in: strings.Repeat("a.", 127), want: HostTooLong},
		{in: "a..b", want: HostLabelLen},
		{in: strings.Repeat("x", 64) + ".example", want: HostLabelLen, label: strings.Repeat("x", 64)},
		{in: "-lab.example", want: HostHyphen, label: "-lab"},
		{in: "lab-.example", want: HostHyphen, label: "lab-"},
		{in: "lab_1.example", want: HostCharacter, label: "lab_1"},
		{in: "a b", want: HostCharacter, label: "a b"},
		{in: "bücher", want: HostCharacter, label: "bücher"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := CheckHost(tt.in)
			var got HostProblem
			var label string
			if he, ok := errors.AsType[*HostError](err); ok {
				got, label = he.Problem, he.Label
			} else if err != nil {
				t.Fatalf("CheckHost(%q) = %v, not a *HostError", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.label, label); diff != "" {
				t.Errorf("label (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecode decodes arbitrary bytes: Decode must not panic, must wrap
// ErrMalformed on error, and names it returns without error must encode
// back with Append to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("\x03lab\x07example\x00\x01x\x00"), false)
	f.Add([]byte("\x03lab\x00\x00\x00"), true)
	f.Add([]byte("\x01a\x00\xc0\x0c"), false)
	f.Add([]byte("\x05ab"), true)
	f.Fuzz(func(t *testing.T, b []byte, padded bool) {
		names, err := Decode(b, padded)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var out []byte
		for _, n := range names {
			if out, err = Append(out, n); err != nil {
				t.Fatalf("Append(%q) of a decoded name: %v", n, err)
			}
		}
		if !bytes.Equal(out, b[:len(out)]) {
			t.Fatalf("re-encoded %q, decoded from %q", out, b)
		}
		for _, c := range b[len(out):] {
			if c != 0 {
				t.Fatalf("Decode accepted non-zero bytes after the names in %q", b)
			}
		}
	})
}
