package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The raw* types mirror the TOML file. Every leaf is a pointer so that an
// absent key (nil) differs from a zero value; the toml struct tags are the
// complete list of keys ralab accepts.

// durationText is a duration as written: a Go duration string, "auto" or
// "infinite".
type durationText string

// rawConfig is the top level of a configuration file.
type rawConfig struct {
	HTTP      *rawHTTP       `toml:"http"`
	Interface []rawInterface `toml:"interface"`
}

// rawHTTP is the [http] table.
type rawHTTP struct {
	Address *string `toml:"address"`
}

// rawInterface is one [[interface]] table.
type rawInterface struct {
	Name             *string       `toml:"name"`
	Managed          *bool         `toml:"managed"`
	OtherConfig      *bool         `toml:"other_config"`
	HopLimit         *int64        `toml:"hop_limit"`
	ReachableTime    *durationText `toml:"reachable_time"`
	RetransmitTimer  *durationText `toml:"retransmit_timer"`
	RouterLifetime   *durationText `toml:"router_lifetime"`
	Preference       *string       `toml:"preference"`
	MinInterval      *durationText `toml:"min_interval"`
	MaxInterval      *durationText `toml:"max_interval"`
	UnicastSolicited *bool         `toml:"unicast_solicited"`
	SourceLLA        *bool         `toml:"source_lla"`
	MTU              *int64        `toml:"mtu"`
	WithdrawOnStop   *bool         `toml:"withdraw_on_stop"`
	CaptivePortal    *string       `toml:"captive_portal"`
	Prefix           []rawPrefix   `toml:"prefix"`
	Route            []rawRoute    `toml:"route"`
	RDNSS            []rawRDNSS    `toml:"rdnss"`
	DNSSL            []rawDNSSL    `toml:"dnssl"`
	PREF64           []rawPREF64   `toml:"pref64"`
	DHCPv6           *rawDHCPv6    `toml:"dhcpv6"`
	DNSResponder     *rawDNSResp   `toml:"dns_responder"`
	Observe          *rawObserve   `toml:"observe"`
}

// rawPrefix is one [[interface.prefix]] table.
type rawPrefix struct {
	Prefix            *string       `toml:"prefix"`
	OnLink            *bool         `toml:"on_link"`
	Autonomous        *bool         `toml:"autonomous"`
	ValidLifetime     *durationText `toml:"valid_lifetime"`
	PreferredLifetime *durationText `toml:"preferred_lifetime"`
}

// rawRoute is one [[interface.route]] table.
type rawRoute struct {
	Prefix     *string       `toml:"prefix"`
	Preference *string       `toml:"preference"`
	Lifetime   *durationText `toml:"lifetime"`
}

// rawRDNSS is one [[interface.rdnss]] table.
type rawRDNSS struct {
	Servers  *[]string     `toml:"servers"`
	Lifetime *durationText `toml:"lifetime"`
}

// rawDNSSL is one [[interface.dnssl]] table.
type rawDNSSL struct {
	Domains  *[]string     `toml:"domains"`
	Lifetime *durationText `toml:"lifetime"`
}

// rawPREF64 is one [[interface.pref64]] table.
type rawPREF64 struct {
	Prefix   *string       `toml:"prefix"`
	Lifetime *durationText `toml:"lifetime"`
}

// rawDHCPv6 is the [interface.dhcpv6] table.
type rawDHCPv6 struct {
	Enabled                *bool         `toml:"enabled"`
	DNSServers             *[]string     `toml:"dns_servers"`
	Domains                *[]string     `toml:"domains"`
	InformationRefreshTime *durationText `toml:"information_refresh_time"`
	LabOverride            *bool         `toml:"lab_override"`
	NTPServers             *[]string     `toml:"ntp_servers"`
	SolMaxRT               *durationText `toml:"sol_max_rt"`
	InfMaxRT               *durationText `toml:"inf_max_rt"`
	CaptivePortal          *string       `toml:"captive_portal"`
	DUID                   *rawDUID      `toml:"duid"`
	OptionPolicy           *string       `toml:"option_policy"`
	Solicit                *string       `toml:"solicit"`
	RatePerClient          *float64      `toml:"rate_per_client"`
	BurstPerClient         *int64        `toml:"burst_per_client"`
	RateTotal              *float64      `toml:"rate_total"`
	BurstTotal             *int64        `toml:"burst_total"`
}

