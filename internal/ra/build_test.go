package ra

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

func TestBuildHeader(t *testing.T) {
	tests := []struct {
		name string
		ifc  config.Interface
		want string // the 16 header bytes
	}{
		{
			name: "all zero",
			want: "86 00 0000 00 00 0000 00000000 00000000",
		},
		{
			name: "M O hop limit high preference",
			ifc: config.Interface{
				Managed: true, OtherConfig: true, HopLimit: 64,
				RouterLifetime: sec(1800), Preference: config.High,
			},
			// Flags: M 0x80 | O 0x40 | Prf 01 << 3.
			want: "86 00 0000 40 c8 0708 00000000 00000000",
		},
		{
			name: "low preference, maximum router lifetime",
			ifc:  config.Interface{RouterLifetime: sec(65535), Preference: config.Low},
			want: "86 00 0000 00 18 ffff 00000000 00000000",
		},
		{
			name: "reachable time and retransmit timer in ms",
			ifc: config.Interface{
				OtherConfig: true, RouterLifetime: sec(600),
				ReachableTime: 30 * time.Second, RetransmitTimer: 1500 * time.Millisecond,
			},
			want: "86 00 0000 00 40 0258 00007530 000005dc",
		},
		{
			name: "maximum reachable time",
			ifc:  config.Interface{ReachableTime: time.Hour},
			want: "86 00 0000 00 00 0000 0036ee80 00000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustMarshal(t, tt.ifc)
			if diff := cmp.Diff(unhex(t, tt.want), b); diff != "" {
				t.Fatalf("unexpected RA bytes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildOptionOrder(t *testing.T) {
	m, err := Decode(mustMarshal(t, fullInterface()))
	if err != nil {
		t.Fatal(err)
	}
	var got []uint8
	for _, o := range m.Options {
		got = append(got, o.Type)
	}
	want := []uint8{TypeSourceLLA, TypeMTU, TypePrefixInformation, TypeRouteInformation, TypeRDNSS, TypeDNSSL, TypePREF64, TypeCaptivePortal}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("unexpected option order (-want +got):\n%s", diff)
	}
}

// TestBuildParsesWithNDP checks that ndp's own parser accepts what Build
// produces, for code that still uses ndp.ParseMessage.
func TestBuildParsesWithNDP(t *testing.T) {
	if _, err := ndp.ParseMessage(mustMarshal(t, fullInterface())); err != nil {
		t.Fatalf("ndp.ParseMessage: %v", err)
	}
}

// TestBuildBytesAreMessage checks that the bytes Build returns are the
// message it returns, marshalled.
func TestBuildBytesAreMessage(t *testing.T) {
	m, b, err := Build(fullInterface(), testMAC)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ndp.MarshalMessage(m)
	if err != nil {
		t.Fatalf("MarshalMessage: %v", err)
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("unexpected RA bytes (-want +got):\n%s", diff)
	}
}

func TestBuildDoesNotModifyInput(t *testing.T) {
	ifc := fullInterface()
	ifc.DNSSL[0].Domains[0] = "lab.example."
	if _, _, err := Build(ifc, testMAC); err != nil {
		t.Fatal(err)
	}
	want := fullInterface()
	want.DNSSL[0].Domains[0] = "lab.example."
	if diff := cmp.Diff(want, ifc, cmpOpts); diff != "" {
		t.Fatalf("Build changed its input (-want +got):\n%s", diff)
	}
}

func TestBuildErrors(t *testing.T) {
	many := make([]config.Prefix, 40)
	for i := range many {
		many[i] = config.Prefix{Prefix: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 5: byte(i)}), 64), ValidLifetime: sec(600)}
	}
	testBuildErrors(t, []buildErrorTest{
		{name: "router lifetime above 65535 s", ifc: config.Interface{RouterLifetime: sec(65536)}, want: "router lifetime 18h12m16s is above"},
		{name: "router lifetime infinite", ifc: config.Interface{RouterLifetime: config.Infinite}, want: "router lifetime"},
		{name: "router lifetime negative", ifc: config.Interface{RouterLifetime: -time.Second}, want: "negative"},
		{name: "router lifetime fraction", ifc: config.Interface{RouterLifetime: 1500 * time.Millisecond}, want: "not a whole number of 1s"},
		{name: "reachable time above 1 h", ifc: config.Interface{ReachableTime: time.Hour + time.Millisecond}, want: "reachable time"},
		{name: "retransmit timer fraction", ifc: config.Interface{RetransmitTimer: time.Microsecond}, want: "retransmit timer"},
		{name: "bad router preference", ifc: config.Interface{RouterLifetime: sec(600), Preference: 7}, want: "preference 7"},
		{name: "preference with lifetime 0", ifc: config.Interface{Preference: config.High}, want: "RFC 4191 §2.2"},
		{name: "RA larger than the minimum MTU", ifc: config.Interface{Prefixes: many}, want: "1336 bytes"},
		{name: "RA larger than the MTU option", ifc: config.Interface{MTU: 1300, Prefixes: many}, want: "1300-byte MTU"},
	})
}

