package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra"
)

func TestCheck(t *testing.T) {
	good := config.Interface{
		Name: "lab0", OtherConfig: true, RouterLifetime: 1800 * time.Second, MTU: 1500,
		RDNSS: []config.RDNSS{{Servers: []netip.Addr{netip.MustParseAddr("2001:db8::53")}, Lifetime: 1800 * time.Second}},
	}
	bad := config.Interface{Name: "lab1", RouterLifetime: 70000 * time.Second}
	known := func(name string) net.HardwareAddr {
		if name == "lab0" {
			return net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01}
		}
		return nil
	}
	tests := []struct {
		name    string
		cfg     *config.Config
		hex     bool
		want    []string // lines that must appear, in order
		wantErr error
	}{
		{
			name: "known interface",
			cfg:  &config.Config{Interfaces: []config.Interface{good}},
			want: []string{
				"interface lab0",
				"  MAC 02:00:5e:00:53:01 (from this host)",
				"Router Advertisement, 48 bytes",
				"  MTU                        1500",
				"  RDNSS                      2001:db8::53 lifetime 1800s (30m0s)",
			},
		},
		{
			name: "hex and placeholder MAC",
			cfg:  &config.Config{Interfaces: []config.Interface{{Name: "nosuch0", SourceLLA: true}}},
			hex:  true,
			want: []string{
				"  nosuch0 has no Ethernet address on this host: using placeholder MAC 02:00:00:00:00:00",
				"  source link-layer address  02:00:00:00:00:00",
				"0000  86 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  RA header",
				"0010  01 01 02 00 00 00 00 00                          option 1 source link-layer address",
			},
		},
		{
			name: "an interface that cannot be sent fails, the others still print",
			cfg:  &config.Config{Interfaces: []config.Interface{bad, good}},
			want: []string{
				"interface lab1",
				"  ERROR: invalid value: router lifetime 19h26m40s is above the maximum 18h12m15s",
				"interface lab0",
				"Router Advertisement, 48 bytes",
			},
			wantErr: ra.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			err := check(&sb, tt.cfg, tt.hex, known)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("check: got error %v, want %v", err, tt.wantErr)
			}
			lines := strings.Split(sb.String(), "\n")
			var got []string
			for _, l := range lines {
				if len(got) < len(tt.want) && l == tt.want[len(got)] {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("lines missing or out of order (-want +got):\n%s\noutput:\n%s", diff, sb.String())
			}
		})
	}
}

// TestCheckFiles runs "ralab check" on the shipped configurations and on
// an invalid one.
func TestCheckFiles(t *testing.T) {
	invalid := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(invalid, []byte("[[interface]]\nname = \"eth0\"\nrouter_lifetime = \"70000s\"\nbogus = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of the output
		ok   bool
	}{
		{name: "lab", args: []string{"-c", "../../configs/lab.toml"}, ok: true,
			want: []string{"interface lab0", "DNSSL                      lab.example lifetime 30s", "DHCPv6 on lab0: Reply"}},
		{name: "reference with hex", args: []string{"-c", "../../configs/reference.toml", "--hex"}, ok: true,
			want: []string{"interface eth0", "RA header", "option 38 PREF64"}},
		{name: "invalid", args: []string{"-c", invalid}},
		{name: "missing file", args: []string{"-c", filepath.Join(t.TempDir(), "none.toml")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			err := checkMain(&sb, tt.args)
			if tt.ok && err != nil {
				t.Fatalf("check: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("check accepted a bad file")
			}
			for _, w := range tt.want {
				if !strings.Contains(sb.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, sb.String())
				}
			}
		})
	}
	if err := runCheck(context.Background(), nil); !errors.Is(err, errUsage) {
		t.Fatalf("runCheck without -c: got %v, want errUsage", err)
	}
}
