package conformance

// capped is a bounded history: it keeps the first items (an eighth of the
// cap) and the most recent ones, and counts those dropped in between, so
// a long observation keeps both how a client started and how it ended.
type capped[T any] struct {
	head    []T
	ring    []T
	next    int
	dropped int
	last    T
	n       int
}

// add appends v under a cap of max items (max >= 2).
func (c *capped[T]) add(v T, max int) {
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
		c.ring[c.next] = v
		c.next = (c.next + 1) % rc
		c.dropped++
	}
}

// items returns the kept items in order, never nil.
func (c *capped[T]) items() []T {
	out := make([]T, 0, len(c.head)+len(c.ring))
	out = append(out, c.head...)
	out = append(out, c.ring[c.next:]...)
	return append(out, c.ring[:c.next]...)
}

// count returns how many items were ever added.
func (c *capped[T]) count() int { return c.n }
