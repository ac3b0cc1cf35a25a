package impair_test

import (
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/impair"
)

// t0 is the start of every simulated timeline.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// spec builds a Spec or fails the test.
func spec(t *testing.T, name string, table map[string]any) impair.Spec {
	t.Helper()
	sp, err := impair.NewSpec(name, table)
	if err != nil {
		t.Fatalf("NewSpec(%s): %v", name, err)
	}
	return sp
}

// testRA is an RA with a source link-layer address, an MTU, a prefix, an
// RDNSS and a DNSSL option.
func testRA() *ndp.RouterAdvertisement {
	return &ndp.RouterAdvertisement{
		CurrentHopLimit: 64,
		RouterLifetime:  1800 * time.Second,
		Options: []ndp.Option{
			&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: []byte{2, 0, 0, 0, 0, 1}},
			ndp.NewMTU(1500),
			&ndp.PrefixInformation{PrefixLength: 64, OnLink: true, AutonomousAddressConfiguration: true,
				ValidLifetime: time.Hour, PreferredLifetime: time.Hour, Prefix: netip.MustParseAddr("2001:db8:1::")},
			&ndp.RecursiveDNSServer{Lifetime: 12 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("2001:db8:1::53")}},
			&ndp.DNSSearchList{Lifetime: 12 * time.Second, DomainNames: []string{"lab.example"}},
		},
	}
}

// event is one thing that happens on a simulated timeline.
type event struct {
	at   time.Duration
	kind impair.Kind
	dst  string // unicast destination; "" for ff02::1
	seen string // instead of an RA: a client seen
	due  bool   // instead of an RA: call Due
}

// wire is a summary of one Send.
type wire struct {
	At      time.Duration
	Kind    string
	Dst     string
	Options int
	MTU     int
}

