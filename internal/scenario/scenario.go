package scenario

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
)

// MaxDuration bounds a scenario's duration.
const MaxDuration = 7 * 24 * time.Hour

// Outcome is what a client class is expected to end a scenario with.
type Outcome string

// Outcomes a scenario may expect.
const (
	// OutcomeDNS means the client has working DNS throughout.
	OutcomeDNS Outcome = "dns"
	// OutcomeNoDNS means the client never gets DNS.
	OutcomeNoDNS Outcome = "no-dns"
	// OutcomeLosesDNS means the client gets DNS, then loses it.
	OutcomeLosesDNS Outcome = "loses-dns"
	// OutcomeFlaps means the client loses DNS and gets it back.
	OutcomeFlaps Outcome = "flaps"
	// OutcomeLateDNS means the client gets DNS only after a delay the
	// impairment causes, such as DHCPv6 retransmissions.
	OutcomeLateDNS Outcome = "late-dns"
)

// Outcomes lists every Outcome.
var Outcomes = []Outcome{OutcomeDNS, OutcomeNoDNS, OutcomeLosesDNS, OutcomeFlaps, OutcomeLateDNS}

// ClientClasses are the client classes a scenario may state an
// expectation for: those of the field guide §1, and ConnMan, which the
// virtual lab runs.
var ClientClasses = []string{
	"android", "apple", "windows-legacy", "windows", "chromeos",
	"systemd-networkd", "networkmanager", "connman", "dhcpcd", "rdnssd",
	"odhcp6c", "dhclient", "udhcpc6", "wide-dhcp6c",
}

// Expectation is what one client class should end up with.
type Expectation struct {
	// Outcome is the expected result.
	Outcome Outcome
	// Note says why, from the field guide.
	Note string
}

// Phase is one timed part of a scenario. It lasts from Start until the
// next phase's Start, or the scenario's end.
type Phase struct {
	// Index is the phase's position, from 0.
	Index int
	// Name is the phase's name, "phase N" when the file gives none.
	Name string
	// Start and End are offsets from the scenario start.
	Start, End time.Duration
	// Impairments are active during the phase, in the order listed.
	Impairments []impair.Spec
	// Override is the scenario's [override] merged with the phase's.
	Override Override
}

// Set starts the phase's impairments at time start, the phase's real
// start, with a random source derived from seed and the phase index.
func (p Phase) Set(start time.Time, seed uint64) *impair.Set {
	return impair.NewSet(start, rand.New(rand.NewPCG(seed, uint64(p.Index))), p.Impairments...)
}

// Scenario is a parsed, validated scenario file.
type Scenario struct {
	// File is the name given to Parse.
	File string
	// Name is the scenario's name, such as "F9-dhcpv6-reply-drop".
	Name string
	// FIDs are the field guide failures it reproduces; empty for a
	// baseline.
	FIDs []string
	// Description says what happens.
	Description string
	// Realistic is a note on timings for a real lab.
	Realistic string
	// Duration is the total run time.
	Duration time.Duration
	// Seed seeds the random sources of probabilistic impairments.
	Seed uint64
	// Override applies to every phase (already merged into each Phase).
	Override Override
	// Impairments are the defined impairments, by name.
	Impairments map[string]impair.Spec
	// Phases are in start order; the first starts at 0.
	Phases []Phase
	// Expect maps a client class to its expected outcome.
	Expect map[string]Expectation
}

// At returns the phase active at offset t from the start; false when t is
// negative or at or after the end.
func (s *Scenario) At(t time.Duration) (Phase, bool) {
	if t < 0 || t >= s.Duration || len(s.Phases) == 0 {
		return Phase{}, false
	}
	i := sort.Search(len(s.Phases), func(i int) bool { return s.Phases[i].Start > t })
	return s.Phases[i-1], true
}

// Load reads (with config.ReadFile: a regular file of at most
// config.MaxFileBytes) and validates the scenario file at path.
func Load(path string) (*Scenario, error) {
	b, err := config.ReadFile(path)
	if err != nil {
		var e *config.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, b)
}

var (
	// namePattern is the syntax of scenario and impairment names.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	// fidPattern is a field guide failure id.
	fidPattern = regexp.MustCompile(`^F([1-9]|1[0-7])$`)
)

// topKeys are the keys of a scenario file, in documentation order.
var topKeys = []string{
	"name", "fids", "description", "realistic", "duration", "seed", "override", "impairment", "phase", "expect",
}

// parser collects problems with their positions.
type parser struct {
	file  string
	lines map[string]int
	errs  config.Problems
	// invalid are impairments defined with errors already reported, so
	// that phases naming them raise no second error.
	invalid map[string]bool
}

