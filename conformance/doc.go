// Package conformance is ralab's observer: it decodes captured Ethernet
// frames (Router and Neighbor Discovery, DHCPv6, DNS, DHCPv4), keeps a
// bounded model per client and per router, follows which DNS servers each
// client was offered and used over time, runs the wire checks of the field
// guide (R*, C*, N*), and concludes per client whether it has DNS.
//
// Decode turns one frame into a Packet, tolerantly: malformed pieces are
// recorded and the rest is kept. A Tracker consumes Packets (from a file
// through Analyze, or live) and produces a Report, whose JSON form is the
// versioned schema in SCHEMA.md. Analyze reads pcap and pcapng files,
// gzip-compressed or not, of Ethernet, Linux cooked (SLL, SLL2) and raw
// IP links with a reader of its own that does not copy or allocate per
// packet, and evaluates them at the end of the capture.
//
// A false "dns-ok" is the worst error the observer can make: that verdict
// needs positive evidence, and where the wire cannot tell, the verdict is
// "inconclusive" with what would settle it.
package conformance
