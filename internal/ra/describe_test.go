package ra

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
)

func TestDescribe(t *testing.T) {
	ifc := fullInterface()
	ifc.RDNSS = append(ifc.RDNSS, config.RDNSS{Servers: []netip.Addr{addr("2001:db8::99")}})
	ifc.PREF64[0].Lifetime = sec(8)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{
			name: "every option",
			b:    mustMarshal(t, ifc),
			want: `Router Advertisement, 232 bytes
  hop limit                  64
  managed (M)                no
  other config (O)           yes
  router preference          high
  router lifetime            1800s (30m0s)
  reachable time             unspecified
  retransmit timer           unspecified
  source link-layer address  02:00:5e:00:53:01
  MTU                        1500
  prefix information         2001:db8:1::/64 on-link yes autonomous yes valid 86400s (24h0m0s) preferred 14400s (4h0m0s)
  route information          2001:db8:ff:f0::/60 preference low lifetime infinite
  RDNSS                      2001:db8::53 2001:db8::54 lifetime 1800s (30m0s)
  RDNSS                      2001:db8::99 lifetime 0 (withdrawn)
  DNSSL                      lab.example example.com lifetime 1800s (30m0s)
  PREF64                     64:ff9b::/96 lifetime 8s
  captive portal             https://portal.example/api
`,
		},
		{
			name: "malformed",
			b:    unhex(t, "86 01 0000 00 34 0000 00000000 00000000 26 02 0007 0064ff9b 00000000 00000000 63 01 000000000000 01 00"),
			want: `Router Advertisement, 42 bytes
  ICMPv6 code                1 (RFC 4861 §6.1.2 requires 0)
  hop limit                  unspecified
  managed (M)                no
  other config (O)           no
  other flags                0x24 (H, P or reserved bits)
  router preference          reserved (10), treated as medium
  router lifetime            0 (not a default router)
  reachable time             unspecified
  retransmit timer           unspecified
  PREF64                     ? lifetime 0 (withdrawn) MALFORMED: malformed: option 38: prefix length code 7
  type 99                    length 1 (8 bytes)
  MALFORMED                  malformed: option type 1 at offset 40 has length 0
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			if err := Describe(&sb, tt.b); err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if diff := cmp.Diff(tt.want, sb.String()); diff != "" {
				t.Fatalf("unexpected description (-want +got):\n%s", diff)
			}
		})
	}
	if err := Describe(&strings.Builder{}, []byte{133, 0, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Describe of an RS: got %v, want ErrMalformed", err)
	}
}

func TestHex(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{
			name: "options labelled",
			b:    mustMarshal(t, config0()),
			want: `0000  86 00 00 00 00 00 00 3c 00 00 00 00 00 00 00 00  RA header
0010  05 01 00 00 00 00 05 dc                          option 5 MTU
0018  19 03 00 00 00 00 00 3c 20 01 0d b8 00 00 00 00  option 25 RDNSS
0028  00 00 00 00 00 00 00 53
`,
		},
		{
			name: "trailing bytes",
			b:    unhex(t, "86 00 0000 00 00 0000 00000000 00000000 05 09"),
			want: `0000  86 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  RA header
0010  05 09                                            undecodable
`,
		},
		{
			name: "not an RA",
			b:    []byte{133, 0, 0, 0},
			want: "0000  85 00 00 00                                      not a Router Advertisement\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Hex(tt.b)); diff != "" {
				t.Fatalf("unexpected hex dump (-want +got):\n%s", diff)
			}
		})
	}
}

// config0 is a small interface for hex dumps.
func config0() config.Interface {
	return config.Interface{RouterLifetime: sec(60), MTU: 1500, RDNSS: []config.RDNSS{{Servers: []netip.Addr{addr("2001:db8::53")}, Lifetime: sec(60)}}}
}
