package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestDNSResponder runs ralab serve on the embedded lab configuration,
// whose DNS responder answers on the advertised RDNSS addresses, and
// resolves names from a host that configured itself from ralab's RA alone
// (SLAAC and the default route): a zone record, a DNS64 synthesis with
// the advertised PREF64, RFC 7050's ipv4only.arpa, and a refused name
// outside the zone (the lab has no recursion).
func TestDNSResponder(t *testing.T) {
	netlabtest.RequireTool(t, "dig", "bind9-dnsutils")
	t.Parallel()
	l := newLab(t, string(configs.Lab))
	c1 := l.Host(t, "c1", mac1)
	waitFor(t, "c1's SLAAC address", 60*time.Second, func() (bool, string) {
		return hasAddress(t.Context(), c1, slaacAddr(c1))
	})

	for _, tt := range []struct {
		name, qtype, server string
		want                string
	}{
		{"www.lab.example", "AAAA", "2001:db8:1::53", "2001:db8:1::80"},
		{"v4only.lab.example", "AAAA", "2001:db8:1::54", "64:ff9b::c000:201"},
		{"ipv4only.arpa", "AAAA", "2001:db8:1::53", "64:ff9b::c000:aa"},
		{"example.com", "AAAA", "2001:db8:1::53", "status: REFUSED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			// The responder adds its addresses when the interface is up;
			// retry while that and the client's DAD-free address settle.
			waitFor(t, "an answer for "+tt.name, 30*time.Second, func() (bool, string) {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				b, err := c1.Run(ctx, "dig", "+time=1", "+tries=1", "@"+tt.server, tt.name, tt.qtype)
				out = string(b)
				return err == nil && strings.Contains(out, tt.want), out
			})
			if tt.want != "status: REFUSED" && !strings.Contains(out, "status: NOERROR") {
				t.Errorf("dig %s %s: no NOERROR:\n%s", tt.name, tt.qtype, out)
			}
		})
	}
}
