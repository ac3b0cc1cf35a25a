package impair_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/impair"
)

// BenchmarkSendPath measures the per-RA cost of a Set on the send path:
// ConfigFor plus RA with three impairments active.
func BenchmarkSendPath(b *testing.B) {
	var specs []impair.Spec
	for _, tb := range []map[string]any{
		{"type": "ra-throttle", "period": "60s", "at_most": int64(0), "max_through": int64(256), "at_least": int64(256)},
		{"type": "rdnss-omit", "mode": "every", "every": int64(3)},
		{"type": "ra-mcast-to-unicast"},
	} {
		sp, err := impair.NewSpec("b", tb)
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, sp)
	}
	set := impair.NewSet(t0, nil, specs...)
	for i := range 10 {
		set.Seen(netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i + 1)}))
	}
	ifc, ra := labIfc(), testRA()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		set.ConfigFor(now, ifc)
		set.RA(now, impair.Outgoing{Kind: impair.KindPeriodic, RA: ra})
	}
}

// BenchmarkFragment measures fragmenting a 1500-byte packet into 1280-byte
// fragments.
func BenchmarkFragment(b *testing.B) {
	pkt := make([]byte, 1500)
	pkt[0], pkt[4], pkt[5], pkt[6] = 0x60, byte((1500-40)>>8), byte((1500-40)&0xff), 58
	b.ReportAllocs()
	for b.Loop() {
		if _, err := impair.Fragment(pkt, 1280, 1); err != nil {
			b.Fatal(err)
		}
	}
}
