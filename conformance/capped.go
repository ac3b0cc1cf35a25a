package conformance

import (
	"time"
)

// capped is a bounded history: it keeps the first items (an eighth of the
// cap) and the most recent ones, and counts those dropped in between, so
// a long observation keeps both how a client started and how it ended.
// Items added with addStamped also leave a summary of what was dropped
// (elided): its time span and, per kind, how many and how often, so a
// picture of the list can mark the span instead of showing it empty.
type capped[T any] struct {
	head    []T
	ring    []T
	next    int
	dropped int
	last    T
	n       int
	el      elision
}

// elideStamp is what the elision summary needs of an item: when it happened
// (from == to for an instant) and its kind ("" for lists without kinds).
type elideStamp struct {
	from, to time.Time
	kind     string
}

// maxElidedKinds bounds the kinds an elision tells apart; further kinds
// are counted under elidedOther.
const maxElidedKinds = 16

// elidedOther is the kind that collects kinds beyond maxElidedKinds.
const elidedOther = "other"

// elision summarises dropped items in O(1) time per drop and bounded
// memory.
type elision struct {
	count    int
	from, to time.Time
	prev     time.Time
	maxGap   time.Duration
	kinds    []kindSpan
}

// kindSpan is the running summary of the dropped items of one kind.
type kindSpan struct {
	kind        string
	count       int
	first, last time.Time
	maxGap      time.Duration
}

// add appends v under a cap of max items (max >= 2).
func (c *capped[T]) add(v T, max int) { c.addStamped(v, max, nil) }

// addStamped is add for items that have a time: stamp (nil for none) tells
// the time and kind of an item, and is called once per dropped item.
func (c *capped[T]) addStamped(v T, max int, stamp func(T) elideStamp) {
	c.last = v
	c.n++
	hc := max / 8
	if hc < 1 {
		hc = 1
	}
	rc := max - hc
	switch {
	case len(c.head) < hc:
		c.head = append(c.head, v)
	case len(c.ring) < rc:
		c.ring = append(c.ring, v)
	default:
		if stamp != nil {
			c.el.note(stamp(c.ring[c.next]))
		}
		c.ring[c.next] = v
		c.next = (c.next + 1) % rc
		c.dropped++
	}
}

// note adds one dropped item to the summary.
func (e *elision) note(s elideStamp) {
	if e.count == 0 || s.from.Before(e.from) {
		e.from = s.from
	}
	if e.count == 0 || s.to.After(e.to) {
		e.to = s.to
	}
	if e.count > 0 {
		e.maxGap = max(e.maxGap, s.from.Sub(e.prev))
	}
	e.prev = s.from
	e.count++
	if s.kind == "" {
		return
	}
	k := e.kindOf(s.kind)
	if k.count > 0 {
		k.maxGap = max(k.maxGap, s.from.Sub(k.last))
	} else {
		k.first = s.from
	}
	k.last = s.from
	k.count++
}

// kindOf returns the running summary of kind, adding it (or, past
// maxElidedKinds, elidedOther) if new.
func (e *elision) kindOf(kind string) *kindSpan {
	for i := range e.kinds {
		if e.kinds[i].kind == kind {
			return &e.kinds[i]
		}
	}
	if len(e.kinds) >= maxElidedKinds-1 && kind != elidedOther {
		return e.kindOf(elidedOther)
	}
	e.kinds = append(e.kinds, kindSpan{kind: kind})
	return &e.kinds[len(e.kinds)-1]
}

// items returns the kept items in order, never nil.
func (c *capped[T]) items() []T {
	out := make([]T, 0, len(c.head)+len(c.ring))
	out = append(out, c.head...)
	out = append(out, c.ring[c.next:]...)
	return append(out, c.ring[:c.next]...)
}

// elided returns the report's summary of the dropped items, nil when none
// was dropped or the items carry no time (added with add).
func (c *capped[T]) elided() *Elided {
	e := &c.el
	if e.count == 0 {
		return nil
	}
	out := &Elided{
		Index: len(c.head), Count: e.count, From: e.from, To: e.to,
		MaxGapSeconds: roundSeconds(e.maxGap),
	}
	for _, k := range e.kinds {
		ek := ElidedKind{Kind: k.kind, Count: k.count, First: k.first, Last: k.last,
			MaxGapSeconds: roundSeconds(k.maxGap)}
		if k.count > 1 {
			ek.EverySeconds = roundSeconds(k.last.Sub(k.first) / time.Duration(k.count-1))
		}
		out.Kinds = append(out.Kinds, ek)
	}
	return out
}

// roundSeconds returns d in seconds rounded to the millisecond.
func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// eventStamp is the elision stamp of a timeline event.
func eventStamp(e Event) elideStamp { return elideStamp{from: e.Time, to: e.Time, kind: e.Kind} }

// raOfferStamp is the elision stamp of an RA offer.
func raOfferStamp(o RAOffer) elideStamp { return elideStamp{from: o.OfferedAt, to: o.OfferedAt} }

// dhcpOfferStamp is the elision stamp of a DHCPv6 offer.
func dhcpOfferStamp(o DHCPv6Offer) elideStamp { return elideStamp{from: o.At, to: o.At} }

// intervalStamp is the elision stamp of a closed validity interval.
func intervalStamp(v Interval) elideStamp {
	s := elideStamp{from: v.From, to: v.From}
	if v.To != nil && v.To.After(v.From) {
		s.to = *v.To
	}
	return s
}
