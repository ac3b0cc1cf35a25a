package config

import (
	"net/netip"
	"time"

	"github.com/ralab/ralab/internal/ra/limits"
)

// Infinite is the lifetime value that RFC 4861 and RFC 8106 encode as
// 0xffffffff seconds. It is written "infinite" in a configuration file.
const Infinite = limits.Infinite

// RFC 4861 §6.2.1 and RFC 8106 §5.1 defaults and limits used by validation.
const (
	// DefaultMaxInterval is the default MaxRtrAdvInterval (RFC 4861 §6.2.1).
	DefaultMaxInterval = 600 * time.Second
	// MinMaxInterval is the smallest MaxRtrAdvInterval RFC 4861 allows.
	MinMaxInterval = 4 * time.Second
	// MaxMaxInterval is the largest MaxRtrAdvInterval (RFC 8319 §4 raised it
	// from 1800 s to the 16-bit router lifetime maximum).
	MaxMaxInterval = 65535 * time.Second
	// MinMinInterval is the smallest MinRtrAdvInterval RFC 4861 allows.
	MinMinInterval = 3 * time.Second
	// MaxRouterLifetime is the largest router lifetime the 16-bit RA field
	// carries (RFC 8319 §4).
	MaxRouterLifetime = limits.MaxRouterLifetime
	// MaxPREF64Lifetime is the largest PREF64 lifetime: 8191 units of 8 s
	// (RFC 8781 §4).
	MaxPREF64Lifetime = limits.MaxPREF64Lifetime
)

// Preference is a default router or route preference (RFC 4191 §2.1).
type Preference int

// Preference values, as written in a configuration file.
const (
	// Medium is the default preference, "medium".
	Medium Preference = iota
	// Low is "low".
	Low
	// High is "high".
	High
)

// String returns the configuration spelling of p.
func (p Preference) String() string {
	switch p {
	case Low:
		return "low"
	case High:
		return "high"
	default:
		return "medium"
	}
}

// Config is a validated ralab configuration.
type Config struct {
	// File is the path the configuration was read from, for messages.
	File string
	// Interfaces lists the interfaces ralab serves, in file order.
	Interfaces []Interface
	// HTTP configures the optional metrics and status listener.
	HTTP HTTP
	// Warnings are notes about allowed but questionable settings, such as
	// a link-local RDNSS server, each formatted like an *Error message.
	Warnings []string
}

// Interface returns the configuration of the interface called name.
func (c *Config) Interface(name string) (Interface, bool) {
	for _, ifc := range c.Interfaces {
		if ifc.Name == name {
			return ifc, true
		}
	}
	return Interface{}, false
}

// HTTP configures the optional HTTP listener that serves Prometheus metrics
// at /metrics and a JSON view of each interface's current RA at /ra.
type HTTP struct {
	// Address is the listen address, such as "[::1]:9430". Empty disables
	// the listener.
	Address string
}

// Interface is the validated configuration of one served interface.
type Interface struct {
	// Name is the interface name, such as "eth0".
	Name string

	// Managed is the RA M flag (RFC 4861 §4.2).
	Managed bool
	// OtherConfig is the RA O flag (RFC 4861 §4.2).
	OtherConfig bool
	// HopLimit is the Cur Hop Limit field; 0 means unspecified.
	HopLimit uint8
	// ReachableTime is the Reachable Time field; 0 means unspecified.
	ReachableTime time.Duration
	// RetransmitTimer is the Retrans Timer field; 0 means unspecified.
	RetransmitTimer time.Duration
	// RouterLifetime is the Router Lifetime field; 0 means not a default
	// router. It never exceeds MaxRouterLifetime.
	RouterLifetime time.Duration
	// Preference is the default router preference (RFC 4191 §2.2).
	Preference Preference

	// MinInterval is MinRtrAdvInterval (RFC 4861 §6.2.1).
	MinInterval time.Duration
	// MaxInterval is MaxRtrAdvInterval (RFC 4861 §6.2.1).
	MaxInterval time.Duration

	// UnicastSolicited makes solicited RAs go unicast to the soliciting
	// address when it is not the unspecified address (RFC 7772 §5.1).
	UnicastSolicited bool
	// SourceLLA adds the Source Link-Layer Address option (RFC 4861 §4.6.1).
	SourceLLA bool
	// MTU is the MTU option value (RFC 4861 §4.6.4); 0 omits the option.
	MTU uint32

	// Prefixes are the Prefix Information options (RFC 4861 §4.6.2).
	Prefixes []Prefix
	// Routes are the Route Information options (RFC 4191 §2.3).
	Routes []Route
	// RDNSS are the Recursive DNS Server options (RFC 8106 §5.1).
	RDNSS []RDNSS
	// DNSSL are the DNS Search List options (RFC 8106 §5.2).
	DNSSL []DNSSL
	// PREF64 are the NAT64 prefix options (RFC 8781 §4).
	PREF64 []PREF64
	// CaptivePortal is the captive portal API URI (RFC 8910 §2.3); empty
	// omits the option.
	CaptivePortal string

	// WithdrawOnStop makes the final RAs sent at shutdown also carry
	// RDNSS, DNSSL and PREF64 with lifetime 0 so clients drop them at once.
	WithdrawOnStop bool

	// DHCPv6 configures the stateless DHCPv6 server on this interface.
	DHCPv6 DHCPv6

	// DNSResponder configures the lab DNS responder on this interface.
	DNSResponder DNSResponder

	// Observe configures the conformance observer "ralab serve" runs on
	// this interface.
	Observe Observe
}