// buildOptionsTest is a configuration and the option bytes Build makes
// of it.
type buildOptionsTest struct {
	name string
	ifc  config.Interface
	want string // the option bytes after the 16-byte header
}

// testBuildOptions checks the option bytes Build makes of each test.
func testBuildOptions(t *testing.T, tests []buildOptionsTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustMarshal(t, tt.ifc)
			if diff := cmp.Diff(unhex(t, tt.want), b[headerLen:]); diff != "" {
				t.Fatalf("unexpected option bytes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeaderNDPBugs feeds the wire check the header ndp v1.1.0 produces
// for a router lifetime beyond its 16-bit field. The bugs of options are
// tested next to the option (opt_*_test.go).
func TestHeaderNDPBugs(t *testing.T) {
	testNDPBugs(t, []ndpBugTest{{
		name:  "router lifetime above 65535 s wraps",
		ifc:   config.Interface{RouterLifetime: sec(1800)},
		edit:  func(w *Message) { w.RouterLifetime = sec(65536 + 1800) },
		hdr:   func(m *ndp.RouterAdvertisement) { m.RouterLifetime = sec(65536 + 1800) },
		field: "router lifetime: config has 18h42m16s, wire has 30m0s",
	}})
}

func BenchmarkBuild(b *testing.B) {
	ifc := fullInterface()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Build(ifc, testMAC); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzBuild builds RAs from arbitrary values: Build must either refuse
// them with ErrInvalid or produce an RA whose wire check passes; it must
// never panic or report a wire mismatch.
func FuzzBuild(f *testing.F) {
	f.Add(uint64(1800e9), uint8(60), []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0xf0}, uint8(1), uint64(config.Infinite), uint8(96), uint64(65528e9), "lab.example.", "https://portal.example/", uint8(2))
	f.Add(uint64(65536e9), uint8(0), []byte{}, uint8(3), uint64(0), uint8(48), uint64(524288e9), "a..b", "", uint8(16))
	f.Fuzz(func(t *testing.T, rl uint64, bits uint8, pb []byte, prf uint8, lt uint64, nbits uint8, nlt uint64, domain, uri string, n uint8) {
		var a [16]byte
		copy(a[:], pb)
		p := netip.PrefixFrom(netip.AddrFrom16(a), int(bits))
		servers := make([]netip.Addr, n%20)
		for i := range servers {
			servers[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})
		}
		ifc := config.Interface{
			RouterLifetime: time.Duration(rl),
			Preference:     config.Preference(prf % 4),
			SourceLLA:      true,
			Prefixes:       []config.Prefix{{Prefix: p, ValidLifetime: time.Duration(lt), PreferredLifetime: time.Duration(lt / 2)}},
			Routes:         []config.Route{{Prefix: p, Preference: config.Preference((prf >> 2) % 4), Lifetime: time.Duration(lt)}},
			RDNSS:          []config.RDNSS{{Servers: servers, Lifetime: time.Duration(lt)}},
			DNSSL:          []config.DNSSL{{Domains: []string{domain}, Lifetime: time.Duration(lt)}},
			PREF64:         []config.PREF64{{Prefix: netip.PrefixFrom(netip.AddrFrom16(a), int(nbits)), Lifetime: time.Duration(nlt)}},
			CaptivePortal:  uri,
		}
		_, _, err := Build(ifc, testMAC)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("Build: %v", err)
		}
	})
}
