package ra

import "fmt"

// comparer records the first difference between the expected RA and the
// decoded one, naming the field.
type comparer struct {
	err error
}

// field compares one comparable value.
func field[T comparable](c *comparer, name string, want, got T) {
	if c.err == nil && want != got {
		c.err = fmt.Errorf("%w: %s: config has %v, wire has %v", ErrWireMismatch, name, want, got)
	}
}

// compare returns an error wrapping ErrWireMismatch that names the first
// field in which got, decoded from the marshalled RA, differs from want.
func compare(want, got *Message) error {
	c := &comparer{}
	if got.Err != nil {
		return fmt.Errorf("%w: %w", ErrWireMismatch, got.Err)
	}
	field(c, "ICMPv6 code", want.Code, got.Code)
	field(c, "hop limit", want.HopLimit, got.HopLimit)
	field(c, "flags byte", want.Flags, got.Flags)
	field(c, "M flag", want.Managed, got.Managed)
	field(c, "O flag", want.OtherConfig, got.OtherConfig)
	field(c, "router preference", want.Preference, got.Preference)
	field(c, "router lifetime", want.RouterLifetime, got.RouterLifetime)
	field(c, "reachable time", want.ReachableTime, got.ReachableTime)
	field(c, "retransmit timer", want.RetransmitTimer, got.RetransmitTimer)
	field(c, "number of options", len(want.Options), len(got.Options))
	if c.err != nil {
		return c.err
	}
	for i := range want.Options {
		compareOption(c, fmt.Sprintf("option %d", i+1), &want.Options[i], &got.Options[i])
		if c.err != nil {
			return c.err
		}
	}
	return nil
}

// compareOption compares one option.
func compareOption(c *comparer, name string, w, g *Option) {
	field(c, name+" type", w.Type, g.Type)
	field(c, name+" length", w.Length, g.Length)
	if c.err != nil {
		return
	}
	if g.Err != nil {
		c.err = fmt.Errorf("%w: %s: %w", ErrWireMismatch, name, g.Err)
		return
	}
	if k := kindOf(w.Type); k != nil {
		k.compare(c, name+" ("+k.name()+")", w, g)
	}
}

// list compares two lists element by element.
func list[T comparable](c *comparer, name string, want, got []T) {
	field(c, name+" count", len(want), len(got))
	for i := 0; c.err == nil && i < len(want); i++ {
		field(c, fmt.Sprintf("%s %d", name, i+1), want[i], got[i])
	}
}
