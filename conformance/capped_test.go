package conformance

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCappedElided(t *testing.T) {
	s := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	// periodic: an RA every 3 s and a DNS query every other second, one
	// event a second; a cap of 8 keeps the first and the 7 most recent.
	var periodic []Event
	for i := range 20 {
		k := EventDNSQuery
		if i%3 == 0 {
			k = EventRA
		}
		periodic = append(periodic, Event{Kind: k, Time: s(float64(i)), Packet: i + 1})
	}
	// late: an expiry found late carries an earlier time.
	late := []Event{
		{Kind: EventRA, Time: s(0)}, {Kind: EventRA, Time: s(10)}, {Kind: EventRDNSSExpired, Time: s(5)},
		{Kind: EventRA, Time: s(20)}, {Kind: EventRA, Time: s(30)}, {Kind: EventRA, Time: s(40)},
	}
	// many: more kinds than an elision tells apart.
	var many []Event
	for i := range 40 {
		many = append(many, Event{Kind: "k" + strconv.Itoa(i), Time: s(float64(i))})
	}
	otherKinds := func() []ElidedKind {
		var out []ElidedKind
		for i := 1; i < maxElidedKinds; i++ {
			out = append(out, ElidedKind{Kind: "k" + strconv.Itoa(i), Count: 1, First: s(float64(i)), Last: s(float64(i))})
		}
		// k16 to k32, one a second.
		return append(out, ElidedKind{Kind: elidedOther, Count: 17, First: s(16), Last: s(32), EverySeconds: 1, MaxGapSeconds: 1})
	}
	tests := []struct {
		name   string
		events []Event
		cap    int
		want   *Elided
	}{
		{name: "under the cap", events: periodic[:8], cap: 8},
		{
			name: "periodic", events: periodic, cap: 8,
			want: &Elided{Index: 1, Count: 12, From: s(1), To: s(12), MaxGapSeconds: 1, Kinds: []ElidedKind{
				{Kind: EventDNSQuery, Count: 8, First: s(1), Last: s(11), EverySeconds: 1.429, MaxGapSeconds: 2},
				{Kind: EventRA, Count: 4, First: s(3), Last: s(12), EverySeconds: 3, MaxGapSeconds: 3},
			}},
		},
		{
			name: "late derived event", events: late, cap: 4,
			want: &Elided{Index: 1, Count: 2, From: s(5), To: s(10), MaxGapSeconds: 0, Kinds: []ElidedKind{
				{Kind: EventRA, Count: 1, First: s(10), Last: s(10)},
				{Kind: EventRDNSSExpired, Count: 1, First: s(5), Last: s(5)},
			}},
		},
		{
			name: "more kinds than tracked", events: many, cap: 8,
			want: &Elided{Index: 1, Count: 32, From: s(1), To: s(32), MaxGapSeconds: 1, Kinds: otherKinds()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c capped[Event]
			for _, e := range tt.events {
				c.addStamped(e, tt.cap, eventStamp)
			}
			if diff := cmp.Diff(tt.want, c.elided()); diff != "" {
				t.Errorf("elided (-want +got):\n%s", diff)
			}
			if tt.want != nil && c.dropped != tt.want.Count {
				t.Errorf("dropped %d, elided count %d", c.dropped, tt.want.Count)
			}
		})
	}
}

func TestCappedElidedWithoutKinds(t *testing.T) {
	s := func(sec int) *time.Time { v := t0.Add(time.Duration(sec) * time.Second); return &v }
	var c capped[Interval]
	for i := range 6 {
		c.addStamped(Interval{Server: "2001:db8::53", Via: ViaRA, From: *s(10 * i), To: s(10*i + 25)}, 4, intervalStamp)
	}
	// Kept: the first and the three most recent; dropped: those from 10
	// and 20 s, valid until 35 and 45 s.
	want := &Elided{Index: 1, Count: 2, From: *s(10), To: *s(45), MaxGapSeconds: 10}
	if diff := cmp.Diff(want, c.elided()); diff != "" {
		t.Errorf("elided intervals (-want +got):\n%s", diff)
	}
	// Items added without a stamp are counted, not summarised.
	var n capped[int]
	for i := range 20 {
		n.add(i, 8)
	}
	if n.dropped != 12 || n.elided() != nil {
		t.Errorf("unstamped: dropped %d, elided %+v", n.dropped, n.elided())
	}
}
