package ra

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// hdr is a plain RA header: router lifetime 1800 s, nothing else.
const hdr = "86 00 0000 00 00 0708 00000000 00000000 "

func TestDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "header",
			b:    "86 00 1234 40 c8 0708 00007530 000005dc",
			want: &Message{
				Checksum: 0x1234, HopLimit: 64, Flags: 0xc8, Managed: true, OtherConfig: true,
				Preference: config.High, RouterLifetime: sec(1800),
				ReachableTime: 30 * time.Second, RetransmitTimer: 1500 * time.Millisecond,
			},
		},
		{
			name: "reserved router preference reads as medium",
			b:    "86 00 0000 00 10 0000 00000000 00000000",
			want: &Message{Flags: 0x10, PreferenceReserved: true},
		},
		{
			name: "low preference and ICMP code",
			b:    "86 07 0000 00 18 0000 00000000 00000000",
			want: &Message{Code: 7, Flags: 0x18, Preference: config.Low},
		},
		{
			name: "option of length 0 stops the walk",
			b:    hdr + "05 01 0000 000005dc 01 00 000000000000",
			want: withErr(ErrMalformed, Option{Type: 5, Length: 1, MTU: 1500}),
		},
		{
			name: "truncated option",
			b:    hdr + "05 02 0000 000005dc",
			want: withErr(ErrMalformed),
		},
		{
			name: "stray byte",
			b:    hdr + "05",
			want: withErr(ErrMalformed),
		},
		{
			name: "unknown option",
			b:    hdr + "63 01 000000000000",
			want: withOptions(Option{Type: 99, Length: 1}),
		},
	})
}

// decodeTest is an RA as bytes and as Decode must return it.
type decodeTest struct {
	name string
	b    string
	want *Message
}

// withOptions returns the message of hdr with opts.
func withOptions(opts ...Option) *Message {
	return &Message{RouterLifetime: sec(1800), Options: opts}
}

// withErr returns the message of hdr with opts, whose walk stopped with err.
func withErr(err error, opts ...Option) *Message {
	m := withOptions(opts...)
	m.Err = err
	return m
}

// testDecode checks that Decode returns each test's message and that the
// options' bytes tile the message.
func testDecode(t *testing.T, tests []decodeTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.b)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts, cmpopts.IgnoreFields(Option{}, "Bytes")); diff != "" {
				t.Fatalf("unexpected message (-want +got):\n%s", diff)
			}
			var walked []byte
			for _, o := range got.Options {
				walked = append(walked, o.Bytes...)
			}
			if diff := cmp.Diff(b[headerLen:headerLen+len(walked)], walked, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("option bytes do not tile the message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		b    string
	}{
		{name: "empty", b: ""},
		{name: "short header", b: "86 00 0000 00 00 0708 00000000 000000"},
		{name: "router solicitation", b: "85 00 0000 00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(unhex(t, tt.b)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode: got %v, want ErrMalformed", err)
			}
		})
	}
}

// fromMessage returns the interface configuration a cleanly decoded RA
// states, or ok false when it states something configuration cannot.
func fromMessage(m *Message) (ifc config.Interface, mac net.HardwareAddr, ok bool) {
	if m.Err != nil || m.Code != 0 || m.PreferenceReserved || m.Flags&0x27 != 0 {
		return ifc, nil, false
	}
	ifc = config.Interface{
		Managed: m.Managed, OtherConfig: m.OtherConfig, HopLimit: m.HopLimit,
		Preference: m.Preference, RouterLifetime: m.RouterLifetime,
		ReachableTime: m.ReachableTime, RetransmitTimer: m.RetransmitTimer,
	}
	for _, o := range m.Options {
		switch {
		case o.Err != nil:
			return ifc, nil, false
		case o.Type == TypeSourceLLA && o.Length == 1 && !ifc.SourceLLA:
			ifc.SourceLLA, mac = true, o.LinkLayerAddress
		case o.Type == TypeMTU && ifc.MTU == 0:
			ifc.MTU = o.MTU
		case o.Prefix != nil:
			ifc.Prefixes = append(ifc.Prefixes, *o.Prefix)
		case o.Route != nil:
			ifc.Routes = append(ifc.Routes, *o.Route)
		case o.RDNSS != nil:
			ifc.RDNSS = append(ifc.RDNSS, *o.RDNSS)
		case o.DNSSL != nil:
			ifc.DNSSL = append(ifc.DNSSL, *o.DNSSL)
		case o.PREF64 != nil:
			ifc.PREF64 = append(ifc.PREF64, *o.PREF64)
		case o.Type == TypeCaptivePortal && ifc.CaptivePortal == "":
			ifc.CaptivePortal = o.CaptivePortal
		default:
			return ifc, nil, false
		}
	}
	return ifc, mac, true
}

