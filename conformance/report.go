package conformance

import "time"

// SchemaVersion names the JSON report format. It changes when a field's
// meaning changes or a field is removed; adding fields keeps it. The format
// is documented in SCHEMA.md.
const SchemaVersion = "ralab.report/v1"

// A Report is what the observer concluded from one capture, offline (a pcap
// or pcapng file) or live (an interface). It marshals to JSON with
// encoding/json; every field name is snake_case.
type Report struct {
	// Schema is always SchemaVersion.
	Schema string `json:"schema"`
	// GeneratedAt is when the report was produced.
	GeneratedAt time.Time `json:"generated_at"`
	// Generator names the ralab build that produced the report ("ralab
	// VERSION (revision R, TIME) GO", as "ralab version" prints it); empty
	// when unknown.
	Generator string `json:"generator,omitempty"`
	// Source is what was observed.
	Source Source `json:"source"`
	// Start is the timestamp of the first packet (zero without packets).
	Start time.Time `json:"start"`
	// End is the evaluation time: the last packet's timestamp offline, the
	// clock when the report was taken live.
	End time.Time `json:"end"`
	// DurationSeconds is End minus Start in seconds.
	DurationSeconds float64 `json:"duration_seconds"`
	// Packets counts the frames read.
	Packets int `json:"packets"`
	// Malformed counts frames with at least one malformed piece (a bad
	// header, option or checksum); the well-formed parts were still used.
	Malformed int `json:"malformed"`
	// Ignored counts frames that carried nothing the observer models
	// (non-IPv6, other ICMPv6 types, other ports).
	Ignored int `json:"ignored"`
	// Summary counts clients per verdict.
	Summary Summary `json:"summary"`
	// Clients is one entry per observed client, ordered by MAC.
	Clients []Client `json:"clients"`
	// Routers is one entry per host seen sending Router Advertisements,
	// ordered by MAC.
	Routers []Router `json:"routers"`
	// Findings are link-level findings that concern no single client or
	// router (for example R9 inconsistency between routers).
	Findings []Finding `json:"findings"`
	// Evictions counts clients dropped from tracking because the client
	// cap was reached (least recently seen first). Their packets still
	// count in Packets.
	Evictions int `json:"evictions"`
	// Sent lists what ralab itself meant to send (Tracker.NoteSent), with
	// the packet that showed it on the wire when one did.
	Sent []SentRecord `json:"sent,omitempty"`
	// Knowledge lists every piece of client-behaviour knowledge that some
	// verdict in this report used.
	Knowledge []Knowledge `json:"knowledge,omitempty"`
	// OutageGraceSeconds is the grace below which a lapse of DNS is not
	// an outage (Options.OutageGrace).
	OutageGraceSeconds float64 `json:"outage_grace_s"`
	// IPv4OnlyHosts are hosts that sent no IPv6 at all (only IPv4 DNS or
	// DHCPv4): they are not IPv6 clients, get no verdict and are not in
	// Clients.
	IPv4OnlyHosts []IPv4Host `json:"ipv4_only_hosts"`
}

// IPv4Host is a host seen only through IPv4 traffic.
type IPv4Host struct {
	// MAC is the host's Ethernet address.
	MAC string `json:"mac"`
	// Vendor is the IEEE OUI organisation, if known.
	Vendor string `json:"vendor,omitempty"`
	// Hostname is from DHCPv4 option 12, if seen.
	Hostname string `json:"hostname,omitempty"`
	// FirstSeen and LastSeen bound its packets.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// IPv4DNS is its DNS traffic to IPv4 servers.
	IPv4DNS []DNSUse `json:"ipv4_dns"`
	// Option108Requested: its DHCPv4 requests asked for option 108
	// (IPv6-only preferred, RFC 8925).
	Option108Requested bool `json:"option108_requested"`
	// Findings are the client checks on its IPv4 traffic (C12).
	Findings []Finding `json:"findings"`
}

// Source says what a Report observed.
type Source struct {
	// Kind is "file" or "interface".
	Kind string `json:"kind"`
	// Name is the file path or interface name.
	Name string `json:"name"`
}

// Source kinds.
const (
	// SourceFile is a pcap or pcapng file.
	SourceFile = "file"
	// SourceInterface is a live capture.
	SourceInterface = "interface"
)