// Prefix is a Prefix Information option (RFC 4861 §4.6.2).
type Prefix struct {
	// Prefix is the advertised prefix.
	Prefix netip.Prefix
	// OnLink is the L flag.
	OnLink bool
	// Autonomous is the A flag (SLAAC).
	Autonomous bool
	// ValidLifetime is the valid lifetime; Infinite for 0xffffffff.
	ValidLifetime time.Duration
	// PreferredLifetime is the preferred lifetime; never above ValidLifetime.
	PreferredLifetime time.Duration
}

// Route is a Route Information option (RFC 4191 §2.3).
type Route struct {
	// Prefix is the route's destination prefix, of any length 0..128.
	Prefix netip.Prefix
	// Preference is the route preference.
	Preference Preference
	// Lifetime is the route lifetime; Infinite for 0xffffffff.
	Lifetime time.Duration
}

// RDNSS is a Recursive DNS Server option (RFC 8106 §5.1).
type RDNSS struct {
	// Servers are the DNS server addresses, in preference order.
	Servers []netip.Addr
	// Lifetime is the option lifetime; Infinite for 0xffffffff.
	Lifetime time.Duration
}

// DNSSL is a DNS Search List option (RFC 8106 §5.2).
type DNSSL struct {
	// Domains are the search domains, without a trailing dot.
	Domains []string
	// Lifetime is the option lifetime; Infinite for 0xffffffff.
	Lifetime time.Duration
}

// PREF64 is a NAT64 prefix option (RFC 8781 §4).
type PREF64 struct {
	// Prefix is the NAT64 prefix: /96, /64, /56, /48, /40 or /32.
	Prefix netip.Prefix
	// Lifetime is a multiple of 8 s, at most MaxPREF64Lifetime.
	Lifetime time.Duration
}

// DUIDType names a DHCPv6 DUID type (RFC 8415 §11).
type DUIDType string

// DUID types accepted in a configuration file.
const (
	// DUIDLL is a DUID based on the link-layer address (RFC 8415 §11.4).
	DUIDLL DUIDType = "ll"
	// DUIDLLT is a DUID based on link-layer address plus time (§11.2).
	DUIDLLT DUIDType = "llt"
	// DUIDEN is a DUID assigned by vendor based on enterprise number (§11.3).
	DUIDEN DUIDType = "en"
	// DUIDUUID is a DUID based on a UUID (RFC 6355).
	DUIDUUID DUIDType = "uuid"
)

// DUID configures the server DUID. The zero value means DUID-LL from the
// interface MAC address.
type DUID struct {
	// Type is the DUID type.
	Type DUIDType
	// Time is the DUID-LLT time field, seconds since 2000-01-01 UTC.
	Time uint32
	// EnterpriseNumber is the DUID-EN IANA enterprise number.
	EnterpriseNumber uint32
	// Identifier is the DUID-EN identifier.
	Identifier []byte
	// UUID is the DUID-UUID value.
	UUID [16]byte
}

// OptionPolicy says which options a Reply carries when the client's Option
// Request Option does not ask for them.
type OptionPolicy string

// Option policies accepted in a configuration file.
const (
	// PolicyIncludeDNS includes DNS servers and domains even when the
	// client sent no ORO (WIDE "dhcp6c -i" sends none), as dnsmasq does.
	PolicyIncludeDNS OptionPolicy = "include-dns"
	// PolicyStrict answers only what the ORO asks for, as Kea does.
	PolicyStrict OptionPolicy = "strict"
)

// SolicitPolicy says how a stateless server answers a Solicit.
type SolicitPolicy string

// Solicit policies accepted in a configuration file.
const (
	// SolicitNoAddrsAvail answers with an Advertise carrying status
	// NoAddrsAvail, as odhcpd, dnsmasq, Kea and WIDE do.
	SolicitNoAddrsAvail SolicitPolicy = "advertise-noaddrsavail"
	// SolicitIgnore discards Solicits.
	SolicitIgnore SolicitPolicy = "ignore"
)