// fail records a problem with key.
func (p *parser) fail(key string, raw any, sentinel error, format string, args ...any) {
	e := &config.Error{File: p.file, Line: p.line(key), Key: key, Err: sentinel, Reason: fmt.Sprintf(format, args...)}
	if raw != nil {
		e.Value = config.EchoValue(raw)
	}
	p.errs.Add(e)
}

// line finds the line of key or of its nearest known parent.
func (p *parser) line(key string) int {
	for key != "" {
		if n, ok := p.lines[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// Parse decodes and validates a scenario; name is used in messages. On
// failure the error joins one *config.Error per problem, in line order, at
// most config.MaxReportedErrors of them and then one with
// config.ErrMoreProblems.
func Parse(name string, data []byte) (*Scenario, error) {
	tree, lines, err := config.DecodeDocument(name, data)
	if err != nil {
		return nil, err
	}
	p := &parser{file: name, lines: lines, invalid: map[string]bool{}}
	s := p.scenario(tree)
	if err := p.errs.Err(name); err != nil {
		return nil, err
	}
	return s, nil
}

// known reports keys of m not in allowed as unknown.
func (p *parser) known(prefix string, m map[string]any, allowed []string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			p.fail(config.JoinKey(prefix, k), nil, config.ErrUnknownKey, "unknown key; allowed here: %s",
				strings.Join(allowed, ", "))
		}
	}
}

// scenario checks the whole file.
func (p *parser) scenario(tree map[string]any) *Scenario {
	p.known("", tree, topKeys)
	s := &Scenario{File: p.file, Seed: 1, Impairments: map[string]impair.Spec{}, Expect: map[string]Expectation{}}
	p.header(s, tree)
	if t, ok := p.table("", tree, "override"); ok {
		s.Override = p.override("override", t)
	}
	if t, ok := p.table("", tree, "impairment"); ok {
		p.impairments(s, t)
	}
	p.phases(s, tree)
	if t, ok := p.table("", tree, "expect"); ok {
		p.expectations(s, t)
	}
	return s
}

// header checks the top-level keys: name, description, realistic, fids,
// duration and seed.
func (p *parser) header(s *Scenario, tree map[string]any) {
	if v, ok := p.str("", tree, "name", true); ok {
		if namePattern.MatchString(v) {
			s.Name = v
		} else {
			p.fail("name", v, config.ErrInvalidValue,
				"must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
		}
	}
	s.Description, _ = p.str("", tree, "description", true)
	s.Realistic, _ = p.str("", tree, "realistic", false)
	if raw, ok := tree["fids"]; ok {
		s.FIDs = p.fids(raw)
	}
	if d, ok := p.duration("", tree, "duration", true); ok {
		if d <= 0 || d > MaxDuration {
			p.fail("duration", d.String(), config.ErrOutOfRange, "must be more than 0s and at most %v", MaxDuration)
		} else {
			s.Duration = d
		}
	}
	if raw, ok := tree["seed"]; ok {
		if n, ok := raw.(int64); ok && n >= 0 {
			s.Seed = uint64(n)
		} else {
			p.fail("seed", raw, config.ErrWrongType, "must be a non-negative integer")
		}
	}
}

// fids checks the fids array: field guide ids, each once.
func (p *parser) fids(raw any) []string {
	list, ok := raw.([]any)
	if !ok {
		p.fail("fids", raw, config.ErrWrongType, `must be an array of field guide ids such as ["F9"]`)
	}
	var fids []string
	for i, x := range list {
		f, _ := x.(string)
		switch {
		case !fidPattern.MatchString(f):
			p.fail("fids", raw, config.ErrInvalidValue, "element %d: %s is not a field guide id F1 to F17",
				i, config.EchoValue(x))
		case slices.Contains(fids, f):
			p.fail("fids", raw, config.ErrDuplicate, "%s is listed twice", f)
		default:
			fids = append(fids, f)
		}
	}
	return fids
}

// impairments checks the [impairment.NAME] tables in name order; a name
// that fails is remembered so that phases naming it do not fail twice.
func (p *parser) impairments(s *Scenario, t map[string]any) {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		key := "impairment." + n
		if !namePattern.MatchString(n) {
			p.fail(key, nil, config.ErrInvalidValue, "impairment names are 1 to 64 letters, digits, '-' or '_'")
			p.invalid[n] = true
			continue
		}
		body, ok := t[n].(map[string]any)
		if !ok {
			p.fail(key, t[n], config.ErrWrongType, "must be a table: [impairment.%s] with type = \"...\"", n)
			p.invalid[n] = true
			continue
		}
		sp, err := impair.NewSpec(n, body)
		if err != nil {
			p.adopt(key, err)
			p.invalid[n] = true
			continue
		}
		s.Impairments[n] = sp
	}
}

// expectations checks the [expect.CLASS] tables.
func (p *parser) expectations(s *Scenario, t map[string]any) {
	p.known("expect", t, ClientClasses)
	for class, raw := range t {
		if !slices.Contains(ClientClasses, class) {
			continue
		}
		key := "expect." + class
		body, ok := raw.(map[string]any)
		if !ok {
			p.fail(key, raw, config.ErrWrongType, `must be a table with outcome = "dns" and an optional note`)
			continue
		}
		p.known(key, body, []string{"outcome", "note"})
		var e Expectation
		if o, ok := p.str(key, body, "outcome", true); ok {
			if slices.Contains(Outcomes, Outcome(o)) {
				e.Outcome = Outcome(o)
			} else {
				p.fail(key+".outcome", o, config.ErrInvalidValue,
					`must be "dns", "no-dns", "loses-dns", "flaps" or "late-dns"`)
			}
		}
		e.Note, _ = p.str(key, body, "note", false)
		s.Expect[class] = e
	}
}

// phases checks the [[phase]] array.
func (p *parser) phases(s *Scenario, tree map[string]any) {
	raw, ok := tree["phase"]
	if !ok {
		p.fail("phase", nil, config.ErrMissingKey, `no [[phase]] table: add at least one, with start = "0s"`)
		return
	}
	list, ok := raw.([]map[string]any)
	if arr, isArr := raw.([]any); isArr {
		// An inline array of tables: phase = [{start = "0s"}].
		ok = true
		for _, x := range arr {
			m, isMap := x.(map[string]any)
			ok = ok && isMap
			list = append(list, m)
		}
	}
	if !ok {
		p.fail("phase", raw, config.ErrWrongType, "must be an array of tables: [[phase]]")
		return
	}
	used := map[string]bool{}
	for i, t := range list {
		key := fmt.Sprintf("phase[%d]", i)
		p.known(key, t, []string{"name", "start", "impairments", "override"})
		ph := Phase{Index: i, Name: fmt.Sprintf("phase %d", i), Override: s.Override}
		if n, ok := p.str(key, t, "name", false); ok && n != "" {
			ph.Name = n
		}
		if d, ok := p.duration(key, t, "start", true); ok {
			switch {
			case i == 0 && d != 0:
				p.fail(key+".start", d.String(), config.ErrInvalidValue, `the first phase must start at "0s"`)
			case i > 0 && d <= s.Phases[i-1].Start:
				p.fail(key+".start", d.String(), config.ErrInvalidValue, "must be after the previous phase's start (%v): phases are in time order", s.Phases[i-1].Start)
			case s.Duration > 0 && d >= s.Duration:
				p.fail(key+".start", d.String(), config.ErrOutOfRange, "must be before the scenario's end (duration %v)", s.Duration)
			default:
				ph.Start = d
			}
		}
		if raw, ok := t["impairments"]; ok {
			names, ok := raw.([]any)
			if !ok {
				p.fail(key+".impairments", raw, config.ErrWrongType, "must be an array of impairment names")
			}
			for _, x := range names {
				n, _ := x.(string)
				sp, ok := s.Impairments[n]
				switch {
				case p.invalid[n]:
				case !ok:
					p.fail(key+".impairments", raw, config.ErrInvalidValue,
						"%s is not defined: add an [impairment.%s] table; defined: %s",
						config.EchoValue(x), n, strings.Join(definedNames(s), ", "))
				case slices.ContainsFunc(ph.Impairments, func(o impair.Spec) bool { return o.Name == n }):
					p.fail(key+".impairments", raw, config.ErrDuplicate, "%q is listed twice", n)
				default:
					ph.Impairments = append(ph.Impairments, sp)
					used[n] = true
				}
			}
		}
		if o, ok := p.table(key, t, "override"); ok {
			ph.Override = s.Override.Merge(p.override(key+".override", o))
		}
		s.Phases = append(s.Phases, ph)
	}
	for i := range s.Phases {
		s.Phases[i].End = s.Duration
		if i+1 < len(s.Phases) {
			s.Phases[i].End = s.Phases[i+1].Start
		}
	}
	for _, n := range definedNames(s) {
		if !used[n] {
			p.fail("impairment."+n, nil, config.ErrInvalidValue, "defined but used in no phase")
		}
	}
}

// definedNames returns the defined impairment names, sorted.
func definedNames(s *Scenario) []string {
	names := make([]string, 0, len(s.Impairments))
	for n := range s.Impairments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// override checks an override table.
func (p *parser) override(key string, t map[string]any) Override {
	p.known(key, t, overrideKeys)
	var o Override
	dur := func(k string, lo, hi time.Duration, inf bool) *time.Duration {
		d, ok := p.duration(key, t, k, false)
		if !ok {
			return nil
		}
		if inf && d == config.Infinite {
			return &d
		}
		if d < lo || d > hi || d%time.Second != 0 {
			p.fail(config.JoinKey(key, k), d.String(), config.ErrOutOfRange,
				"must be whole seconds from %v to %v", lo, hi)
			return nil
		}
		return &d
	}
	boolean := func(k string) *bool {
		raw, ok := t[k]
		if !ok {
			return nil
		}
		b, ok := raw.(bool)
		if !ok {
			p.fail(config.JoinKey(key, k), raw, config.ErrWrongType, "must be true or false")
			return nil
		}
		return &b
	}
	o.MaxInterval = dur("max_interval", config.MinMaxInterval, config.MaxMaxInterval, false)
	o.MinInterval = dur("min_interval", config.MinMinInterval, config.MaxMaxInterval*3/4, false)
	o.RouterLifetime = dur("router_lifetime", 0, config.MaxRouterLifetime, false)
	o.RDNSSLifetime = dur("rdnss_lifetime", 0, config.Infinite, true)
	o.DNSSLLifetime = dur("dnssl_lifetime", 0, config.Infinite, true)
	o.PREF64Lifetime = dur("pref64_lifetime", 0, config.MaxPREF64Lifetime, false)
	o.Managed = boolean("managed")
	o.OtherConfig = boolean("other_config")
	o.DHCPv6 = boolean("dhcpv6")
	if o.PREF64Lifetime != nil && *o.PREF64Lifetime%(8*time.Second) != 0 {
		p.fail(key+".pref64_lifetime", o.PREF64Lifetime.String(), config.ErrInvalidValue,
			"must be a multiple of 8s (RFC 8781 §4)")
	}
	if m := o.MaxInterval; m != nil {
		if o.MinInterval != nil && *o.MinInterval > *m*3/4 {
			p.fail(key+".min_interval", o.MinInterval.String(), config.ErrOutOfRange,
				"must be at most 0.75 × max_interval (%v) (RFC 4861 §6.2.1)", *m*3/4)
		}
		if rl := o.RouterLifetime; rl != nil && *rl != 0 && *rl < *m {
			p.fail(key+".router_lifetime", rl.String(), config.ErrOutOfRange,
				"must be 0 or at least max_interval (%v) (RFC 4861 §6.2.1)", *m)
		}
		for k, lt := range map[string]*time.Duration{"rdnss_lifetime": o.RDNSSLifetime,
			"dnssl_lifetime": o.DNSSLLifetime} {
			if lt != nil && *lt != 0 && *lt < *m {
				p.fail(config.JoinKey(key, k), lt.String(), config.ErrOutOfRange,
					"must be 0 or at least max_interval (%v) (RFC 8106 §5.1)", *m)
			}
		}
	}
	return o
}

// adopt re-homes the *config.Error values of an impair.NewSpec error
// under key, with file and line.
func (p *parser) adopt(key string, err error) {
	for _, x := range config.Split(err) {
		var ce *config.Error
		if !errors.As(x, &ce) {
			p.fail(key, nil, config.ErrInvalidValue, "%v", x)
			continue
		}
		c := *ce
		c.File = p.file
		c.Key = config.JoinKey(key, c.Key)
		c.Line = p.line(c.Key)
		p.errs.Add(&c)
	}
}

// str reads a string key of table m at prefix.
func (p *parser) str(prefix string, m map[string]any, k string, required bool) (string, bool) {
	raw, ok := m[k]
	if !ok {
		if required {
			p.fail(config.JoinKey(prefix, k), nil, config.ErrMissingKey, "missing; add %s = \"...\"", k)
		}
		return "", false
	}
	s, ok := raw.(string)
	if !ok {
		p.fail(config.JoinKey(prefix, k), raw, config.ErrWrongType, "must be a string")
	}
	return s, ok
}

// duration reads a Go duration string, or "infinite".
func (p *parser) duration(prefix string, m map[string]any, k string, required bool) (time.Duration, bool) {
	s, ok := p.str(prefix, m, k, required)
	if !ok {
		return 0, false
	}
	if s == "infinite" {
		return config.Infinite, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.fail(config.JoinKey(prefix, k), s, config.ErrInvalidValue, `not a duration; write it like "30s" or "5m"`)
		return 0, false
	}
	return d, true
}

// table reads a sub-table.
func (p *parser) table(prefix string, m map[string]any, k string) (map[string]any, bool) {
	raw, ok := m[k]
	if !ok {
		return nil, false
	}
	t, ok := raw.(map[string]any)
	if !ok {
		p.fail(config.JoinKey(prefix, k), raw, config.ErrWrongType, "must be a table")
	}
	return t, ok
}