// Summary counts clients per verdict.
type Summary struct {
	// DNSOK counts clients with verdict dns-ok.
	DNSOK int `json:"dns_ok"`
	// DNSLost counts clients with verdict dns-lost.
	DNSLost int `json:"dns_lost"`
	// NoDNS counts clients with verdict no-dns.
	NoDNS int `json:"no_dns"`
	// Inconclusive counts clients with verdict inconclusive.
	Inconclusive int `json:"inconclusive"`
	// Recovered counts the dns-lost clients that hold DNS again at the
	// end (they are counted in DNSLost too).
	Recovered int `json:"recovered"`
	// Outages counts DNS outages over all clients.
	Outages int `json:"outages"`
	// IPv4Only counts hosts that sent no IPv6 (Report.IPv4OnlyHosts).
	IPv4Only int `json:"ipv4_only_hosts"`
}

// Verdict is the observer's conclusion about one client's DNS.
type Verdict string

// Verdicts. A false VerdictDNSOK is the worst error the observer can make,
// so it needs positive evidence; without it the verdict is inconclusive.
const (
	// VerdictDNSOK: from the moment the client first held IPv6 DNS to the
	// end of the observation it held a valid server through a channel it
	// is seen to use (it queried that server, or was offered one the way
	// it takes DNS), with no outage.
	VerdictDNSOK Verdict = "dns-ok"
	// VerdictDNSLost: the client had IPv6 DNS and lost it at least once
	// (Outages lists each loss; Recovered says whether it holds DNS again
	// at the end; LostAt is when the last outage began).
	VerdictDNSLost Verdict = "dns-lost"
	// VerdictNoDNS: the client never held IPv6 DNS by any channel it
	// uses (DNS over IPv4 does not count).
	VerdictNoDNS Verdict = "no-dns"
	// VerdictInconclusive: the wire cannot tell; Settle says what would.
	VerdictInconclusive Verdict = "inconclusive"
)

