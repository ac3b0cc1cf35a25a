package impair

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// Param describes one parameter of an impairment type.
type Param struct {
	// Key is the TOML key.
	Key string
	// Default is the value used when the key is absent, as TOML; empty
	// when the key is required.
	Default string
	// Doc says what the parameter means and what is allowed.
	Doc string
}

// Type is one kind of impairment, such as "ra-throttle".
type Type struct {
	// Name is the value of the "type" key.
	Name string
	// FID is the field guide failure id it reproduces, such as "F1".
	FID string
	// Emulates says what real network behaviour it reproduces.
	Emulates string
	// Params lists the parameters, in documentation order.
	Params []Param
	// decode checks the parameters and returns them.
	decode func(d *decoder) params
}

// params is a checked parameter set that can start its state.
type params interface {
	start(start time.Time, rnd *rand.Rand) impairment
}

// Spec is a named, checked impairment: one [impairment.NAME] table.
type Spec struct {
	// Name is the name the scenario gives it.
	Name string
	// Type is its type.
	Type *Type
	// Params are the parameters as given, as TOML values by key, for
	// display.
	Params map[string]string
	params params
}

// Lookup returns the type called name.
func Lookup(name string) (*Type, bool) {
	for _, t := range Types {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// TypeNames returns the names of all types, in catalogue order.
func TypeNames() []string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = t.Name
	}
	return names
}

// NewSpec checks the table of an impairment called name: its "type" key
// and its type's parameters (every other key), as BurntSushi/toml decodes
// them into a map. On failure the error joins one *config.Error per
// problem, whose Key is relative to the table ("type", "period", ...)
// and whose File and Line are empty, for the caller to fill in.
func NewSpec(name string, table map[string]any) (Spec, error) {
	sp := Spec{Name: name, Params: map[string]string{}}
	raw, ok := table["type"]
	if !ok {
		return sp, &config.Error{Key: "type", Err: config.ErrMissingKey,
			Reason: "missing; allowed types: " + strings.Join(TypeNames(), ", ")}
	}
	s, ok := raw.(string)
	if !ok {
		return sp, &config.Error{Key: "type", Value: config.EchoValue(raw), Err: config.ErrWrongType,
			Reason: "must be a string naming the type: " + strings.Join(TypeNames(), ", ")}
	}
	t, ok := Lookup(s)
	if !ok {
		return sp, &config.Error{Key: "type", Value: strconv.Quote(s), Err: config.ErrInvalidValue,
			Reason: "unknown impairment type; allowed: " + strings.Join(TypeNames(), ", ")}
	}
	sp.Type = t
	d := &decoder{table: table, used: map[string]bool{"type": true}}
	p := t.decode(d)
	known := []string{"type"}
	for _, pa := range t.Params {
		known = append(known, pa.Key)
	}
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			d.errs = append(d.errs, &config.Error{Key: k, Err: config.ErrUnknownKey,
				Reason: fmt.Sprintf("unknown parameter of %s; allowed: %s", t.Name, strings.Join(known, ", "))})
			continue
		}
		if k != "type" {
			sp.Params[k] = config.EchoValue(table[k])
		}
	}
	if len(d.errs) > 0 {
		errs := make([]error, len(d.errs))
		for i, e := range d.errs {
			errs[i] = e
		}
		return sp, errors.Join(errs...)
	}
	sp.params = p
	return sp, nil
}

// decoder reads typed parameters from a decoded TOML table and collects
// problems.
type decoder struct {
	table map[string]any
	used  map[string]bool
	errs  []*config.Error
}

// fail records a problem with key.
func (d *decoder) fail(key string, raw any, sentinel error, format string, args ...any) {
	e := &config.Error{Key: key, Err: sentinel, Reason: fmt.Sprintf(format, args...)}
	if raw != nil {
		e.Value = config.EchoValue(raw)
	}
	d.errs = append(d.errs, e)
}

// get returns the raw value of key.
func (d *decoder) get(key string) (any, bool) {
	d.used[key] = true
	v, ok := d.table[key]
	return v, ok
}

