// Package conformance is ralab's observer: it keeps a bounded model per
// client and per router of the Packets that conformance/wire decodes,
// follows which DNS servers each client was offered and used over time,
// runs the wire checks of the field guide (R*, C*, N*), and concludes per
// client whether it has DNS.
//
// A Tracker consumes Packets (from a file through Analyze, or live) and
// produces a Report, whose JSON form is the versioned schema in
// SCHEMA.md. Analyze reads pcap and pcapng files with wire's capture
// reader, decodes and tracks them on two goroutines, and evaluates them
// at the end of the capture.
//
// The packages of the observer import one way:
//
//	conformance/render  →  conformance  →  conformance/wire
//
// render prints Reports (JSON, Markdown, HTML with SVG timelines),
// conformance models and judges, wire decodes frames and capture files.
//
// A false "dns-ok" is the worst error the observer can make: that verdict
// needs positive evidence, and where the wire cannot tell, the verdict is
// "inconclusive" with what would settle it.
package conformance