// Client is everything observed about one client, keyed by MAC address.
type Client struct {
	// MAC is the client's Ethernet address.
	MAC string `json:"mac"`
	// Vendor is the IEEE OUI organisation; empty when unknown or when
	// the address is randomised.
	Vendor string `json:"vendor,omitempty"`
	// Randomized reports a locally administered MAC (bit 0x02 of the
	// first octet), as phones use for privacy: no vendor is guessed.
	Randomized bool `json:"randomized"`
	// Addresses are the IPv6 addresses the client used or claimed.
	Addresses []Address `json:"addresses"`
	// AddressesDropped counts addresses not kept because of the cap.
	AddressesDropped int `json:"addresses_dropped,omitempty"`
	// DUIDs are the DHCPv6 Client Identifiers the client sent, in hex.
	DUIDs []string `json:"duids,omitempty"`
	// Hostname is from the DHCPv6 Client FQDN option (39) or DHCPv4 Host
	// Name option (12).
	Hostname string `json:"hostname,omitempty"`
	// VendorClass are the DHCPv6 Vendor Class (16) data strings.
	VendorClass []string `json:"vendor_class,omitempty"`
	// ORO is the DHCPv6 Option Request Option (6) of the client's last
	// request, in its order; nil when it sent no DHCPv6 request, empty
	// when its requests carried no ORO.
	ORO []uint16 `json:"oro"`
	// PRL is the DHCPv4 Parameter Request List (option 55), if seen.
	PRL []uint8 `json:"prl,omitempty"`
	// Identified is the client implementation the fingerprints match
	// (for example "dhcpcd"); empty when none matched.
	Identified string `json:"identified,omitempty"`
	// FirstSeen is the time of the client's first packet.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is the time of the client's last packet.
	LastSeen time.Time `json:"last_seen"`
	// Counts summarises what the client sent.
	Counts ClientCounts `json:"counts"`
	// DNSOffered is every DNS server offer that reached the client.
	DNSOffered DNSOffered `json:"dns_offered"`
	// DNSQueried is one entry per DNS server the client queried.
	DNSQueried []DNSUse `json:"dns_queried"`
	// DNSValidity are intervals in which an offered server was valid for
	// this client, for a timeline band.
	DNSValidity []Interval `json:"dns_validity"`
	// DNSValidityElided summarises the intervals dropped by the cap (the
	// first and the most recent are kept); absent when none.
	DNSValidityElided *Elided `json:"dns_validity_elided,omitempty"`
	// DNSSources are the channels (ViaRA, ViaDHCPv6) through which the
	// client holds valid DNS at Report.End by the evidence the verdict
	// accepts: a channel is listed only when a server offered through it
	// is valid now and the client is seen (a DNS query to that server, or
	// a DHCPv6 Reply to its own request) or known (client knowledge) to
	// take DNS that way. Empty unless the verdict is dns-ok.
	DNSSources []string `json:"dns_sources"`
	// Verdict is the conclusion about the client's DNS at Report.End.
	Verdict Verdict `json:"verdict"`
	// LostAt is when DNS was lost, for VerdictDNSLost: the start of the
	// last outage.
	LostAt *time.Time `json:"lost_at,omitempty"`
	// Recovered reports, for VerdictDNSLost, that the client holds DNS
	// again at Report.End.
	Recovered bool `json:"recovered"`
	// FirstDNS is when the client first held IPv6 DNS; absent if never.
	FirstDNS *time.Time `json:"first_dns,omitempty"`
	// Outages are the client's DNS outages after FirstDNS, oldest first
	// (capped: the first and the most recent are kept, OutagesDropped
	// counts those in between). A lapse shorter than the report's
	// OutageGraceSeconds is no outage.
	Outages []Outage `json:"outages"`
	// OutagesDropped counts outages not kept because of the cap.
	OutagesDropped int `json:"outages_dropped,omitempty"`
	// OutageStats summarises every outage, dropped ones included.
	OutageStats OutageStats `json:"outage_stats"`
	// ServerOutages are, per DNS server, the times its offer lapsed for
	// at least the grace while the client had been offered it.
	ServerOutages []ServerOutages `json:"server_outages,omitempty"`
	// IPv4DNS is the client's DNS traffic to IPv4 servers: a separate
	// fact, never evidence for dns-ok (on an IPv6-only network there is
	// no IPv4 DNS).
	IPv4DNS []DNSUse `json:"ipv4_dns"`
	// Readiness is what the client would have on an IPv6-only network.
	Readiness Readiness `json:"ipv6_only_readiness"`
	// Unreachable are valid offered servers the client tried to reach
	// without success (DNS queries unanswered, or Neighbor Solicitations
	// for the server's address unanswered).
	Unreachable []UnreachableServer `json:"unreachable,omitempty"`
	// Reason explains the verdict in words, with F-catalogue ids.
	Reason string `json:"reason"`
	// Settle says, for VerdictInconclusive, what observation would
	// settle the question.
	Settle string `json:"settle,omitempty"`
	// Evidence are the packets the verdict rests on.
	Evidence []Evidence `json:"evidence"`
	// Knowledge is the client-behaviour knowledge the verdict used.
	Knowledge []Knowledge `json:"knowledge,omitempty"`
	// Findings are the client-side checks (C*) and path checks (N*)
	// that concern this client.
	Findings []Finding `json:"findings"`
	// Checked are the ids of the checks that were evaluated on this
	// client's traffic, whether or not they raised a finding: a check
	// listed here without a finding passed; one not listed had nothing
	// to look at.
	Checked []string `json:"checked"`
	// Timeline is the client's events in time order, capped.
	Timeline []Event `json:"timeline"`
	// TimelineDropped counts events not kept because of the cap (the
	// first and the most recent are kept; those in between are dropped).
	TimelineDropped int `json:"timeline_dropped,omitempty"`
	// TimelineElided summarises the dropped events: where they sat, their
	// span and, per kind, how many and how often. Absent when none was
	// dropped. Pictures mark this span; they never draw it empty.
	TimelineElided *Elided `json:"timeline_elided,omitempty"`
}

// Elided summarises the entries a capped list dropped between the first
// entries it kept and the most recent ones.
type Elided struct {
	// Index is where the dropped entries sat in the kept list: between
	// entry Index-1 and entry Index.
	Index int `json:"index"`
	// Count is how many entries were dropped.
	Count int `json:"count"`
	// From and To bound the times of the dropped entries (for validity
	// intervals, their starts and ends).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// MaxGapSeconds is the longest time between two consecutive dropped
	// entries: the longest silence inside the span.
	MaxGapSeconds float64 `json:"max_gap_s"`
	// Kinds break the dropped timeline events down by event kind, in the
	// order each kind was first dropped; absent for other lists.
	Kinds []ElidedKind `json:"kinds,omitempty"`
}

// ElidedKind summarises the dropped timeline events of one kind.
type ElidedKind struct {
	// Kind is an Event* constant, or "other" for kinds beyond the 15th.
	Kind string `json:"kind"`
	// Count is how many events of this kind were dropped.
	Count int `json:"count"`
	// First and Last are the times of the first and last of them.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// EverySeconds is their mean spacing, (Last-First)/(Count-1); absent
	// for a single event.
	EverySeconds float64 `json:"every_s,omitempty"`
	// MaxGapSeconds is the longest time between two consecutive of them:
	// far above EverySeconds, the events were not periodic.
	MaxGapSeconds float64 `json:"max_gap_s"`
}