// duration reads a Go duration string such as "600s" within [lo, hi].
// "infinite" is accepted when inf is true and means config.Infinite.
func (d *decoder) duration(key string, def, lo, hi time.Duration, inf bool) time.Duration {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	allowed := fmt.Sprintf("a duration from %v to %v", lo, hi)
	if inf {
		allowed += ` or "infinite"`
	}
	s, ok := raw.(string)
	if !ok {
		d.fail(key, raw, config.ErrWrongType, "must be a string holding %s, such as \"30s\"", allowed)
		return def
	}
	if inf && s == "infinite" {
		return config.Infinite
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.fail(key, raw, config.ErrInvalidValue, "not a duration; must be %s", allowed)
		return def
	}
	if v < lo || v > hi {
		d.fail(key, raw, config.ErrOutOfRange, "must be %s", allowed)
		return def
	}
	return v
}

// integer reads an integer within [lo, hi].
func (d *decoder) integer(key string, def, lo, hi int64) int {
	raw, ok := d.get(key)
	if !ok {
		return int(def)
	}
	v, ok := raw.(int64)
	if !ok {
		d.fail(key, raw, config.ErrWrongType, "must be an integer from %d to %d", lo, hi)
		return int(def)
	}
	if v < lo || v > hi {
		d.fail(key, raw, config.ErrOutOfRange, "must be from %d to %d", lo, hi)
		return int(def)
	}
	return int(v)
}

// fraction reads a probability from 0 to 1.
func (d *decoder) fraction(key string, def float64) float64 {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	var v float64
	switch x := raw.(type) {
	case float64:
		v = x
	case int64:
		v = float64(x)
	default:
		d.fail(key, raw, config.ErrWrongType, "must be a number from 0 to 1")
		return def
	}
	if !(v >= 0 && v <= 1) {
		d.fail(key, raw, config.ErrOutOfRange, "must be a number from 0 to 1")
		return def
	}
	return v
}

// boolean reads true or false.
func (d *decoder) boolean(key string, def bool) bool {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	v, ok := raw.(bool)
	if !ok {
		d.fail(key, raw, config.ErrWrongType, "must be true or false")
		return def
	}
	return v
}

// choice reads a string that must be one of allowed.
func (d *decoder) choice(key string, def string, allowed ...string) string {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	v, ok := raw.(string)
	if !ok || !slices.Contains(allowed, v) {
		sentinel := config.ErrInvalidValue
		if !ok {
			sentinel = config.ErrWrongType
		}
		quoted := make([]string, len(allowed))
		for i, a := range allowed {
			quoted[i] = strconv.Quote(a)
		}
		d.fail(key, raw, sentinel, "must be one of %s", strings.Join(quoted, ", "))
		return def
	}
	return v
}

// addr reads an IPv6 address; check, when not nil, returns a problem.
func (d *decoder) addr(key string, def netip.Addr, check func(netip.Addr) string) netip.Addr {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	s, ok := raw.(string)
	if !ok {
		d.fail(key, raw, config.ErrWrongType, "must be a string holding an IPv6 address")
		return def
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		d.fail(key, raw, config.ErrInvalidValue, "must be an IPv6 address without zone, such as \"2001:db8::53\"")
		return def
	}
	if check != nil {
		if why := check(a); why != "" {
			d.fail(key, raw, config.ErrInvalidValue, "%s", why)
			return def
		}
	}
	return a
}

// addrs reads a non-empty list of unicast IPv6 addresses.
func (d *decoder) addrs(key string, def []netip.Addr) []netip.Addr {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		d.fail(key, raw, config.ErrWrongType, "must be a non-empty array of IPv6 address strings")
		return def
	}
	var out []netip.Addr
	for _, x := range list {
		s, _ := x.(string)
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" || !unicast(a) {
			d.fail(key, raw, config.ErrInvalidValue, "%s is not a unicast IPv6 address", config.EchoValue(x))
			return def
		}
		out = append(out, a)
	}
	return out
}

// mac reads a unicast Ethernet address.
func (d *decoder) mac(key string, def net.HardwareAddr) net.HardwareAddr {
	raw, ok := d.get(key)
	if !ok {
		return def
	}
	s, ok := raw.(string)
	if !ok {
		d.fail(key, raw, config.ErrWrongType, "must be a string holding a MAC address")
		return def
	}
	m, err := net.ParseMAC(s)
	if err != nil || len(m) != 6 || m[0]&1 != 0 {
		d.fail(key, raw, config.ErrInvalidValue, "must be a unicast 48-bit MAC address, such as \"02:00:00:00:53:02\"")
		return def
	}
	return m
}

// unicast reports whether a is usable as a unicast server address.
func unicast(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLoopback()
}
