package config_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
)

// TestParseHugeValues checks that messages show at most a few dozen
// characters of a huge value or key, and still name the file, line, key
// and what is allowed.
func TestParseHugeValues(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	x77 := `"` + strings.Repeat("x", 77) + `…"`
	tests := []struct {
		name string
		doc  string
		want string
		err  error
	}{
		{
			name: "name",
			doc:  "[[interface]]\nname = \"" + big + "\"\n",
			want: `huge.toml:2: interface[0].name = ` + x77 + `: must be a Linux interface name: 1 to 15 bytes, no '/', ':' or white space`,
			err:  config.ErrInvalidValue,
		},
		{
			name: "server",
			doc:  ifaceHeader + "[[interface.rdnss]]\nservers = [\"" + big + "\"]\n",
			want: `huge.toml:5: interface "eth0": rdnss[0].servers[0] = ` + x77 + `: must be an IPv6 address, such as "2001:db8::53"`,
			err:  config.ErrInvalidValue,
		},
		{
			name: "servers as a string",
			doc:  ifaceHeader + "[[interface.rdnss]]\nservers = \"" + big + "\"\n",
			want: `huge.toml:5: interface "eth0": rdnss[0].servers = ` + x77 + `: must be an array of strings; write [` + x77 + `]`,
			err:  config.ErrWrongType,
		},
		{
			name: "array of a huge string",
			doc:  ifaceHeader + "hop_limit = [\"" + big + "\", 1]\n",
			want: `huge.toml:4: interface "eth0": hop_limit = [` + x77 + `, ...]: must be an integer, not an array`,
			err:  config.ErrWrongType,
		},
		{
			name: "nested arrays",
			doc:  ifaceHeader + "hop_limit = [[[[[[1, 2]]]]]]\n",
			want: `huge.toml:4: interface "eth0": hop_limit = [[[[...]]]]: must be an integer, not an array`,
			err:  config.ErrWrongType,
		},
		{
			name: "duration",
			doc:  ifaceHeader + "reachable_time = \"" + big + "\"\n",
			want: `huge.toml:4: interface "eth0": reachable_time = ` + x77 + `: not a duration; must be 0 (unspecified) to 3600000ms (1h) (RFC 4861 §6.2.1)`,
			err:  config.ErrInvalidValue,
		},
		{
			name: "captive portal",
			doc:  ifaceHeader + "[interface.dhcpv6]\ncaptive_portal = \"https://p.example/" + big + "\"\n",
			want: `huge.toml:5: interface "eth0": dhcpv6.captive_portal = "https://p.example/` + strings.Repeat("x", 59) + `…": is 1048594 bytes long; at most 65535 fit: the DHCPv6 option length is 16 bits (RFC 8415 §21.1)`,
			err:  config.ErrOutOfRange,
		},
		{
			name: "domain label",
			doc:  ifaceHeader + "[[interface.dnssl]]\ndomains = [\"a\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\u000b\\u000c\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a.b\"]\n",
			want: `huge.toml:5: interface "eth0": dnssl[0].domains[0] = "a\x00\x01\x02\x03\x04\x05\x06\a\b\v\f\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17…": ` +
				`label "a\x00\x01\x02\x03\x04\x05\x06\a\b\v\f\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17…" may hold only letters, digits and hyphens (RFC 1123 §2.1; write IDNs as xn-- A-labels)`,
			err: config.ErrInvalidValue,
		},
		{
			name: "unknown key",
			doc:  ifaceHeader + "\"" + big + "\" = 1\n",
			want: `huge.toml:4: interface "eth0": ` + strings.Repeat("x", 119-len("interface[0].")) + `…: unknown key; allowed here: name, managed, other_config, hop_limit, reachable_time, retransmit_timer, router_lifetime, preference, min_interval, max_interval, unicast_solicited, source_lla, mtu, withdraw_on_stop, captive_portal, prefix, route, rdnss, dnssl, pref64, dhcpv6, dns_responder, observe`,
			err:  config.ErrUnknownKey,
		},
		{
			name: "syntax error quoting a value",
			doc:  ifaceHeader + "mtu = 0" + strings.Repeat("1", 1<<20) + "\n",
			want: `huge.toml:4: TOML syntax error: Invalid integer "0` + strings.Repeat("1", 120-len(`Invalid integer "0`)) + `…` + strings.Repeat("1", 119-len(`": cannot have leading zeroes`)) + `": cannot have leading zeroes`,
			err:  config.ErrSyntax,
		},
		{
			name: "syntax error quoting a key",
			doc:  "\"" + big + "\" = 1\n\"" + big + "\" = 2\n",
			want: `huge.toml:2: TOML syntax error: Key '` + strings.Repeat("x", 120-len(`Key '`)) + `…` + strings.Repeat("x", 119-len(`' has already been defined.`)) + `' has already been defined.`,
			err:  config.ErrSyntax,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse("huge.toml", []byte(tt.doc))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.err)
			}
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			if n := utf8.RuneCountInString(e.Value); n > 120 {
				t.Errorf("Value has %d characters", n)
			}
			if n := utf8.RuneCountInString(e.Key); n > 120 {
				t.Errorf("Key has %d characters", n)
			}
		})
	}
}
