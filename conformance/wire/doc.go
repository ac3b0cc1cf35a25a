// Package wire is the decoding half of ralab's observer: it turns
// captured Ethernet frames into Packets and reads capture files.
//
// Decode decodes one frame, tolerantly: the layers the observer models
// (Router and Neighbor Discovery, DHCPv6, DNS, DHCPv4) are decoded, a
// malformed piece becomes a Problem (a finding of the field guide's R, C
// or N checks, or DECODE) and the rest of the frame is kept.
//
// CaptureReader reads pcap and pcapng files, gzip-compressed or not,
// without copying packets or allocating per packet; a LinkConverter turns
// the records of Linux cooked (SLL, SLL2) and raw IP interfaces into
// Ethernet frames. Vendor names a MAC's IEEE registrant. DNS names in
// options are read with internal/dnsname, the codec ralab also sends with,
// and PREF64 prefix lengths with internal/ra/limits.
//
// wire knows nothing of clients, verdicts or reports: package conformance
// builds the model on top of it, and conformance/render prints reports.
package wire