// rawDNSResp is the [interface.dns_responder] table.
type rawDNSResp struct {
	Enabled   *bool          `toml:"enabled"`
	Addresses *[]string      `toml:"addresses"`
	Port      *int64         `toml:"port"`
	Zone      *string        `toml:"zone"`
	TTL       *durationText  `toml:"ttl"`
	PREF64    *string        `toml:"pref64"`
	Record    []rawDNSRecord `toml:"record"`
}

// rawObserve is the [interface.observe] table.
type rawObserve struct {
	Enabled     *bool         `toml:"enabled"`
	Dir         *string       `toml:"dir"`
	ReportEvery *durationText `toml:"report_every"`
	MaxClients  *int64        `toml:"max_clients"`
	OutageGrace *durationText `toml:"outage_grace"`
}

// rawDNSRecord is one [[interface.dns_responder.record]] table.
type rawDNSRecord struct {
	Name  *string `toml:"name"`
	Type  *string `toml:"type"`
	Value *string `toml:"value"`
}

// rawDUID is the duid table of [interface.dhcpv6].
type rawDUID struct {
	Type             *string `toml:"type"`
	Time             *int64  `toml:"time"`
	EnterpriseNumber *int64  `toml:"enterprise_number"`
	Identifier       *string `toml:"identifier"`
	UUID             *string `toml:"uuid"`
}

var (
	durationTextType = reflect.TypeFor[durationText]()
	stringsType      = reflect.TypeFor[[]string]()
)

// tableKeys returns the TOML keys of a raw struct type, in field order.
func tableKeys(t reflect.Type) []string {
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		keys = append(keys, t.Field(i).Tag.Get("toml"))
	}
	return keys
}

// decoder maps the generic tree that BurntSushi/toml produces onto the raw
// structs. Doing this here rather than in toml.Decode gives every problem
// its full key path with array indices, and lets decoding continue past a
// bad value so that all problems are reported.
type decoder struct {
	v *validator
}

// table decodes the TOML table m into the struct rv.
func (d *decoder) table(p keyPath, m map[string]any, rv reflect.Value) {
	t := rv.Type()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	known := tableKeys(t)
	for _, k := range keys {
		i := slices.Index(known, k)
		if i < 0 {
			d.v.fail(p.key(k), "", ErrUnknownKey, "%s", unknownKeyReason(k, known))
			continue
		}
		d.field(p.key(k), m[k], rv.Field(i))
	}
}

// unknownKeyReason explains an unknown key, suggesting the closest known
// key when it differs only in case, '-' for '_', or a few letters.
func unknownKeyReason(k string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", math.MaxInt
	for _, c := range known {
		d := editDistance(norm(c), norm(k))
		if d <= min(2, len(c)/4) && d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", best)
	}
	return "unknown key; allowed here: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// field decodes value into the struct field fv.
func (d *decoder) field(p keyPath, value any, fv reflect.Value) {
	if fv.Kind() == reflect.Slice {
		// An array of tables: [[x]] sections, or an array of inline tables.
		var tables []map[string]any
		switch x := value.(type) {
		case []map[string]any:
			tables = x
		case []any:
			for i, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					d.wrongType(p.index(i), e, "a table")
					return
				}
				tables = append(tables, m)
			}
		default:
			d.wrongType(p, value,
				fmt.Sprintf("an array of tables, written [[%s]]", strings.TrimPrefix(genericKey(p), ".")))
			return
		}
		s := reflect.MakeSlice(fv.Type(), len(tables), len(tables))
		for i, m := range tables {
			d.table(p.index(i), m, s.Index(i))
		}
		fv.Set(s)
		return
	}
	elem := reflect.New(fv.Type().Elem())
	if fv.Type().Elem().Kind() == reflect.Struct {
		m, ok := value.(map[string]any)
		if !ok {
			d.wrongType(p, value, "a table")
			return
		}
		d.table(p, m, elem.Elem())
		fv.Set(elem)
		return
	}
	if d.leaf(p, value, elem.Elem()) {
		fv.Set(elem)
	}
}