// Outage is one span in which a client that had held IPv6 DNS held none.
type Outage struct {
	// Start is when the client stopped holding DNS.
	Start time.Time `json:"start"`
	// End is when it held DNS again; absent while ongoing at Report.End.
	End *time.Time `json:"end,omitempty"`
	// DurationSeconds is End (or Report.End) minus Start.
	DurationSeconds float64 `json:"duration_s"`
	// Servers are the servers it lost at Start.
	Servers []string `json:"servers"`
	// Cause explains the loss in words, with F-ids (as a dns-lost reason).
	Cause string `json:"cause"`
	// FIDs are the failure ids the cause names (F1…F17).
	FIDs []string `json:"fids"`
	// Evidence are the packets that show the loss (the last offer, the
	// withdrawal or omission) and the recovery.
	Evidence []Evidence `json:"evidence"`
	// SolicitedBefore: the client sent an RS between the last offer of a
	// lost server and Start.
	SolicitedBefore bool `json:"solicited_before"`
	// SolicitedDuring: the client sent an RS during the outage.
	SolicitedDuring bool `json:"solicited_during"`
}

// OutageStats summarises a client's outages.
type OutageStats struct {
	// Count is the number of outages.
	Count int `json:"count"`
	// WithoutDNSSeconds is the total time without DNS after FirstDNS.
	WithoutDNSSeconds float64 `json:"without_dns_s"`
	// LongestSeconds is the longest outage.
	LongestSeconds float64 `json:"longest_s"`
	// DNSShare is the share of the time from FirstDNS to Report.End in
	// which the client held DNS (1 without outages; 0 before FirstDNS).
	DNSShare float64 `json:"dns_share"`
	// Lapses counts lapses shorter than the grace, not outages.
	Lapses int `json:"lapses,omitempty"`
	// LongestLapseSeconds is the longest of those lapses.
	LongestLapseSeconds float64 `json:"longest_lapse_s,omitempty"`
}

// ServerOutages counts the lapses of one server's offer to a client.
type ServerOutages struct {
	// Server is the DNS server.
	Server string `json:"server"`
	// Via is ViaRA or ViaDHCPv6.
	Via string `json:"via"`
	// Count is how often its offer ended and came back (or stayed away
	// to the end) for at least the grace.
	Count int `json:"count"`
	// TotalSeconds is the time without it.
	TotalSeconds float64 `json:"total_s"`
	// LongestSeconds is the longest such span.
	LongestSeconds float64 `json:"longest_s"`
}

// Readiness is one client's IPv6-only readiness: what it would have if
// IPv4 were turned off.
type Readiness struct {
	// IPv6DNSHeld are the channels ("ra", "dhcpv6") through which it held
	// IPv6 DNS at some time.
	IPv6DNSHeld []string `json:"ipv6_dns_held"`
	// IPv6DNSUsed: it sent DNS queries to an IPv6 server.
	IPv6DNSUsed bool `json:"ipv6_dns_used"`
	// IPv4DNSUsed: it sent DNS queries to an IPv4 server.
	IPv4DNSUsed bool `json:"ipv4_dns_used"`
	// Option108Requested: its DHCPv4 requests asked for option 108 (RFC
	// 8925, IPv6-only preferred).
	Option108Requested bool `json:"option108_requested"`
	// PREF64Offered: an RA with a PREF64 option reached it.
	PREF64Offered bool `json:"pref64_offered"`
	// Summary says in one line what it would have on an IPv6-only
	// network.
	Summary string `json:"summary"`
}

// UnreachableServer is a valid offered server a client could not reach.
type UnreachableServer struct {
	// Server is the DNS server.
	Server string `json:"server"`
	// Queries counts its unanswered DNS queries to the server.
	Queries int `json:"queries"`
	// Lookups counts its unanswered Neighbor Solicitations for the
	// server's address.
	Lookups int `json:"lookups"`
	// Evidence are the first and last of those packets.
	Evidence []Evidence `json:"evidence"`
}