// DHCPv6 is the validated stateless DHCPv6 server configuration of one
// interface (RFC 8415 §6.1).
type DHCPv6 struct {
	// Enabled turns the server on.
	Enabled bool
	// DNSServers are option 23 values; by default the interface's RDNSS.
	DNSServers []netip.Addr
	// Domains are option 24 values; by default the interface's DNSSL.
	Domains []string
	// InformationRefreshTime is option 32; 0 omits it.
	InformationRefreshTime time.Duration
	// NTPServers are option 56 server addresses.
	NTPServers []netip.Addr
	// SolMaxRT is option 82; 0 omits it.
	SolMaxRT time.Duration
	// InfMaxRT is option 83; 0 omits it.
	InfMaxRT time.Duration
	// CaptivePortal is option 103; by default the interface's.
	CaptivePortal string
	// DUID is the server DUID.
	DUID DUID
	// OptionPolicy is how unrequested options are handled.
	OptionPolicy OptionPolicy
	// Solicit is how a Solicit is answered.
	Solicit SolicitPolicy
	// RatePerClient is the number of messages per second answered for one
	// client address; excess messages are counted and dropped.
	RatePerClient float64
	// BurstPerClient is the burst size of the per-client rate limiter.
	BurstPerClient int
	// RateTotal caps the messages per second the server of this interface
	// processes at all, from every client together; 0 means no cap.
	RateTotal float64
	// BurstTotal is the burst size of that interface-wide cap.
	BurstTotal int
}

// DNSResponder is the validated configuration of the lab DNS responder of
// one interface (package dnsresponder): an authoritative server for one
// zone, answering on the addresses the interface advertises as RDNSS. The
// zero value, for an interface without an [interface.dns_responder] table,
// is a disabled responder; when the table is present every default is
// resolved. Interface.DNSServeConfig converts it for dnsresponder.Serve.
type DNSResponder struct {
	// Enabled turns the responder on.
	Enabled bool
	// Addresses are the IPv6 addresses the responder answers on; ralab
	// adds each one missing from the interface as a /128. By default every
	// RDNSS server of the interface, in order, so that clients query what
	// they were told.
	Addresses []netip.Addr
	// Port is the UDP and TCP port, 1 to 65535; by default 53.
	Port uint16
	// Zone is the zone the responder is authoritative for, without a
	// trailing dot; by default the first DNSSL domain of the interface.
	Zone string
	// TTL is the TTL of every answer, whole seconds up to 2147483647 s
	// (RFC 2181 §8); by default 60 s.
	TTL time.Duration
	// PREF64 is the NAT64 prefix for DNS64 synthesis (RFC 6147); the zero
	// Prefix turns DNS64 off. By default the first PREF64 prefix of the
	// interface.
	PREF64 netip.Prefix
	// Records are the zone's records, in file order.
	Records []DNSRecord
}

// DNSRecord is one record of the lab DNS responder's zone.
type DNSRecord struct {
	// Name is the owner name: "@" for the zone apex, a name relative to
	// the zone ("www"), or an absolute name inside the zone ending in a dot.
	Name string
	// Type is "A", "AAAA", "CNAME" or "TXT", in upper case.
	Type string
	// Value is the IPv4 address (A), IPv6 address (AAAA), target name
	// (CNAME, relative to the zone unless it ends in a dot) or text (TXT).
	Value string
}

// Observe is the validated configuration of the conformance observer of
// one interface (package liveobserve): it captures the interface's
// provisioning traffic, learns from the daemon what it sent, and keeps a
// pcapng file and per-client reports in Dir. The zero value, for an
// interface without an [interface.observe] table, is a disabled observer;
// when the table is present every default is resolved.
type Observe struct {
	// Enabled turns the observer on.
	Enabled bool
	// Dir is the directory where <name>.pcapng and
	// <name>.report.{json,md,html} are written; required when Enabled.
	Dir string
	// ReportEvery is how often the reports are rewritten while ralab
	// runs (they are also written at shutdown); at least MinObserveReportEvery,
	// by default DefaultObserveReportEvery.
	ReportEvery time.Duration
	// MaxClients caps the clients tracked; beyond it the least recently
	// seen is dropped. 1 to MaxObserveClients, by default
	// DefaultObserveMaxClients.
	MaxClients int
	// OutageGrace is the shortest lapse of a client's DNS counted as an
	// outage; 0 to MaxObserveOutageGrace, by default
	// DefaultObserveOutageGrace.
	OutageGrace time.Duration
}

// Defaults and limits of [interface.observe].
const (
	// DefaultObserveReportEvery is the default report_every.
	DefaultObserveReportEvery = 30 * time.Second
	// MinObserveReportEvery is the smallest report_every: rendering
	// thousands of clients more often would load the daemon.
	MinObserveReportEvery = time.Second
	// DefaultObserveMaxClients is the default max_clients, the
	// conformance tracker's own default.
	DefaultObserveMaxClients = 4096
	// MaxObserveClients is the largest max_clients; each tracked client
	// keeps a bounded timeline of a few tens of kilobytes.
	MaxObserveClients = 1 << 20
	// DefaultObserveOutageGrace is the default outage_grace, the
	// observer's own default.
	DefaultObserveOutageGrace = 2 * time.Second
	// MaxObserveOutageGrace is the largest outage_grace: a longer lapse
	// is one any client notices.
	MaxObserveOutageGrace = time.Minute
)