// genericKey returns p without array indices, as in a [[table]] header.
func genericKey(p keyPath) string {
	var b strings.Builder
	for _, piece := range p {
		if !strings.HasPrefix(piece, "[") {
			b.WriteString(piece)
		}
	}
	return b.String()
}

// leaf decodes a scalar or an array of strings into ev, reporting whether
// it succeeded.
func (d *decoder) leaf(p keyPath, value any, ev reflect.Value) bool {
	switch t := ev.Type(); {
	case t == durationTextType:
		switch x := value.(type) {
		case string:
			ev.SetString(x)
			return true
		case int64:
			d.v.fail(p, EchoValue(value), ErrWrongType,
				"must be a duration string with a unit, such as %q (a bare number has no unit)",
				strconv.FormatInt(x, 10)+"s")
			return false
		}
		d.wrongType(p, value, `a duration string such as "30s", "10m" or "24h"`)
	case t == stringsType:
		if _, ok := value.(string); ok {
			d.v.fail(p, EchoValue(value), ErrWrongType, "must be an array of strings; write [%s]", EchoValue(value))
			return false
		}
		a, ok := value.([]any)
		if !ok {
			d.wrongType(p, value, "an array of strings")
			return false
		}
		out := make([]string, 0, len(a))
		good := true
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				d.wrongType(p.index(i), e, "a string")
				good = false
				continue
			}
			out = append(out, s)
		}
		if !good {
			// The key is present: do not also report it as missing.
			d.v.failed[p.String()] = true
			return false
		}
		ev.Set(reflect.ValueOf(out))
		return true
	case t.Kind() == reflect.String:
		if s, ok := value.(string); ok {
			ev.SetString(s)
			return true
		}
		d.wrongType(p, value, "a string")
	case t.Kind() == reflect.Bool:
		if b, ok := value.(bool); ok {
			ev.SetBool(b)
			return true
		}
		d.wrongType(p, value, "true or false")
	case t.Kind() == reflect.Int64:
		if n, ok := value.(int64); ok {
			ev.SetInt(n)
			return true
		}
		d.wrongType(p, value, "an integer")
	case t.Kind() == reflect.Float64:
		switch x := value.(type) {
		case float64:
			ev.SetFloat(x)
			return true
		case int64:
			ev.SetFloat(float64(x))
			return true
		}
		d.wrongType(p, value, "a number")
	}
	return false
}

// wrongType reports value at p, which should have been want.
func (d *decoder) wrongType(p keyPath, value any, want string) {
	d.v.fail(p, EchoValue(value), ErrWrongType, "must be %s, not %s", want, tomlType(value))
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case time.Time:
		return "a date-time"
	default:
		return "a date or time"
	}
}

// maxEchoDepth is how deep tomlValue shows nested arrays; deeper ones
// show as [...].
const maxEchoDepth = 3

// EchoValue renders a value decoded from TOML for an error message,
// keeping long strings (see quote) and arrays short. Other decoders of
// ralab's TOML files (impairments, scenarios) use it so that every message
// echoes values the same way.
func EchoValue(v any) string { return renderValue(v, 0) }

// renderValue renders v, which is nested depth arrays deep.
func renderValue(v any, depth int) string {
	switch x := v.(type) {
	case string:
		return quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "{...}"
	case []map[string]any:
		return "[{...}]"
	case []any:
		if depth >= maxEchoDepth && len(x) > 0 {
			return "[...]"
		}
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range x {
			s := renderValue(e, depth+1)
			if i > 0 && b.Len()+len(s) > maxEcho-8 {
				b.WriteString(", ...")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s)
		}
		b.WriteByte(']')
		return b.String()
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}
