package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// The DHCPv6 tests announce different DNS servers and domains in RAs
// (RDNSS, DNSSL) and in DHCPv6 (options 23 and 24), so that what a client
// holds proves where it came from.
var (
	raDNS       = netip.MustParseAddr("2001:db8:1::53")
	dhcpDNS     = []netip.Addr{netip.MustParseAddr("2001:db8:1::153"), netip.MustParseAddr("2001:db8:1::154")}
	raDomains   = []string{"ra.example"}
	dhcpDomains = []string{"dhcp.example", "corp.example"}
)

// Server-side facts the DHCPv6 tests check on the wire.
const (
	// serverDUID is ralab's default DUID-LL (RFC 8415 §11.4: type 3,
	// hardware type 1, then the MAC) for netlab.RouterMAC, in tshark's
	// rendering of bytes.
	serverDUID = "00030001020000000100"
	// refreshTime is the configured Information Refresh Time (option 32,
	// RFC 8415 §21.23) in seconds.
	refreshTime = 3600
	// optInfoRefreshTime is the option code of the Information Refresh
	// Time (RFC 8415 §21.23).
	optInfoRefreshTime = "32"
)

// dhcpv6Config returns a configuration with O=1 (RFC 4861 §4.2) and M set
// as managed, RDNSS/DNSSL raDNS and raDomains, the stateless DHCPv6 server
// on with dhcpDNS, dhcpDomains and an Information Refresh Time, and
// metrics on the router namespace's loopback.
func dhcpv6Config(managed bool) string {
	return fmt.Sprintf(`
[http]
address = "[::1]:9430"

[[interface]]
name = "lab0"
managed = %t
other_config = true
max_interval = "10s"
router_lifetime = "1800s"
unicast_solicited = true
source_lla = true

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"

  [[interface.rdnss]]
  servers = [%q]
  lifetime = "600s"

  [[interface.dnssl]]
  domains = [%s]
  lifetime = "600s"

  [interface.dhcpv6]
  enabled = true
  dns_servers = [%s]
  domains = [%s]
  information_refresh_time = "%ds"
`, managed, raDNS, quoteAll(raDomains), quoteAll(dhcpDNS), quoteAll(dhcpDomains), refreshTime)
}

// quoteAll renders values as a TOML array body of strings.
func quoteAll[T any](values []T) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return strings.Join(q, ", ")
}

// newDHCPv6Lab creates a lab, starts the capture on the router's bridge,
// then "ralab serve" with cfg at debug level (the DHCPv6 server logs each
// reply it sends, with its destination), and waits until the DHCPv6
// server listens.
func newDHCPv6Lab(t *testing.T, cfg string) *lab {
	t.Helper()
	l := &lab{Lab: netlabtest.New(t)}
	l.capture = l.Capture(t)
	path := filepath.Join(l.Router().Dir(), "ralab.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatalf("writing config: %v", err)
	}
	p, err := l.Router().Start(t.Context(), "ralab", netlabtest.RalabBinary(t), "serve", "-c", path, "--log-level", "debug")
	if err != nil {
		t.Fatalf("starting ralab: %v", err)
	}
	l.ralab = p
	l.waitLog(t, "the DHCPv6 server to listen", "dhcpv6 server listening")
	return l
}

// waitLog waits up to a minute for ralab's log to contain s.
func (l *lab) waitLog(t testing.TB, what, s string) {
	t.Helper()
	waitFor(t, what, 60*time.Second, func() (bool, string) {
		if l.ralab.Exited() {
			t.Fatalf("ralab exited: %v\n%s", l.ralab.Err(), netlabtest.Tail(l.ralab.Stderr, 3000))
		}
		return l.logHas(s), fmt.Sprintf("no %q in the log", s)
	})
}

// logHas reports whether ralab's log contains s.
func (l *lab) logHas(s string) bool {
	b, _ := os.ReadFile(l.ralab.Stderr)
	return bytes.Contains(b, []byte(s))
}

// replyLogged is what ralab logs at debug level when it sends a DHCPv6
// answer to the link-local address ll: the destination is printed with
// the receiving interface as its zone.
func replyLogged(ll netip.Addr) string {
	return "to=[" + ll.String() + "%lab0]:546"
}

// dhcpv6Metrics fetches ralab's /metrics from inside the router namespace
// and returns every ralab_dhcpv6_ series with its value. Series that were
// never incremented are absent, which callers read as 0.
func dhcpv6Metrics(ctx context.Context, l *lab) (map[string]float64, error) {
	all, err := scrapeMetrics(ctx, l.Router())
	if err != nil {
		return nil, err
	}
	for k := range all {
		if !strings.HasPrefix(k, "ralab_dhcpv6_") {
			delete(all, k)
		}
	}
	return all, nil
}

// discardSeries is the metric series counting DHCPv6 discards on lab0
// for reason.
func discardSeries(reason string) string {
	return `ralab_dhcpv6_discards_total{interface="lab0",reason="` + reason + `"}`
}

// splitField splits one tshark field value aggregated with commas; the
// empty value gives none.
func splitField(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// sortedAddrs returns the addresses sorted, for comparisons.
func sortedAddrs(as []netip.Addr) []netip.Addr {
	as = slices.Clone(as)
	slices.SortFunc(as, netip.Addr.Compare)
	return as
}
