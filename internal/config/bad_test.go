package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/config"
)

// badCase is a file with exactly one problem.
type badCase struct {
	name string
	// doc is the file body; when iface is set it follows an interface
	// header, so that its first line is line 4 of the file.
	doc   string
	iface bool
	want  string
	err   error
}

// ifaceHeader starts the documents of badCase with iface set.
const ifaceHeader = "[[interface]]\nname = \"eth0\"\nmax_interval = \"10s\"\n"

var badCases = []badCase{
	// File level.
	{name: "syntax", doc: "[[interface]\nname = \"eth0\"\n", err: config.ErrSyntax,
		want: `bad.toml:1: TOML syntax error: expected end of table array name delimiter ']', but got '\n' instead`},
	{name: "no interface", doc: "", err: config.ErrMissingKey,
		want: `bad.toml: no [[interface]] table: configure at least one interface`},
	{name: "unknown top-level key", doc: "[[interface]]\nname = \"eth0\"\n[metrics]\nport = 1\n", err: config.ErrUnknownKey,
		want: `bad.toml:3: metrics: unknown key; allowed here: http, interface`},
	{name: "interface as a table", doc: "[interface]\nname = \"eth0\"\n", err: config.ErrWrongType,
		want: `bad.toml:1: interface = {...}: must be an array of tables, written [[interface]], not a table`},
	{name: "http address", doc: "[http]\naddress = \"localhost\"\n[[interface]]\nname = \"eth0\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:2: http.address = "localhost": must be host:port with a port 1 to 65535, such as "[::1]:9430", or "" for no listener`},
	{name: "unknown http key", doc: "[http]\nlisten = \"[::1]:1\"\n[[interface]]\nname = \"eth0\"\n", err: config.ErrUnknownKey,
		want: `bad.toml:2: http.listen: unknown key; allowed here: address`},

	// Interface keys.
	{name: "missing name", doc: "[[interface]]\nmtu = 1500\n", err: config.ErrMissingKey,
		want: `bad.toml:1: interface[0].name: required key is missing; for example name = "eth0"`},
	{name: "bad name", doc: "[[interface]]\nname = \"a/b\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:2: interface[0].name = "a/b": must be a Linux interface name: 1 to 15 bytes, no '/', ':' or white space`},
	{name: "name of the wrong type", doc: "[[interface]]\nname = 1\n", err: config.ErrWrongType,
		want: `bad.toml:2: interface[0].name = 1: must be a string, not an integer`},
	{name: "duplicate name", doc: "[[interface]]\nname = \"eth0\"\n[[interface]]\nname = \"eth0\"\n", err: config.ErrDuplicate,
		want: `bad.toml:4: interface "eth0": name = "eth0": interface already configured at line 2`},
	{name: "misspelt key", iface: true, doc: "other-config = true\n", err: config.ErrUnknownKey,
		want: `bad.toml:4: interface "eth0": other-config: unknown key; did you mean "other_config"?`},
	{name: "misspelt nested key", iface: true, doc: "[[interface.rdnss]]\nservers = [\"2001:db8::53\"]\nlifetme = \"1h\"\n", err: config.ErrUnknownKey,
		want: `bad.toml:6: interface "eth0": rdnss[0].lifetme: unknown key; did you mean "lifetime"?`},
	{name: "short unknown key", iface: true, doc: "rt = 1\n", err: config.ErrUnknownKey,
		want: `bad.toml:4: interface "eth0": rt: unknown key; allowed here: name, managed, other_config, hop_limit, reachable_time, retransmit_timer, router_lifetime, preference, min_interval, max_interval, unicast_solicited, source_lla, mtu, withdraw_on_stop, captive_portal, prefix, route, rdnss, dnssl, pref64, dhcpv6, dns_responder, observe`},
	{name: "bool as string", iface: true, doc: "managed = \"yes\"\n", err: config.ErrWrongType,
		want: `bad.toml:4: interface "eth0": managed = "yes": must be true or false, not a string`},
	{name: "hop_limit", iface: true, doc: "hop_limit = 256\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": hop_limit = 256: must be 0 (unspecified) to 255 (RFC 4861 §4.2)`},
	{name: "bare integer duration", iface: true, doc: "reachable_time = 30\n", err: config.ErrWrongType,
		want: `bad.toml:4: interface "eth0": reachable_time = 30: must be a duration string with a unit, such as "30s" (a bare number has no unit)`},
	{name: "reachable_time too long", iface: true, doc: "reachable_time = \"2h\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": reachable_time = "2h": must be 0 (unspecified) to 3600000ms (1h) (RFC 4861 §6.2.1)`},
	{name: "reachable_time below the unit", iface: true, doc: "reachable_time = \"1500us\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:4: interface "eth0": reachable_time = "1500us": is not a whole number of milliseconds, the field's unit; must be 0 (unspecified) to 3600000ms (1h) (RFC 4861 §6.2.1)`},
	{name: "negative retransmit_timer", iface: true, doc: "retransmit_timer = \"-1s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": retransmit_timer = "-1s": must be 0 (unspecified) to 4294967295ms, the 32-bit field (RFC 4861 §4.2)`},
	{name: "not a duration", iface: true, doc: "retransmit_timer = \"1 second\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:4: interface "eth0": retransmit_timer = "1 second": not a duration; must be 0 (unspecified) to 4294967295ms, the 32-bit field (RFC 4861 §4.2)`},
	{name: "days", doc: "[[interface]]\nname = \"eth0\"\n[[interface.prefix]]\nprefix = \"2001:db8::/64\"\nvalid_lifetime = \"30d\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": prefix[0].valid_lifetime = "30d": not a duration (Go durations have no "d" unit: write "720h" for 30 days); must be "infinite" or 0 to 4294967295s (RFC 4861 §4.6.2, RFC 4191 §2.3)`},
	{name: "max_interval too short", doc: "[[interface]]\nname = \"eth0\"\nmax_interval = \"3s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:3: interface "eth0": max_interval = "3s": must be 4s to 65535s (RFC 4861 §6.2.1, RFC 8319 §4)`},
	{name: "max_interval auto", doc: "[[interface]]\nname = \"eth0\"\nmax_interval = \"auto\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:3: interface "eth0": max_interval = "auto": must be 4s to 65535s (RFC 4861 §6.2.1, RFC 8319 §4)`},
	{name: "min_interval too short", iface: true, doc: "min_interval = \"2s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": min_interval = "2s": must be "auto" or 3s to 0.75 × max_interval (7.5s) (RFC 4861 §6.2.1)`},
	{name: "min_interval above 0.75 max", iface: true, doc: "min_interval = \"8s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": min_interval = "8s": must be "auto" or 3s to 0.75 × max_interval (7.5s) (RFC 4861 §6.2.1)`},
	{name: "router_lifetime below max_interval", iface: true, doc: "router_lifetime = \"5s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": router_lifetime = "5s": must be "auto", 0 (not a default router) or max_interval (10s) to 65535s; the 16-bit field has no "infinite" (RFC 4861 §6.2.1, RFC 8319 §4)`},
	{name: "router_lifetime above 16 bits", iface: true, doc: "router_lifetime = \"65536s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": router_lifetime = "65536s": must be "auto", 0 (not a default router) or max_interval (10s) to 65535s; the 16-bit field has no "infinite" (RFC 4861 §6.2.1, RFC 8319 §4)`},
	{name: "router_lifetime infinite", iface: true, doc: "router_lifetime = \"infinite\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:4: interface "eth0": router_lifetime = "infinite": must be "auto", 0 (not a default router) or max_interval (10s) to 65535s; the 16-bit field has no "infinite" (RFC 4861 §6.2.1, RFC 8319 §4)`},
	{name: "preference", iface: true, doc: "preference = \"highest\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:4: interface "eth0": preference = "highest": must be "low", "medium" or "high" (RFC 4191 §2.1)`},
	{name: "preference without router lifetime", iface: true, doc: "router_lifetime = \"0s\"\npreference = \"high\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": preference = "high": must be "medium" when router_lifetime is 0 (RFC 4191 §2.2)`},
	{name: "mtu", iface: true, doc: "mtu = 1279\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": mtu = 1279: must be 0 (no MTU option) or 1280 to 65535 (RFC 8200 §5 minimum link MTU)`},
	{name: "captive portal over http", iface: true, doc: "captive_portal = \"http://portal.example/\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:4: interface "eth0": captive_portal = "http://portal.example/": must be an https URI such as "https://portal.example/api" (RFC 8908 §4), "urn:ietf:params:capport:unrestricted", or "" for none (RFC 8910 §2)`},
	{name: "captive portal too long for an RA option", iface: true, doc: "captive_portal = \"https://portal.example/" + strings250 + "\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:4: interface "eth0": captive_portal = "https://portal.example/` + strings250[:54] + `…": is 273 bytes long; at most 246 fit: one RA option must stay under 256 bytes (mdlayher/ndp cannot encode more)`},

	// [[interface.prefix]]
	{name: "prefix missing", iface: true, doc: "[[interface.prefix]]\non_link = true\n", err: config.ErrMissingKey,
		want: `bad.toml:4: interface "eth0": prefix[0].prefix: required key is missing; for example prefix = "2001:db8:1::/64"`},
	{name: "prefix IPv4", iface: true, doc: "[[interface.prefix]]\nprefix = \"192.0.2.0/24\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": prefix[0].prefix = "192.0.2.0/24": must be an IPv6 prefix in CIDR notation, such as "2001:db8:1::/64"`},
	{name: "prefix host bits", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8:1::1/64\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": prefix[0].prefix = "2001:db8:1::1/64": has bits set after the prefix length; did you mean "2001:db8:1::/64"?`},
	{name: "prefix link-local", iface: true, doc: "[[interface.prefix]]\nprefix = \"fe80::/64\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": prefix[0].prefix = "fe80::/64": must not be link-local (fe80::/10) or multicast (ff00::/8): hosts ignore it (RFC 4861 §6.3.4, RFC 4862 §5.5.3)`},
	{name: "SLAAC needs a /64", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/56\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": prefix[0].prefix = "2001:db8::/56": autonomous = true needs a /64: SLAAC appends a 64-bit interface identifier (RFC 4862 §5.5.3, RFC 4291 §2.5.1); use a /64 or set autonomous = false`},
	{name: "preferred above valid", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\nvalid_lifetime = \"1h\"\npreferred_lifetime = \"2h\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:7: interface "eth0": prefix[0].preferred_lifetime = "2h": must not exceed valid_lifetime (3600s) (RFC 4861 §4.6.2)`},
	{name: "preferred above default valid", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\npreferred_lifetime = \"infinite\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": prefix[0].preferred_lifetime = "infinite": must not exceed valid_lifetime (default 2592000s) (RFC 4861 §4.6.2)`},
	{name: "valid below default preferred", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\nvalid_lifetime = \"1h\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": prefix[0].valid_lifetime = "1h": must not be below preferred_lifetime (default 604800s); set preferred_lifetime too (RFC 4861 §4.6.2)`},
	{name: "prefix lifetime in fractions of a second", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\npreferred_lifetime = \"1.5s\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:6: interface "eth0": prefix[0].preferred_lifetime = "1.5s": is not a whole number of seconds, the field's unit; must be "infinite" or 0 to 4294967295s (RFC 4861 §4.6.2, RFC 4191 §2.3)`},
	{name: "prefix lifetime above 32 bits", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\nvalid_lifetime = \"1193047h\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": prefix[0].valid_lifetime = "1193047h": must be "infinite" or 0 to 4294967295s (RFC 4861 §4.6.2, RFC 4191 §2.3)`},
	{name: "duplicate prefix", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\n[[interface.prefix]]\nprefix = \"2001:db8::/64\"\n", err: config.ErrDuplicate,
		want: `bad.toml:7: interface "eth0": prefix[1].prefix = "2001:db8::/64": already configured at line 5`},
	{name: "unknown prefix key", iface: true, doc: "[[interface.prefix]]\nprefix = \"2001:db8::/64\"\nslaac = true\n", err: config.ErrUnknownKey,
		want: `bad.toml:6: interface "eth0": prefix[0].slaac: unknown key; allowed here: prefix, on_link, autonomous, valid_lifetime, preferred_lifetime`},

	// [[interface.route]]
	{name: "route preference", iface: true, doc: "[[interface.route]]\nprefix = \"2001:db8::/48\"\npreference = \"reserved\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:6: interface "eth0": route[0].preference = "reserved": must be "low", "medium" or "high" (RFC 4191 §2.1)`},
	{name: "route lifetime", iface: true, doc: "[[interface.route]]\nprefix = \"2001:db8::/48\"\nlifetime = \"forever\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:6: interface "eth0": route[0].lifetime = "forever": not a duration; must be "auto" (30s), "infinite" or 0 to 4294967295s (RFC 4191 §2.3)`},
	{name: "route host bits", iface: true, doc: "[[interface.route]]\nprefix = \"2001:db8::1/48\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": route[0].prefix = "2001:db8::1/48": has bits set after the prefix length; did you mean "2001:db8::/48"?`},
	{name: "duplicate route", iface: true, doc: "route = [{prefix = \"::/0\"}, {prefix = \"::/0\"}]\n", err: config.ErrDuplicate,
		want: `bad.toml:4: interface "eth0": route[1].prefix = "::/0": already configured at line 4`},

	// [[interface.rdnss]]
	{name: "rdnss missing servers", iface: true, doc: "[[interface.rdnss]]\nlifetime = \"auto\"\n", err: config.ErrMissingKey,
		want: `bad.toml:4: interface "eth0": rdnss[0].servers: required key is missing; for example servers = ["2001:db8::53"]`},
	{name: "rdnss no servers", iface: true, doc: "[[interface.rdnss]]\nservers = []\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers = []: must list at least one server (RFC 8106 §5.1)`},
	{name: "rdnss servers as a string", iface: true, doc: "[[interface.rdnss]]\nservers = \"2001:db8::53\"\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers = "2001:db8::53": must be an array of strings; write ["2001:db8::53"]`},
	{name: "rdnss too many servers", iface: true, doc: "[[interface.rdnss]]\nservers = [" + sixteenServers + "]\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers = ["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5", ...]: lists 16 servers; one RDNSS option holds at most 15 (8 + 16 × n bytes must stay under 256, which mdlayher/ndp cannot encode): split them over several [[interface.rdnss]]`},
	{name: "rdnss unspecified", iface: true, doc: "[[interface.rdnss]]\nservers = [\n  \"2001:db8::53\",\n  \"::\",\n]\n", err: config.ErrInvalidValue,
		want: `bad.toml:7: interface "eth0": rdnss[0].servers[1] = "::": must be a unicast address, not unspecified (::), loopback (::1) or multicast`},
	{name: "rdnss multicast", iface: true, doc: "[[interface.rdnss]]\nservers = [\"ff02::1\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[0] = "ff02::1": must be a unicast address, not unspecified (::), loopback (::1) or multicast`},
	{name: "rdnss IPv4", iface: true, doc: "[[interface.rdnss]]\nservers = [\"192.0.2.53\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[0] = "192.0.2.53": must be an IPv6 address, such as "2001:db8::53"`},
	{name: "rdnss IPv4-mapped", iface: true, doc: "[[interface.rdnss]]\nservers = [\"::ffff:192.0.2.53\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[0] = "::ffff:192.0.2.53": must be an IPv6 address, not IPv4-mapped`},
	{name: "rdnss zone", iface: true, doc: "[[interface.rdnss]]\nservers = [\"fe80::53%eth0\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[0] = "fe80::53%eth0": must not have a zone: the address is used on this interface`},
	{name: "rdnss server twice", iface: true, doc: "[[interface.rdnss]]\nservers = [\"2001:db8::53\", \"2001:db8::53\"]\n", err: config.ErrDuplicate,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[1] = "2001:db8::53": is listed twice`},
	{name: "rdnss server not a string", iface: true, doc: "[[interface.rdnss]]\nservers = [\"2001:db8::53\", 53]\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": rdnss[0].servers[1] = 53: must be a string, not an integer`},
	{name: "rdnss lifetime below max_interval", iface: true, doc: "[[interface.rdnss]]\nservers = [\"2001:db8::53\"]\nlifetime = \"2s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": rdnss[0].lifetime = "2s": must be "auto", "infinite", 0 or at least max_interval (10s); RFC 8106 §5.1 recommends at least 3 × max_interval (30s)`},

	// [[interface.dnssl]]
	{name: "dnssl root", iface: true, doc: "[[interface.dnssl]]\ndomains = [\".\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[0] = ".": must be a domain name such as "lab.example", not empty or the root`},
	{name: "dnssl empty label", iface: true, doc: "[[interface.dnssl]]\ndomains = [\"lab..example\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[0] = "lab..example": each label (between dots) must be 1 to 63 characters long (RFC 1035 §2.3.4)`},
	{name: "dnssl bad character", iface: true, doc: "[[interface.dnssl]]\ndomains = [\"lab_1.example\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[0] = "lab_1.example": label "lab_1" may hold only letters, digits and hyphens (RFC 1123 §2.1; write IDNs as xn-- A-labels)`},
	{name: "dnssl hyphen", iface: true, doc: "[[interface.dnssl]]\ndomains = [\"-lab.example\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[0] = "-lab.example": label "-lab" must not start or end with a hyphen (RFC 1123 §2.1)`},
	{name: "dnssl name too long", iface: true, doc: "[[interface.dnssl]]\ndomains = [\"" + longName + "\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[0] = "` + longName[:77] + `…": is 255 characters long; a domain name has at most 253 (RFC 1035 §2.3.4)`},
	{name: "dnssl option too large", iface: true, doc: "[[interface.dnssl]]\ndomains = [" + fiveNames + "]\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", ...]: encode to 285 bytes; one DNSSL option holds at most 240 bytes of names (the option must stay under 256 bytes, which mdlayher/ndp cannot encode): split them over several [[interface.dnssl]]`},
	{name: "dnssl domain twice", iface: true, doc: "[[interface.dnssl]]\ndomains = [\"lab.example\", \"lab.example.\"]\n", err: config.ErrDuplicate,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains[1] = "lab.example.": is listed twice`},
	{name: "dnssl no domains", iface: true, doc: "[[interface.dnssl]]\ndomains = []\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dnssl[0].domains = []: must list at least one domain (RFC 8106 §5.2)`},

	// [[interface.pref64]]
	{name: "pref64 length", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/60\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": pref64[0].prefix = "64:ff9b::/60": prefix length must be 96, 64, 56, 48, 40 or 32 (RFC 8781 §4, RFC 6052 §2.2)`},
	{name: "pref64 infinite", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\nlifetime = \"infinite\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:6: interface "eth0": pref64[0].lifetime = "infinite": must be "auto" (32s), 0, or a multiple of 8s from 16s (max_interval rounded up to 8s) to 65528s; the field has no "infinite" (RFC 8781 §4)`},
	{name: "pref64 lifetime not a multiple of 8s", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\nlifetime = \"100s\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:6: interface "eth0": pref64[0].lifetime = "100s": is not a multiple of 8s, the field's unit; must be "auto" (32s), 0, or a multiple of 8s from 16s (max_interval rounded up to 8s) to 65528s; the field has no "infinite" (RFC 8781 §4)`},
	{name: "pref64 lifetime too long", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\nlifetime = \"65536s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": pref64[0].lifetime = "65536s": must be "auto" (32s), 0, or a multiple of 8s from 16s (max_interval rounded up to 8s) to 65528s; the field has no "infinite" (RFC 8781 §4)`},
	{name: "pref64 lifetime below max_interval", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\nlifetime = \"8s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:6: interface "eth0": pref64[0].lifetime = "8s": must be "auto" (32s), 0, or a multiple of 8s from 16s (max_interval rounded up to 8s) to 65528s; the field has no "infinite" (RFC 8781 §4)`},
	{name: "duplicate pref64", iface: true, doc: "[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\n[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\n", err: config.ErrDuplicate,
		want: `bad.toml:7: interface "eth0": pref64[1].prefix = "64:ff9b::/96": already configured at line 5`},

	// [interface.dhcpv6]
	{name: "information_refresh_time below IRT_MINIMUM", iface: true, doc: "[interface.dhcpv6]\ninformation_refresh_time = \"5m\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.information_refresh_time = "5m": must be "infinite", 0 (omit the option) or 600s to 4294967295s (IRT_MINIMUM, RFC 8415 §21.23); set lab_override = true to send smaller values`},
	{name: "sol_max_rt", iface: true, doc: "[interface.dhcpv6]\nsol_max_rt = \"30s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.sol_max_rt = "30s": must be 0 (omit the option) or 60s to 86400s (RFC 8415 §21.24); set lab_override = true to send other values`},
	{name: "inf_max_rt", iface: true, doc: "[interface.dhcpv6]\ninf_max_rt = \"2d\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.inf_max_rt = "2d": not a duration (Go durations have no "d" unit: write "720h" for 30 days); must be 0 (omit the option) or 60s to 86400s (RFC 8415 §21.25); set lab_override = true to send other values`},
	{name: "dhcpv6 dns server", iface: true, doc: "[interface.dhcpv6]\ndns_servers = [\"::1\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.dns_servers[0] = "::1": must be a unicast address, not unspecified (::), loopback (::1) or multicast`},
	{name: "dhcpv6 domain", iface: true, doc: "[interface.dhcpv6]\ndomains = [\"a b\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.domains[0] = "a b": label "a b" may hold only letters, digits and hyphens (RFC 1123 §2.1; write IDNs as xn-- A-labels)`},
	{name: "dhcpv6 captive portal", iface: true, doc: "[interface.dhcpv6]\ncaptive_portal = \"portal\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.captive_portal = "portal": must be an https URI such as "https://portal.example/api" (RFC 8908 §4), "urn:ietf:params:capport:unrestricted", or "" for none (RFC 8910 §2)`},
	{name: "option_policy", iface: true, doc: "[interface.dhcpv6]\noption_policy = \"all\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.option_policy = "all": must be "include-dns" (DNS options even without an ORO) or "strict" (only what the ORO asks for)`},
	{name: "solicit", iface: true, doc: "[interface.dhcpv6]\nsolicit = \"reply\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.solicit = "reply": must be "advertise-noaddrsavail" (RFC 8415 §18.3.1: answer with status NoAddrsAvail) or "ignore"`},
	{name: "rate_per_client", iface: true, doc: "[interface.dhcpv6]\nrate_per_client = 0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_per_client = 0: must be more than 0 and at most 1000000 messages per second`},
	{name: "rate_per_client nan", iface: true, doc: "[interface.dhcpv6]\nrate_per_client = nan\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_per_client = NaN: must be more than 0 and at most 1000000 messages per second`},
	{name: "burst_per_client", iface: true, doc: "[interface.dhcpv6]\nburst_per_client = 0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.burst_per_client = 0: must be 1 to 1000000 messages`},
	{name: "rate_total negative", iface: true, doc: "[interface.dhcpv6]\nrate_total = -1.0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_total = -1: must be 0 (no cap) to 10000000 messages per second`},
	{name: "rate_total too large", iface: true, doc: "[interface.dhcpv6]\nrate_total = 1e8\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_total = 1e+08: must be 0 (no cap) to 10000000 messages per second`},
	{name: "rate_total nan", iface: true, doc: "[interface.dhcpv6]\nrate_total = nan\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_total = NaN: must be 0 (no cap) to 10000000 messages per second`},
	{name: "rate_total string", iface: true, doc: "[interface.dhcpv6]\nrate_total = \"fast\"\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": dhcpv6.rate_total = "fast": must be a number, not a string`},
	{name: "burst_total", iface: true, doc: "[interface.dhcpv6]\nburst_total = 0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.burst_total = 0: must be 1 to 10000000 messages`},
	{name: "dhcpv6 as a value", iface: true, doc: "dhcpv6 = true\n", err: config.ErrWrongType,
		want: `bad.toml:4: interface "eth0": dhcpv6 = true: must be a table, not a boolean`},
	{name: "duid type", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"mac\" }\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.type = "mac": must be "ll", "llt", "en" or "uuid" (RFC 8415 §11, RFC 6355)`},
	{name: "duid type missing", iface: true, doc: "[interface.dhcpv6.duid]\ntime = 1\n", err: config.ErrMissingKey,
		want: `bad.toml:4: interface "eth0": dhcpv6.duid.type: required key is missing; for example type = "ll"`},
	{name: "duid key of another type", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"ll\", time = 1 }\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.time: applies only to type = "llt", not "ll"`},
	{name: "duid time", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"llt\", time = -1 }\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.time = -1: must be 0 to 4294967295 seconds since 2000-01-01 UTC (RFC 8415 §11.2)`},
	{name: "duid enterprise number", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"en\", enterprise_number = 4294967296, identifier = \"01\" }\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.enterprise_number = 4294967296: must be 0 to 4294967295 (RFC 8415 §11.3)`},
	{name: "duid identifier", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"en\", enterprise_number = 1, identifier = \"xyz\" }\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.identifier = "xyz": must be 1 to 124 hex bytes, such as "0a1b2c" or "0a:1b:2c" (RFC 8415 §11.1 caps a DUID at 128 bytes)`},
	{name: "duid identifier missing", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"en\", enterprise_number = 1 }\n", err: config.ErrMissingKey,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.identifier: required key is missing; for example identifier = "0a1b2c"`},
	{name: "duid uuid", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"uuid\", uuid = \"f81d4fae-7dec-11d0-a765\" }\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.uuid = "f81d4fae-7dec-11d0-a765": must be a UUID such as "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" (RFC 9562 §4)`},
	{name: "duid unknown key", iface: true, doc: "[interface.dhcpv6]\nduid = { type = \"ll\", mac = \"00:00:5e:00:53:01\" }\n", err: config.ErrUnknownKey,
		want: `bad.toml:5: interface "eth0": dhcpv6.duid.mac: unknown key; allowed here: type, time, enterprise_number, identifier, uuid`},

	// [interface.dns_responder]
	{name: "dns_responder as an array", iface: true, doc: "dns_responder = []\n", err: config.ErrWrongType,
		want: `bad.toml:4: interface "eth0": dns_responder = []: must be a table, not an array`},
	{name: "dns_responder unknown key", iface: true, doc: "[interface.dns_responder]\nzones = [\"lab.example\"]\n", err: config.ErrUnknownKey,
		want: `bad.toml:5: interface "eth0": dns_responder.zones: unknown key; did you mean "zone"?`},
	{name: "dns_responder addresses without rdnss", iface: true,
		doc: "[[interface.dnssl]]\ndomains = [\"lab.example\"]\n[interface.dns_responder]\nenabled = true\n", err: config.ErrMissingKey,
		want: `bad.toml:6: interface "eth0": dns_responder.addresses: required when enabled = true and the interface has no [[interface.rdnss]] to default to; for example addresses = ["2001:db8:1::53"]`},
	{name: "dns_responder no addresses", iface: true, doc: "[interface.dns_responder]\naddresses = []\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.addresses = []: must list at least one address; leave the key out to answer on every [[interface.rdnss]] server`},
	{name: "dns_responder IPv4 address", iface: true, doc: "[interface.dns_responder]\naddresses = [\"192.0.2.53\"]\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.addresses[0] = "192.0.2.53": must be an IPv6 address, such as "2001:db8::53"`},
	{name: "dns_responder address twice", iface: true, doc: "[interface.dns_responder]\naddresses = [\"2001:db8::53\", \"2001:db8::53\"]\n", err: config.ErrDuplicate,
		want: `bad.toml:5: interface "eth0": dns_responder.addresses[1] = "2001:db8::53": is listed twice`},
	{name: "dns_responder port 0", iface: true, doc: "[interface.dns_responder]\nport = 0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dns_responder.port = 0: must be 1 to 65535; clients query port 53 (RFC 1035 §4.2.1)`},
	{name: "dns_responder port too large", iface: true, doc: "[interface.dns_responder]\nport = 65536\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dns_responder.port = 65536: must be 1 to 65535; clients query port 53 (RFC 1035 §4.2.1)`},
	{name: "dns_responder port as a string", iface: true, doc: "[interface.dns_responder]\nport = \"53\"\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": dns_responder.port = "53": must be an integer, not a string`},
	{name: "dns_responder zone missing", iface: true,
		doc: "[[interface.rdnss]]\nservers = [\"2001:db8::53\"]\n[interface.dns_responder]\nenabled = true\n", err: config.ErrMissingKey,
		want: `bad.toml:6: interface "eth0": dns_responder.zone: required when enabled = true or records are given and the interface has no [[interface.dnssl]] domain to default to; for example zone = "lab.example"`},
	{name: "dns_responder zone missing for records", iface: true,
		doc: "[interface.dns_responder]\n[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\n", err: config.ErrMissingKey,
		want: `bad.toml:4: interface "eth0": dns_responder.zone: required when enabled = true or records are given and the interface has no [[interface.dnssl]] domain to default to; for example zone = "lab.example"`},
	{name: "dns_responder zone", iface: true, doc: "[interface.dns_responder]\nzone = \"a..b\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.zone = "a..b": each label (between dots) must be 1 to 63 characters long (RFC 1035 §2.3.4)`},
	{name: "dns_responder zone root", iface: true, doc: "[interface.dns_responder]\nzone = \".\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.zone = ".": must be a domain name such as "lab.example", not empty or the root`},
	{name: "dns_responder zone ipv4only.arpa", iface: true, doc: "[interface.dns_responder]\nzone = \"x.ipv4only.arpa.\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.zone = "x.ipv4only.arpa.": overlaps ipv4only.arpa, which the responder answers itself (RFC 7050 §2.2)`},
	{name: "dns_responder ttl 0", iface: true, doc: "[interface.dns_responder]\nttl = \"0s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dns_responder.ttl = "0s": must be 1s to 2147483647s in whole seconds (RFC 2181 §8)`},
	{name: "dns_responder ttl too long", iface: true, doc: "[interface.dns_responder]\nttl = \"2147483648s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dns_responder.ttl = "2147483648s": must be 1s to 2147483647s in whole seconds (RFC 2181 §8)`},
	{name: "dns_responder ttl fraction", iface: true, doc: "[interface.dns_responder]\nttl = \"1500ms\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.ttl = "1500ms": is not a whole number of seconds, the field's unit; must be 1s to 2147483647s in whole seconds (RFC 2181 §8)`},
	{name: "dns_responder ttl negative", iface: true, doc: "[interface.dns_responder]\nttl = \"-1s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": dns_responder.ttl = "-1s": must be 1s to 2147483647s in whole seconds (RFC 2181 §8)`},
	{name: "dns_responder pref64 length", iface: true, doc: "[interface.dns_responder]\npref64 = \"64:ff9b::/60\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.pref64 = "64:ff9b::/60": must be ` + pref64Rule},
	{name: "dns_responder pref64 u octet", iface: true, doc: "[interface.dns_responder]\npref64 = \"2001:db8:0:0:100::/96\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.pref64 = "2001:db8:0:0:100::/96": must be ` + pref64Rule},
	{name: "dns_responder pref64 not a prefix", iface: true, doc: "[interface.dns_responder]\npref64 = \"64:ff9b::\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": dns_responder.pref64 = "64:ff9b::": must be ` + pref64Rule},
	{name: "dns_responder default pref64 unusable", iface: true,
		doc:  "[[interface.rdnss]]\nservers = [\"2001:db8::53\"]\n[[interface.dnssl]]\ndomains = [\"lab.example\"]\n[[interface.pref64]]\nprefix = \"2001:db8:0:0:100::/96\"\n[interface.dns_responder]\nenabled = true\n",
		err:  config.ErrInvalidValue,
		want: `bad.toml:10: interface "eth0": dns_responder.pref64: defaults to the first [[interface.pref64]] prefix "2001:db8:0:0:100::/96", which DNS64 cannot use; set pref64 to ` + pref64Rule},
	{name: "dns record type", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"MX\"\nvalue = \"mail\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:8: interface "eth0": dns_responder.record[0].type = "MX": must be "A", "AAAA", "CNAME" or "TXT"`},
	{name: "dns record value", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"A\"\nvalue = \"2001:db8::1\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:9: interface "eth0": dns_responder.record[0].value = "2001:db8::1": A needs an IPv4 address`},
	{name: "dns record AAAA value", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"aaaa\"\nvalue = \"::ffff:192.0.2.1\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:9: interface "eth0": dns_responder.record[0].value = "::ffff:192.0.2.1": AAAA needs an IPv6 address without zone`},
	{name: "dns record outside zone", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www.example.org.\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:7: interface "eth0": dns_responder.record[0].name = "www.example.org.": www.example.org. is outside zone lab.example.`},
	{name: "dns record wildcard", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"*\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:7: interface "eth0": dns_responder.record[0].name = "*": *.lab.example.: wildcards are not supported`},
	{name: "dns record CNAME at apex", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"@\"\ntype = \"cname\"\nvalue = \"www\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:8: interface "eth0": dns_responder.record[0].type = "cname": CNAME at the zone apex, which has the SOA (RFC 1034 §3.6.2)`},
	{name: "dns record name missing", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\ntype = \"A\"\nvalue = \"192.0.2.1\"\n", err: config.ErrMissingKey,
		want: `bad.toml:6: interface "eth0": dns_responder.record[0].name: required key is missing; for example name = "www"`},
	{name: "dns record value missing", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"A\"\n", err: config.ErrMissingKey,
		want: `bad.toml:6: interface "eth0": dns_responder.record[0].value: required key is missing; for example value = "2001:db8:1::80"`},
	{name: "dns record CNAME and other data", iface: true,
		doc:  dnsZone + "[[interface.dns_responder.record]]\nname = \"a\"\ntype = \"CNAME\"\nvalue = \"b\"\n[[interface.dns_responder.record]]\nname = \"a\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\n",
		err:  config.ErrInvalidValue,
		want: `bad.toml:10: interface "eth0": dns_responder.record[1]: a.lab.example. has a CNAME and other records (RFC 1034 §3.6.2)`},
	{name: "dns record CNAME loop", iface: true,
		doc:  dnsZone + "[[interface.dns_responder.record]]\nname = \"a\"\ntype = \"CNAME\"\nvalue = \"b\"\n[[interface.dns_responder.record]]\nname = \"b\"\ntype = \"CNAME\"\nvalue = \"a\"\n",
		err:  config.ErrInvalidValue,
		want: `bad.toml:9: interface "eth0": dns_responder.record[0].value = "b": CNAME chain from a.lab.example. loops or is longer than 8`},
	{name: "dns record unknown key", iface: true, doc: dnsZone + "[[interface.dns_responder.record]]\nname = \"www\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\nttl = \"5s\"\n", err: config.ErrUnknownKey,
		want: `bad.toml:10: interface "eth0": dns_responder.record[0].ttl: unknown key; allowed here: name, type, value`},
	{name: "dns record as a table", iface: true, doc: "[interface.dns_responder]\nrecord = { name = \"www\" }\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": dns_responder.record = {...}: must be an array of tables, written [[interface.dns_responder.record]], not a table`},

	// [interface.observe]
	{name: "observe as a boolean", iface: true, doc: "observe = true\n", err: config.ErrWrongType,
		want: `bad.toml:4: interface "eth0": observe = true: must be a table, not a boolean`},
	{name: "observe unknown key", iface: true, doc: "[interface.observe]\ndirectory = \"/tmp\"\n", err: config.ErrUnknownKey,
		want: `bad.toml:5: interface "eth0": observe.directory: unknown key; allowed here: enabled, dir, report_every, max_clients, outage_grace`},
	{name: "observe dir missing", iface: true, doc: "[interface.observe]\nenabled = true\n", err: config.ErrMissingKey,
		want: `bad.toml:4: interface "eth0": observe.dir: required when enabled = true; for example dir = "/var/lib/ralab/observe"`},
	{name: "observe dir empty", iface: true, doc: "[interface.observe]\ndir = \"\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": observe.dir = "": must name a directory, such as "/var/lib/ralab/observe"`},
	{name: "observe dir not a string", iface: true, doc: "[interface.observe]\ndir = 1\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": observe.dir = 1: must be a string, not an integer`},
	{name: "observe report_every too short", iface: true, doc: "[interface.observe]\nreport_every = \"500ms\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.report_every = "500ms": must be at least 1s, such as "30s"`},
	{name: "observe report_every negative", iface: true, doc: "[interface.observe]\nreport_every = \"-5s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.report_every = "-5s": must be at least 1s, such as "30s"`},
	{name: "observe report_every bare number", iface: true, doc: "[interface.observe]\nreport_every = 30\n", err: config.ErrWrongType,
		want: `bad.toml:5: interface "eth0": observe.report_every = 30: must be a duration string with a unit, such as "30s" (a bare number has no unit)`},
	{name: "observe report_every infinite", iface: true, doc: "[interface.observe]\nreport_every = \"infinite\"\n", err: config.ErrInvalidValue,
		want: `bad.toml:5: interface "eth0": observe.report_every = "infinite": must be at least 1s, such as "30s"`},
	{name: "observe max_clients 0", iface: true, doc: "[interface.observe]\nmax_clients = 0\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.max_clients = 0: must be 1 to 1048576`},
	{name: "observe max_clients too many", iface: true, doc: "[interface.observe]\nmax_clients = 1048577\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.max_clients = 1048577: must be 1 to 1048576`},
	{name: "observe outage_grace too long", iface: true, doc: "[interface.observe]\noutage_grace = \"2m\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.outage_grace = "2m": must be 0s to 60s, such as "2s"`},
	{name: "observe outage_grace negative", iface: true, doc: "[interface.observe]\noutage_grace = \"-1s\"\n", err: config.ErrOutOfRange,
		want: `bad.toml:5: interface "eth0": observe.outage_grace = "-1s": must be 0s to 60s, such as "2s"`},
}

// pref64Rule is what dns_responder.pref64 accepts, as messages say it.
const pref64Rule = `a NAT64 prefix of length 32, 40, 48, 56, 64 or 96 with no bits set past its length and bits 64 to 71 zero (RFC 6052 §2.2), or "" to turn DNS64 off`

// dnsZone starts a [interface.dns_responder] table with a zone, so that
// records can be checked; its records start on line 6.
const dnsZone = "[interface.dns_responder]\nzone = \"lab.example\"\n"

// Long values for badCases.
var (
	strings250     = strings.Repeat("x", 250)
	sixteenServers = func() string {
		s := make([]string, 16)
		for i := range s {
			s[i] = fmt.Sprintf(`"2001:db8::%x"`, i+1)
		}
		return strings.Join(s, ", ")
	}()
	longName  = strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", 63)
	fiveNames = func() string {
		s := make([]string, 5)
		for i := range s {
			s[i] = `"` + strings.Repeat(string(rune('a'+i)), 47) + `.example"`
		}
		return strings.Join(s, ", ")
	}()
)

func TestParseBad(t *testing.T) {
	t.Parallel()
	for _, tt := range badCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := tt.doc
			if tt.iface {
				doc = ifaceHeader + doc
			}
			c, err := config.Parse("bad.toml", []byte(doc))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse error:\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.err)
			}
			var e *config.Error
			if !errors.As(err, &e) || e.Line == 0 && tt.name != "no interface" {
				t.Errorf("error %v has no *config.Error with a line", err)
			}
		})
	}
}
