// Package impair reproduces, on ralab's own traffic, the ways networks and
// wireless controllers lose clients' DNS: the F1–F17 catalogue of the
// field guide (docs/field-guide.md, section 3).
//
// Types lists every impairment type with its F-id, what it emulates and
// its parameters. NewSpec checks one named, parameterised impairment, as
// written in a scenario's [impairment.NAME] table. NewSet turns specs into
// a Set, the stateful object a sender consults on every packet.
//
// The package is pure: no sockets, no goroutines, no clock and no global
// random source. Every hook takes the current time, and a Set draws from
// the *rand.Rand it was given, so that a test replays a timeline exactly.
//
// How the daemon uses a Set:
//
//   - Before building an RA, ConfigFor returns the interface configuration
//     to put on the wire. Call it once per RA built: impairments that act
//     on every Nth RA count the calls. Before answering DHCPv6,
//     DHCPv6ConfigFor does the same for the server's options.
//   - Each RA the daemon meant to send goes through RA, which returns what
//     really goes on the wire (nothing, the same RA, unicast copies, parts
//     of it, or IPv6 fragments) at which times.
//   - Sends that no daemon event triggers, such as a controller replaying a
//     cached RA, come from Due; Next says when to call it.
//   - RS says whether a Router Solicitation may be answered; Seen tells the
//     Set which clients are on the link.
//   - DHCPv6Request and DHCPv6Reply decide whether a DHCPv6 message is
//     dropped or delayed.
//   - SecondRouter describes the RA a second, fake router sends (F15).
//
// Every hook also returns Effects: what each impairment did to what the
// daemon meant to send. They are for the observer, which is always told
// both the intended and the impaired traffic.
package impair