// ClientCounts counts a client's messages.
type ClientCounts struct {
	// RS counts Router Solicitations sent.
	RS int `json:"rs"`
	// DAD counts Duplicate Address Detection probes sent.
	DAD int `json:"dad"`
	// InformationRequests counts DHCPv6 Information-Requests sent.
	InformationRequests int `json:"information_requests"`
	// Solicits counts DHCPv6 Solicits sent.
	Solicits int `json:"solicits"`
	// OtherDHCPv6 counts other DHCPv6 client messages sent.
	OtherDHCPv6 int `json:"other_dhcpv6"`
	// Replies counts DHCPv6 Replies addressed to the client.
	Replies int `json:"replies"`
	// DNSQueries counts DNS queries sent.
	DNSQueries int `json:"dns_queries"`
	// DNSAnswers counts DNS responses received.
	DNSAnswers int `json:"dns_answers"`
	// RAsReceived counts RAs that reached the client (multicast RAs seen
	// while it was present, and unicast RAs to its MAC).
	RAsReceived int `json:"ras_received"`
}

// Address kinds.
const (
	// AddrLinkLocal is fe80::/10.
	AddrLinkLocal = "link-local"
	// AddrSLAAC is a global address whose interface identifier is the
	// modified EUI-64 of the client's MAC (RFC 4291 appendix A).
	AddrSLAAC = "slaac"
	// AddrTemporary is any other autoconfigured address: RFC 8981
	// temporary or RFC 7217 stable-privacy.
	AddrTemporary = "temporary"
	// AddrDHCPv6 is an address assigned in a DHCPv6 Reply IA_NA.
	AddrDHCPv6 = "dhcpv6"
)

// How an address was learned (Address.Source).
const (
	// LearnedDAD: the target of the client's Duplicate Address Detection.
	LearnedDAD = "dad"
	// LearnedNA: the target of its Neighbor Advertisement.
	LearnedNA = "na"
	// LearnedSource: used as the source of a packet.
	LearnedSource = "source"
	// LearnedDHCPv6IA: assigned in a DHCPv6 Reply's IA.
	LearnedDHCPv6IA = "dhcpv6-ia"
)

// Address is one IPv6 address of a client.
type Address struct {
	// Address is the IPv6 address.
	Address string `json:"address"`
	// Kind is one of AddrLinkLocal, AddrSLAAC, AddrTemporary, AddrDHCPv6.
	Kind string `json:"kind"`
	// Source says how it was learned: one of LearnedDAD, LearnedNA,
	// LearnedSource, LearnedDHCPv6IA.
	Source string `json:"source"`
	// FirstSeen is when the address was first seen.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is when the address was last seen.
	LastSeen time.Time `json:"last_seen"`
}

// DNSOffered holds the DNS server offers that reached a client.
type DNSOffered struct {
	// ByRA are RDNSS options in RAs that reached the client, one entry
	// per server per RA (each refresh), capped.
	ByRA []RAOffer `json:"by_ra"`
	// ByRADropped counts RA offers not kept because of the cap.
	ByRADropped int `json:"by_ra_dropped,omitempty"`
	// ByRAElided summarises the dropped RA offers; absent when none.
	ByRAElided *Elided `json:"by_ra_elided,omitempty"`
	// ByDHCPv6 are DHCPv6 Replies to the client that carried DNS servers.
	ByDHCPv6 []DHCPv6Offer `json:"by_dhcpv6"`
	// ByDHCPv6Dropped counts DHCPv6 offers not kept because of the cap.
	ByDHCPv6Dropped int `json:"by_dhcpv6_dropped,omitempty"`
	// ByDHCPv6Elided summarises the dropped DHCPv6 offers; absent when
	// none.
	ByDHCPv6Elided *Elided `json:"by_dhcpv6_elided,omitempty"`
}

// Ways an RA reached a client.
const (
	// ReachedMulticast is an RA to a multicast group (ff02::1).
	ReachedMulticast = "multicast"
	// ReachedUnicast is an RA to the client's MAC.
	ReachedUnicast = "unicast"
)