func TestRA(t *testing.T) {
	periodic := func(at time.Duration) event { return event{at: at, kind: impair.KindPeriodic} }
	tests := []struct {
		name   string
		tables map[string]map[string]any
		events []event
		want   []wire
	}{
		{
			name:   "no impairment",
			events: []event{periodic(0), {at: time.Second, kind: impair.KindSolicitedUnicast, dst: "fe80::2"}},
			want:   []wire{{0, "periodic", "ff02::1", 5, 0}, {time.Second, "solicited-unicast", "fe80::2", 5, 0}},
		},
		{
			// Cisco defaults at-least 1, at-most 1: one multicast RA per
			// period; solicited answers always pass.
			name:   "throttle at-most 1",
			tables: map[string]map[string]any{"thr": {"type": "ra-throttle", "period": "60s"}},
			events: []event{periodic(0), periodic(4 * time.Second),
				{at: 5 * time.Second, kind: impair.KindSolicitedMulticast},
				{at: 6 * time.Second, kind: impair.KindSolicitedUnicast, dst: "fe80::2"},
				periodic(59 * time.Second), periodic(60 * time.Second), periodic(64 * time.Second)},
			want: []wire{{0, "periodic", "ff02::1", 5, 0},
				{5 * time.Second, "solicited-multicast", "ff02::1", 5, 0},
				{6 * time.Second, "solicited-unicast", "fe80::2", 5, 0},
				{60 * time.Second, "periodic", "ff02::1", 5, 0}},
		},
		{
			// at-least 1, at-most 0 (no per-router cap): max-through 3 bounds it.
			name: "throttle max-through",
			tables: map[string]map[string]any{"thr": {"type": "ra-throttle", "period": "20s",
				"max_through": int64(3), "at_least": int64(1), "at_most": int64(0)}},
			events: []event{periodic(0), periodic(4 * time.Second), periodic(8 * time.Second), periodic(12 * time.Second), periodic(20 * time.Second)},
			want: []wire{{0, "periodic", "ff02::1", 5, 0}, {4 * time.Second, "periodic", "ff02::1", 5, 0},
				{8 * time.Second, "periodic", "ff02::1", 5, 0}, {20 * time.Second, "periodic", "ff02::1", 5, 0}},
		},
		{
			name:   "replay",
			tables: map[string]map[string]any{"rep": {"type": "ra-replay", "interval": "30s"}},
			events: []event{
				{at: 0, kind: impair.KindInitial}, periodic(4 * time.Second),
				{at: 5 * time.Second, kind: impair.KindSolicitedUnicast, dst: "fe80::2"},
				{at: 29 * time.Second, due: true}, {at: 30 * time.Second, due: true}, periodic(31 * time.Second),
				{at: 60 * time.Second, due: true}, {at: 61 * time.Second, kind: impair.KindFinal}},
			want: []wire{{0, "initial", "ff02::1", 5, 0}, {30 * time.Second, "replay", "ff02::1", 5, 0},
				{60 * time.Second, "replay", "ff02::1", 5, 0}, {61 * time.Second, "final", "ff02::1", 5, 0}},
		},
		{
			name:   "multicast to unicast",
			tables: map[string]map[string]any{"uni": {"type": "ra-mcast-to-unicast"}},
			events: []event{periodic(0), {at: time.Second, seen: "fe80::2"}, {at: time.Second, seen: "fe80::3"},
				{at: time.Second, seen: "fe80::2"}, periodic(4 * time.Second),
				{at: 5 * time.Second, kind: impair.KindSolicitedUnicast, dst: "fe80::4"}},
			want: []wire{{4 * time.Second, "periodic", "fe80::2", 5, 0}, {4 * time.Second, "periodic", "fe80::3", 5, 0},
				{5 * time.Second, "solicited-unicast", "fe80::4", 5, 0}},
		},
		{
			name:   "drop multicast",
			tables: map[string]map[string]any{"drop": {"type": "ra-drop-multicast"}},
			events: []event{periodic(0), {at: time.Second, kind: impair.KindSolicitedMulticast},
				{at: 2 * time.Second, kind: impair.KindSolicitedUnicast, dst: "fe80::2"}},
			want: []wire{{time.Second, "solicited-multicast", "ff02::1", 5, 0}, {2 * time.Second, "solicited-unicast", "fe80::2", 5, 0}},
		},
		{
			name:   "drop multicast including solicited",
			tables: map[string]map[string]any{"drop": {"type": "ra-drop-multicast", "solicited": true}},
			events: []event{periodic(0), {at: time.Second, kind: impair.KindSolicitedMulticast}},
		},
		{
			// Three splittable options over two RAs: 1 and 2, each with
			// SLLA and MTU.
			name:   "split",
			tables: map[string]map[string]any{"split": {"type": "ra-oversize", "mode": "split", "parts": int64(2)}},
			events: []event{periodic(0)},
			want:   []wire{{0, "periodic", "ff02::1", 3, 0}, {0, "periodic", "ff02::1", 4, 0}},
		},
		{
			name:   "fragment",
			tables: map[string]map[string]any{"frag": {"type": "ra-oversize", "mode": "fragment", "mtu": int64(96)}},
			events: []event{periodic(0)},
			want:   []wire{{0, "periodic", "ff02::1", 5, 96}},
		},
		{
			// Chained: replayed RAs still go through later impairments.
			name: "replay then unicast",
			tables: map[string]map[string]any{
				"a-rep": {"type": "ra-replay", "interval": "10s"},
				"b-uni": {"type": "ra-mcast-to-unicast"},
			},
			events: []event{{at: 0, seen: "fe80::2"}, periodic(0), {at: 10 * time.Second, due: true}},
			want:   []wire{{0, "periodic", "fe80::2", 5, 0}, {10 * time.Second, "replay", "fe80::2", 5, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []impair.Spec
			for _, n := range slices.Sorted(maps.Keys(tt.tables)) {
				specs = append(specs, spec(t, n, tt.tables[n]))
			}
			set := impair.NewSet(t0, nil, specs...)
			var got []wire
			for _, ev := range tt.events {
				now := t0.Add(ev.at)
				var sends []impair.Send
				switch {
				case ev.seen != "":
					set.Seen(netip.MustParseAddr(ev.seen))
					continue
				case ev.due:
					if next, ok := set.Next(); !ok || next.After(now) {
						continue
					}
					sends, _ = set.Due(now)
				default:
					out := impair.Outgoing{Kind: ev.kind, RA: testRA()}
					if ev.dst != "" {
						out.Dst = netip.MustParseAddr(ev.dst)
					}
					sends, _ = set.RA(now, out)
				}
				for _, s := range sends {
					dst := "ff02::1"
					if !s.Multicast() {
						dst = s.Dst.String()
					}
					got = append(got, wire{s.At.Sub(t0), s.Kind.String(), dst, len(s.RA.Options), s.FragmentMTU})
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wire (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEffects(t *testing.T) {
	set := impair.NewSet(t0, nil, spec(t, "thr", map[string]any{"type": "ra-throttle", "period": "60s"}))
	set.RA(t0, impair.Outgoing{Kind: impair.KindPeriodic, RA: testRA()})
	sends, effects := set.RA(t0.Add(4*time.Second), impair.Outgoing{Kind: impair.KindPeriodic, RA: testRA()})
	if len(sends) != 0 || len(effects) != 1 {
		t.Fatalf("got %d sends, %d effects; want 0, 1", len(sends), len(effects))
	}
	e := effects[0]
	want := impair.Effect{At: t0.Add(4 * time.Second), Impairment: "thr", FID: "F1", Action: impair.ActionDrop,
		Detail: "periodic multicast RA throttled: 1 already passed in the period since 2026-01-01T00:00:00Z; next period from 2026-01-01T00:01:00Z"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("effect (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("thr drop (F1): "+want.Detail, e.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	if set.Len() != 1 {
		t.Errorf("Len = %d, want 1", set.Len())
	}
}

func TestRS(t *testing.T) {
	src := netip.MustParseAddr("fe80::2")
	tests := []struct {
		name   string
		table  map[string]any
		answer bool
	}{
		{"throttle answers", map[string]any{"type": "ra-throttle"}, true},
		{"replay ignores", map[string]any{"type": "ra-replay"}, false},
		{"replay answers when asked", map[string]any{"type": "ra-replay", "answer_rs": true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := impair.NewSet(t0, nil, spec(t, "x", tt.table))
			got, _ := set.RS(t0, src)
			if got != tt.answer {
				t.Errorf("RS answer = %v, want %v", got, tt.answer)
			}
		})
	}
	// An RS source is seen: multicast-to-unicast then reaches it.
	set := impair.NewSet(t0, nil, spec(t, "u", map[string]any{"type": "ra-mcast-to-unicast"}))
	set.RS(t0, src)
	sends, _ := set.RA(t0, impair.Outgoing{Kind: impair.KindPeriodic, RA: testRA()})
	if len(sends) != 1 || sends[0].Dst != src {
		t.Errorf("after RS from %v: sends %+v", src, sends)
	}
}

// TestConcurrent shares one Set between an RA sender and a DHCPv6 server,
// as the daemon does; run with -race.
func TestConcurrent(t *testing.T) {
	set := impair.NewSet(t0, nil,
		spec(t, "u", map[string]any{"type": "ra-mcast-to-unicast"}),
		spec(t, "d", map[string]any{"type": "dhcpv6-drop", "probability": 0.5}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			set.DHCPv6Request(t0, netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i)}))
			set.DHCPv6Reply(t0, netip.MustParseAddr("fe80::2"))
		}
	}()
	for range 200 {
		set.ConfigFor(t0, labIfc())
		set.RA(t0, impair.Outgoing{Kind: impair.KindPeriodic, RA: testRA()})
	}
	<-done
	sends, _ := set.RA(t0, impair.Outgoing{Kind: impair.KindPeriodic, RA: testRA()})
	if len(sends) != 200 {
		t.Errorf("RA went to %d clients, want the 200 seen", len(sends))
	}
}
