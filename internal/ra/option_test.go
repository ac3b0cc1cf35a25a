package ra

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// optionTest is one round trip of one option kind: the configuration,
// the options expect derives from it, their bytes on the wire and their
// description.
type optionTest struct {
	name string
	ifc  config.Interface
	// want are the options as expect returns them and Decode finds them
	// (Bytes unset).
	want []Option
	// wire is the hex of the options, after the RA header.
	wire string
	// describe is describeOption of each decoded option.
	describe []string
}

// testRoundTrip runs each test through kind: expect, encode with ndp,
// Decode, compare and describe, in both directions.
func testRoundTrip(t *testing.T, kind optionKind, tests []optionTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kind.expect(tt.ifc, testMAC)
			if err != nil {
				t.Fatalf("expect: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Fatalf("expect (-want +got):\n%s", diff)
			}
			want := &Message{Options: got}
			m, err := toNDP(want)
			if err != nil {
				t.Fatalf("toNDP: %v", err)
			}
			b, err := ndp.MarshalMessage(m)
			if err != nil {
				t.Fatalf("MarshalMessage: %v", err)
			}
			if diff := cmp.Diff(unhex(t, tt.wire), b[headerLen:]); diff != "" {
				t.Fatalf("encoded options (-want +got):\n%s", diff)
			}
			dec, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var desc []string
			for i := range dec.Options {
				desc = append(desc, describeOption(&dec.Options[i]))
				dec.Options[i].Bytes = nil
			}
			if diff := cmp.Diff(tt.want, dec.Options, cmpOpts); diff != "" {
				t.Fatalf("decoded options (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.describe, desc); diff != "" {
				t.Errorf("descriptions (-want +got):\n%s", diff)
			}
			if err := compare(want, dec); err != nil {
				t.Errorf("compare: %v", err)
			}
		})
	}
}

// ndpBugTest feeds the wire check the bytes that github.com/mdlayher/ndp
// v1.1.0 really produces for a value it mishandles.
type ndpBugTest struct {
	name  string
	ifc   config.Interface
	edit  func(want *Message) // applied to the expected RA
	build func() ndp.Option   // the option ndp is asked to encode
	hdr   func(*ndp.RouterAdvertisement)
	field string // what the error must name
}

// testNDPBugs checks that each of tests is caught by compare and named.
func testNDPBugs(t *testing.T, tests []ndpBugTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := expect(tt.ifc, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(want)
			}
			m, err := toNDP(want)
			if err != nil {
				t.Fatal(err)
			}
			if tt.build != nil {
				m.Options = []ndp.Option{tt.build()}
			}
			if tt.hdr != nil {
				tt.hdr(m)
			}
			b, err := ndp.MarshalMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			err = compare(want, got)
			if !errors.Is(err, ErrWireMismatch) {
				t.Fatalf("compare: got %v, want ErrWireMismatch", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("error %q does not name %q", err, tt.field)
			}
		})
	}
}

// TestKinds checks that every option kind has its own type and name, and
// that Build's order is the documented one.
func TestKinds(t *testing.T) {
	var got []uint8
	names := make(map[string]bool)
	for _, k := range kinds {
		got = append(got, k.typ())
		if names[k.name()] {
			t.Errorf("name %q used twice", k.name())
		}
		names[k.name()] = true
		if kindOf(k.typ()) != k {
			t.Errorf("kindOf(%d) is not %T", k.typ(), k)
		}
	}
	want := []uint8{TypeSourceLLA, TypeMTU, TypePrefixInformation, TypeRouteInformation, TypeRDNSS, TypeDNSSL, TypePREF64, TypeCaptivePortal}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("kinds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("type 99", optionName(99)); diff != "" {
		t.Errorf("optionName(99) (-want +got):\n%s", diff)
	}
}

// buildErrorTest is a configuration Build must refuse.
type buildErrorTest struct {
	name string
	ifc  config.Interface
	mac  net.HardwareAddr
	want string // substring of the error
}

// testBuildErrors checks that Build refuses each of tests with ErrInvalid
// and says why.
func testBuildErrors(t *testing.T, tests []buildErrorTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Build(tt.ifc, tt.mac)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Build: got %v (message %v), want ErrInvalid", err, m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