// RAOffer is one RDNSS server in one RA that reached a client.
type RAOffer struct {
	// Server is the DNS server address.
	Server string `json:"server"`
	// Router is the MAC of the RA's sender.
	Router string `json:"router"`
	// LifetimeSeconds is the RDNSS lifetime; 0 withdraws the server and
	// 4294967295 is infinity.
	LifetimeSeconds uint32 `json:"lifetime_s"`
	// OfferedAt is the RA's timestamp.
	OfferedAt time.Time `json:"offered_at"`
	// Packet is the RA's packet number (1-based, in capture order).
	Packet int `json:"packet"`
	// Reached is ReachedMulticast or ReachedUnicast.
	Reached string `json:"reached"`
	// Assumed marks an RA sent before the client's first packet: it
	// reached the client only if the client was already on the link, so
	// it never counts as evidence for dns-ok.
	Assumed bool `json:"assumed,omitempty"`
	// ExpiresAt is OfferedAt plus the lifetime; absent for infinity.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// DHCPv6Offer is one DHCPv6 Reply to a client that carried DNS servers.
type DHCPv6Offer struct {
	// Servers are the DNS Recursive Name Server option (23) addresses.
	Servers []string `json:"servers"`
	// Domains are the Domain Search List option (24) names.
	Domains []string `json:"domains,omitempty"`
	// ServerDUID is the Server Identifier (2) in hex.
	ServerDUID string `json:"server_duid,omitempty"`
	// ServerAddress is the Reply's IPv6 source address.
	ServerAddress string `json:"server_address"`
	// RefreshTimeSeconds is the Information Refresh Time option (32);
	// absent when the Reply carried none.
	RefreshTimeSeconds *uint32 `json:"refresh_time_s,omitempty"`
	// At is the Reply's timestamp.
	At time.Time `json:"at"`
	// Packet is the Reply's packet number.
	Packet int `json:"packet"`
	// TransactionID is the DHCPv6 transaction id, as 6 hex digits.
	TransactionID string `json:"transaction_id"`
}

// DNSUse is the client's traffic to one DNS server.
type DNSUse struct {
	// Server is the server address the queries went to.
	Server string `json:"server"`
	// Queries counts queries sent to it.
	Queries int `json:"queries"`
	// Answers counts responses received from it.
	Answers int `json:"answers"`
	// First is the first query's time.
	First time.Time `json:"first"`
	// Last is the last query's time.
	Last time.Time `json:"last"`
	// FirstPacket is the first query's packet number.
	FirstPacket int `json:"first_packet"`
	// LastPacket is the last query's packet number.
	LastPacket int `json:"last_packet"`
	// Offered reports that the server was offered to the client on the
	// wire, by RA or DHCPv6, at some point.
	Offered bool `json:"offered"`
	// Stale counts queries sent while no offer of this server was valid
	// for the client (expired, withdrawn, or never offered).
	Stale int `json:"stale"`
}

// Interval is a span in which one offered DNS server was valid for a
// client.
type Interval struct {
	// Server is the DNS server.
	Server string `json:"server"`
	// Via is "ra" or "dhcpv6".
	Via string `json:"via"`
	// From is the start of validity.
	From time.Time `json:"from"`
	// To is the end of validity; absent when it lasts past the report's
	// end (including an infinite lifetime).
	To *time.Time `json:"to,omitempty"`
}

// Offer channels, as in Interval.Via.
const (
	// ViaRA is an RDNSS option in a Router Advertisement.
	ViaRA = "ra"
	// ViaDHCPv6 is a DHCPv6 Reply.
	ViaDHCPv6 = "dhcpv6"
)

// Knowledge is client-behaviour knowledge (field guide §1) a verdict used.
type Knowledge struct {
	// Client is the implementation, such as "dhcpcd" or "ISC dhclient".
	Client string `json:"client"`
	// Basis is the fingerprint that identified it, such as
	// "DHCPv6 ORO 23,24,39,31".
	Basis string `json:"basis"`
	// Behaviour is what the verdict took from it, in words.
	Behaviour string `json:"behaviour"`
	// Source is where the knowledge comes from.
	Source string `json:"source"`
}

// Event kinds in a client's timeline. Derived events (an expiry or a
// withdrawal) carry packet 0 or the packet that caused them.
const (
	// EventRS is a Router Solicitation the client sent.
	EventRS = "RS"
	// EventRA is a Router Advertisement that reached the client.
	EventRA = "RA"
	// EventDAD is a Duplicate Address Detection probe the client sent.
	EventDAD = "DAD"
	// EventNS is another Neighbor Solicitation the client sent.
	EventNS = "NS"
	// EventNA is a Neighbor Advertisement the client sent.
	EventNA = "NA"
	// EventInfoRequest is a DHCPv6 Information-Request the client sent.
	EventInfoRequest = "DHCPv6 Information-Request"
	// EventSolicit is a DHCPv6 Solicit the client sent.
	EventSolicit = "DHCPv6 Solicit"
	// EventDHCPv6Client is another DHCPv6 client message.
	EventDHCPv6Client = "DHCPv6 client message"
	// EventReply is a DHCPv6 Reply addressed to the client.
	EventReply = "DHCPv6 Reply"
	// EventDHCPv6Server is another DHCPv6 server message to the client.
	EventDHCPv6Server = "DHCPv6 server message"
	// EventDNSQuery is a DNS query the client sent.
	EventDNSQuery = "DNS query"
	// EventDNSAnswer is a DNS response to the client.
	EventDNSAnswer = "DNS answer"
	// EventDHCPv4 is a DHCPv4 message from or to the client.
	EventDHCPv4 = "DHCPv4"
	// EventRDNSSExpired marks an RA-learned server's lifetime ending.
	EventRDNSSExpired = "RDNSS expired"
	// EventRDNSSWithdrawn marks an RDNSS lifetime 0 that removed a server.
	EventRDNSSWithdrawn = "RDNSS withdrawn"
)

// Event is one entry of a client's timeline.
type Event struct {
	// Kind is one of the Event* constants.
	Kind string `json:"kind"`
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Packet is the packet number; 0 for derived events (an expiry).
	Packet int `json:"packet,omitempty"`
	// Detail is a short description.
	Detail string `json:"detail,omitempty"`
}

// Router is everything observed about one host sending RAs.
type Router struct {
	// MAC is the router's Ethernet source address.
	MAC string `json:"mac"`
	// Vendor is the IEEE OUI organisation, if known.
	Vendor string `json:"vendor,omitempty"`
	// LinkLocal is the IPv6 source address of its last RA.
	LinkLocal string `json:"link_local"`
	// RAs counts its Router Advertisements.
	RAs int `json:"ras"`
	// Unsolicited counts RAs to a multicast destination not sent within
	// 0.5 s after an RS.
	Unsolicited int `json:"unsolicited"`
	// Solicited counts RAs sent within MAX_RA_DELAY_TIME of an RS.
	Solicited int `json:"solicited"`
	// Unicast counts RAs to a unicast destination.
	Unicast int `json:"unicast"`
	// FirstSeen is its first RA's time.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is its last RA's time.
	LastSeen time.Time `json:"last_seen"`
	// Intervals are statistics over the gaps between its multicast RAs.
	Intervals IntervalStats `json:"intervals"`
	// LastRA is its last RA, decoded.
	LastRA *RA `json:"last_ra,omitempty"`
	// Findings are the router-side checks (R*) that concern it.
	Findings []Finding `json:"findings"`
	// Checked are the ids of the checks that were evaluated on its RAs,
	// as Client.Checked.
	Checked []string `json:"checked"`
}

// IntervalStats summarises gaps between a router's multicast RAs.
type IntervalStats struct {
	// Count is the number of gaps.
	Count int `json:"count"`
	// MinSeconds is the shortest gap.
	MinSeconds float64 `json:"min_s"`
	// MaxSeconds is the longest gap.
	MaxSeconds float64 `json:"max_s"`
	// MeanSeconds is the average gap.
	MeanSeconds float64 `json:"mean_s"`
}

// RA is a decoded Router Advertisement.
type RA struct {
	// Time is the RA's timestamp.
	Time time.Time `json:"time"`
	// Packet is its packet number.
	Packet int `json:"packet"`
	// Source is the IPv6 source address.
	Source string `json:"source"`
	// Destination is the IPv6 destination address.
	Destination string `json:"destination"`
	// HopLimit is the IPv6 hop limit (must be 255).
	HopLimit uint8 `json:"hop_limit"`
	// CurHopLimit is the Cur Hop Limit field.
	CurHopLimit uint8 `json:"cur_hop_limit"`
	// Managed is the M flag.
	Managed bool `json:"managed"`
	// Other is the O flag.
	Other bool `json:"other"`
	// Preference is the default router preference: "high", "medium",
	// "low" or "reserved".
	Preference string `json:"preference"`
	// RouterLifetimeSeconds is the Router Lifetime.
	RouterLifetimeSeconds uint16 `json:"router_lifetime_s"`
	// ReachableTimeMillis is the Reachable Time field.
	ReachableTimeMillis uint32 `json:"reachable_time_ms"`
	// RetransTimerMillis is the Retrans Timer field.
	RetransTimerMillis uint32 `json:"retrans_timer_ms"`
	// Prefixes are the Prefix Information options.
	Prefixes []PrefixInfo `json:"prefixes,omitempty"`
	// Routes are the Route Information options.
	Routes []RouteInfo `json:"routes,omitempty"`
	// RDNSS are the Recursive DNS Server options.
	RDNSS []RDNSSInfo `json:"rdnss,omitempty"`
	// DNSSL are the DNS Search List options.
	DNSSL []DNSSLInfo `json:"dnssl,omitempty"`
	// PREF64 are the NAT64 prefix options.
	PREF64 []PREF64Info `json:"pref64,omitempty"`
	// MTU is the MTU option; 0 when absent.
	MTU uint32 `json:"mtu,omitempty"`
	// CaptivePortal is the captive portal URI (RFC 8910).
	CaptivePortal string `json:"captive_portal,omitempty"`
	// SourceLLA is the Source Link-Layer Address option.
	SourceLLA string `json:"source_lla,omitempty"`
	// Malformed describes pieces that did not parse.
	Malformed []string `json:"malformed,omitempty"`
}

// PrefixInfo is a Prefix Information option (RFC 4861 §4.6.2).
type PrefixInfo struct {
	// Prefix is the prefix in CIDR notation.
	Prefix string `json:"prefix"`
	// OnLink is the L flag.
	OnLink bool `json:"on_link"`
	// Autonomous is the A flag.
	Autonomous bool `json:"autonomous"`
	// ValidSeconds is the valid lifetime.
	ValidSeconds uint32 `json:"valid_s"`
	// PreferredSeconds is the preferred lifetime.
	PreferredSeconds uint32 `json:"preferred_s"`
}

// RouteInfo is a Route Information option (RFC 4191 §2.3).
type RouteInfo struct {
	// Prefix is the route prefix in CIDR notation.
	Prefix string `json:"prefix"`
	// Preference is "high", "medium", "low" or "reserved".
	Preference string `json:"preference"`
	// LifetimeSeconds is the route lifetime.
	LifetimeSeconds uint32 `json:"lifetime_s"`
}

// RDNSSInfo is a Recursive DNS Server option (RFC 8106 §5.1).
type RDNSSInfo struct {
	// Servers are the addresses.
	Servers []string `json:"servers"`
	// LifetimeSeconds is the lifetime; 0 withdraws.
	LifetimeSeconds uint32 `json:"lifetime_s"`
}

// DNSSLInfo is a DNS Search List option (RFC 8106 §5.2).
type DNSSLInfo struct {
	// Domains are the search domains.
	Domains []string `json:"domains"`
	// LifetimeSeconds is the lifetime; 0 withdraws.
	LifetimeSeconds uint32 `json:"lifetime_s"`
}

// PREF64Info is a PREF64 option (RFC 8781 §4).
type PREF64Info struct {
	// Prefix is the NAT64 prefix in CIDR notation.
	Prefix string `json:"prefix"`
	// LifetimeSeconds is the scaled lifetime times 8.
	LifetimeSeconds uint32 `json:"lifetime_s"`
}

// Severities of a Finding.
const (
	// SeverityError is a violation of a MUST, or a client losing DNS.
	SeverityError = "error"
	// SeverityWarning is a SHOULD violation or a known client risk.
	SeverityWarning = "warning"
	// SeverityInfo is noteworthy but harmless.
	SeverityInfo = "info"
)

// Finding is one result of a wire check (field guide §3) or a catalogued
// failure (field guide §2).
type Finding struct {
	// ID is the check or failure id, such as "R5", "C4", "N1" or "F9".
	ID string `json:"id"`
	// Severity is SeverityError, SeverityWarning or SeverityInfo.
	Severity string `json:"severity"`
	// Client is the MAC of the client concerned, if any.
	Client string `json:"client,omitempty"`
	// Router is the MAC of the router concerned, if any.
	Router string `json:"router,omitempty"`
	// Time is when the problem was seen.
	Time time.Time `json:"time"`
	// Evidence are the packets that show it.
	Evidence []Evidence `json:"evidence"`
	// RFC is the section the check comes from, such as "RFC 8106 §5.1".
	RFC string `json:"rfc,omitempty"`
	// Message is one line an engineer can paste into a ticket.
	Message string `json:"message"`
	// Count is how many occurrences were merged into this finding (the
	// same check on the same subject); Evidence keeps the first few.
	Count int `json:"count"`
}

// Evidence points at one captured packet.
type Evidence struct {
	// Packet is the packet number (1-based, in capture order, as
	// Wireshark numbers frames).
	Packet int `json:"packet"`
	// Time is the packet's timestamp.
	Time time.Time `json:"time"`
	// Note says what the packet shows, if not obvious.
	Note string `json:"note,omitempty"`
}

// SentRecord is something ralab meant to send, as told to
// Tracker.NoteSent, matched against the wire.
type SentRecord struct {
	// Time is when ralab sent it.
	Time time.Time `json:"time"`
	// Kind is "ra" or "dhcpv6-reply".
	Kind string `json:"kind"`
	// Destination is the IPv6 destination.
	Destination string `json:"destination"`
	// Summary describes the content, in words.
	Summary string `json:"summary,omitempty"`
	// SeenPacket is the packet that showed it on the wire, 0 if none did.
	SeenPacket int `json:"seen_packet,omitempty"`
}
