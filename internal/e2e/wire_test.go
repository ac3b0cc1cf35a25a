package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// fullConfig sets every RA field and option ralab has to a value that
// differs from its default, so that tshark's decoding shows each one was
// sent as configured.
const fullConfig = `
[[interface]]
name = "lab0"
managed = true
other_config = true
hop_limit = 42
reachable_time = "30000ms"
retransmit_timer = "1500ms"
router_lifetime = "1800s"
preference = "high"
max_interval = "10s"
unicast_solicited = true
source_lla = true
mtu = 1400
captive_portal = "https://portal.example/api"

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"
  valid_lifetime = "86400s"
  preferred_lifetime = "14400s"

  [[interface.prefix]]
  prefix = "2001:db8:2::/64"
  on_link = false
  autonomous = true
  valid_lifetime = "infinite"
  preferred_lifetime = "infinite"

  [[interface.route]]
  prefix = "2001:db8:100::/48"
  preference = "high"
  lifetime = "1800s"

  [[interface.route]]
  prefix = "2001:db8:200:10::/60"
  preference = "low"
  lifetime = "infinite"

  [[interface.rdnss]]
  servers = ["2001:db8:1::53", "2001:db8:1::54"]
  lifetime = "1200s"

  [[interface.dnssl]]
  domains = ["lab.example", "corp.example"]
  lifetime = "1200s"

  [[interface.pref64]]
  prefix = "64:ff9b::/96"
  lifetime = "600s"
`

// TestRAOnTheWire runs ralab with every option configured and checks with
// tshark, an independent decoder, that every RA it sends (the initial
// multicast ones and a solicited unicast one) carries exactly the
// configured flags, lifetimes and options, and that tshark finds nothing
// malformed and raises no expert info (R1, R5, R6, R7, R10).
func TestRAOnTheWire(t *testing.T) {
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	t.Parallel()
	l := newLab(t, fullConfig)
	c1 := l.Host(t, "c1", mac1)
	solicit(t, c1, 5, time.Second)
	path, pkts := l.stopCapture(t)

	// Each field's occurrences in one RA, comma-separated, in wire order.
	tests := []struct{ field, want string }{
		// R1: link-local source, hop limit 255, code 0, good checksum.
		{"ipv6.src", routerLL.String()},
		{"ipv6.hlim", "255"},
		{"icmpv6.code", "0"},
		{"icmpv6.checksum.status", "1"},
		{"icmpv6.nd.ra.cur_hop_limit", "42"},
		{"icmpv6.nd.ra.flag.m", "1"},
		{"icmpv6.nd.ra.flag.o", "1"},
		// RFC 4191 §2.2: high is 01.
		{"icmpv6.nd.ra.flag.prf", "1"},
		{"icmpv6.nd.ra.router_lifetime", "1800"},
		{"icmpv6.nd.ra.reachable_time", "30000"},
		{"icmpv6.nd.ra.retrans_timer", "1500"},
		// Source LLA, MTU, 2 prefixes, 2 routes, RDNSS, DNSSL, PREF64,
		// captive portal.
		{"icmpv6.opt.type", "1,5,3,3,24,24,25,31,38,37"},
		// Route Information: Length 2 for prefixes up to /64 (RFC 4191
		// §2.3); RDNSS 1+2×2 (RFC 8106 §5.1); DNSSL 1 + 27 bytes of names
		// padded to 32 (§5.2); PREF64 always 2 (RFC 8781 §4); captive
		// portal 2 + 26 bytes padded to 32 (RFC 8910 §2.3).
		{"icmpv6.opt.length", "1,1,4,4,2,2,5,5,2,4"},
		{"icmpv6.opt.src_linkaddr", "02:00:00:00:01:00"},
		{"icmpv6.opt.mtu", "1400"},
		// Prefix Information and Route Information share these fields.
		{"icmpv6.opt.prefix.length", "64,64,48,60"},
		{"icmpv6.opt.prefix", "2001:db8:1::,2001:db8:2::,2001:db8:100::,2001:db8:200:10::"},
		{"icmpv6.opt.prefix.flag.l", "1,0"},
		{"icmpv6.opt.prefix.flag.a", "1,1"},
		{"icmpv6.opt.prefix.valid_lifetime", "86400,4294967295"},
		{"icmpv6.opt.prefix.preferred_lifetime", "14400,4294967295"},
		// RFC 4191 §2.1: high 01, low 11.
		{"icmpv6.opt.route_info.flag.route_preference", "1,3"},
		{"icmpv6.opt.route_lifetime", "1800,4294967295"},
		{"icmpv6.opt.rdnss", "2001:db8:1::53,2001:db8:1::54"},
		{"icmpv6.opt.rdnss.lifetime", "1200"},
		{"icmpv6.opt.dnssl", "lab.example,corp.example"},
		{"icmpv6.opt.dnssl.lifetime", "1200"},
		// RFC 8781 §4: 600 s in 8 s units; PLC 0 is /96.
		{"icmpv6.opt.pref64.scaled_lifetime", "75"},
		{"icmpv6.opt.pref64.plc", "0x0000"},
		{"icmpv6.opt.pref64.prefix", "64:ff9b::"},
		{"icmpv6.opt.captive_portal", "https://portal.example/api"},
		{"_ws.malformed", ""},
		{"_ws.expert", ""},
	}
	fields := []string{"ipv6.dst"}
	want := map[string]string{}
	for _, tt := range tests {
		fields = append(fields, tt.field)
		want[tt.field] = tt.want
	}
	rows := tsharkFields(t, path, "icmpv6.type == 134", fields)

	var unicast, multicast int
	for _, row := range rows {
		switch row[0] {
		case allNodes.String():
			multicast++
		case c1.LinkLocal().String():
			unicast++
		default:
			t.Errorf("RA to unexpected destination %s", row[0])
		}
		got := map[string]string{}
		for i, tt := range tests {
			got[tt.field] = row[i+1]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RA to %s as tshark decodes it (-want +got):\n%s", row[0], diff)
		}
	}
	if multicast == 0 || unicast == 0 {
		t.Errorf("captured %d multicast and %d unicast RAs, want at least one of each", multicast, unicast)
	}
	// The same RAs through the project's own decoder, for what tshark
	// only flags as expert info: no option may decode with an error.
	for _, r := range routerAds(t, pkts) {
		for _, o := range r.Msg.Options {
			if o.Err != nil {
				t.Errorf("RA at %s: option type %d: %v", r.At.Format("15:04:05.000000"), o.Type, o.Err)
			}
		}
	}
	t.Logf("checked %d RAs (%d multicast, %d unicast): every field as configured", len(rows), multicast, unicast)
	if t.Failed() {
		t.Logf("ralab log:\n%s", netlabtest.Tail(l.ralab.Stderr, 2000))
		t.Logf("capture kept at %s", strings.TrimSpace(path))
	}
}