// fuzzSeeds returns RAs to start fuzzing from.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		mustMarshal(f, fullInterface()),
		mustMarshal(f, Final(fullInterface())),
		unhex(f, hdr+"1f 05 0000 00000708 036c6162 076578616d706c65 00 00 076578616d706c65 03636f6d 00 0000000000"),
		unhex(f, hdr+"18 02 3c 00 00000708 20010db800ff00ff 26 02 0007 0064ff9b 00000000 00000000"),
		unhex(f, hdr+"19 02 0000 00000708 20010db800000000 01 00"),
	}
	// And the same RA as ndp encodes it, PREF64 and routes included.
	m := &ndp.RouterAdvertisement{RouterLifetime: sec(60), Options: []ndp.Option{
		&ndp.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(600)},
		&ndp.RouteInformation{PrefixLength: 60, Prefix: addr("2001:db8:ff:f0::"), RouteLifetime: sec(60)},
	}}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		f.Fatal(err)
	}
	return append(seeds, b)
}

// FuzzDecode checks that Decode, Describe and Hex never panic, that the
// options tile the message, and that whatever the decoder accepts as a
// clean RA rebuilds to the same values (Build never reports a wire
// mismatch for it).
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Hex(b)
		m, err := Decode(b)
		if err != nil {
			if Describe(io.Discard, b) == nil {
				t.Fatal("Describe accepted what Decode rejected")
			}
			return
		}
		if err := Describe(io.Discard, b); err != nil {
			t.Fatalf("Describe: %v", err)
		}
		var walked []byte
		for _, o := range m.Options {
			walked = append(walked, o.Bytes...)
		}
		if !bytes.Equal(walked, b[headerLen:headerLen+len(walked)]) {
			t.Fatal("option bytes do not tile the message")
		}
		if m.Err == nil && headerLen+len(walked) != len(b) {
			t.Fatalf("walk ended at %d of %d bytes without an error", headerLen+len(walked), len(b))
		}

		ifc, mac, ok := fromMessage(m)
		if !ok {
			return
		}
		_, rb, err := Build(ifc, mac)
		if errors.Is(err, ErrWireMismatch) {
			t.Fatalf("Build of a decoded RA: %v", err)
		}
		if err != nil {
			return
		}
		m2, err := Decode(rb)
		if err != nil {
			t.Fatal(err)
		}
		ifc2, mac2, ok := fromMessage(m2)
		if !ok {
			t.Fatalf("rebuilt RA does not decode cleanly: %+v", m2)
		}
		if diff := cmp.Diff(ifc, ifc2, cmpOpts); diff != "" {
			t.Fatalf("rebuilt RA differs (-decoded +rebuilt):\n%s", diff)
		}
		if diff := cmp.Diff(mac, mac2); diff != "" {
			t.Fatalf("rebuilt MAC differs (-decoded +rebuilt):\n%s", diff)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	ra := mustMarshal(b, fullInterface())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(ra); err != nil {
			b.Fatal(err)
		}
	}
}
