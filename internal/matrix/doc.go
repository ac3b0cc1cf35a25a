// Package matrix holds the client × scenario compatibility matrix that
// "ralab lab" produces: per cell the observer's verdict over the whole
// capture (exactly what "ralab analyze" of the scenario's pcapng says),
// what the client really held over the same span (judged from its
// resolver samples), whether the two agree, the wire-only verdict (client
// identification off), and the failure ids, packets and report behind
// it. It renders the matrix as JSON (schema Schema), Markdown and
// self-contained HTML.
//
// The client's side is judged by the observer's rules (Judge): no-dns
// when it never held a server; dns-ok when it held one from its first
// acquisition to the end of the capture without an outage; dns-lost
// after an outage, with recovered when it held a server again at the
// end. An outage is an empty stretch of its resolver at least the grace
// long (DefaultGrace, the observer's default), shorter ones are lapses.
// The resolver is read once a second, so a stretch's start and end are
// estimated at the midpoints between the samples around them (Outage).
//
// Agreement (Compare) means the same category and, for dns-lost, the
// same recovered flag, judged at the end of the capture. A cell that
// differs only because of a change within a short window around the end
// (Window), or because a stretch's length cannot be placed on either
// side of the grace from the samples, is unsettled: neither agreement
// nor disagreement, counted and explained apart. No tolerance ever lets
// both dns-ok and dns-lost agree with the same samples.
//
// A scenario's expectation of a client class (Cell.ExpectationMissed) is
// checked as defined: dns is DNS throughout, late-dns DNS throughout once
// acquired after the first impaired phase, flaps a loss after the
// impairment began with recovery, reported by the observer and shown by
// the client, loses-dns the same with or without recovery, no-dns none.
package matrix
