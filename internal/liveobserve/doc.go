// Package liveobserve runs ralab's conformance observer live on one
// interface, for "ralab observe" and inside "ralab serve".
//
// An Observer waits for its interface to exist and be up, captures on it
// with package capture, feeds every frame to one conformance.Tracker and
// appends it to one pcapng file, and rewrites its reports (JSON, Markdown,
// HTML, each replaced atomically) every Config.ReportEvery and at Close.
// When the interface goes away or down, the Observer closes its socket and
// waits for the interface to return; tracker and pcapng file last for the
// whole run.
//
// Inside "ralab serve" the daemon also tells the Observer what it meant to
// send (NoteRA, NoteDHCPv6Reply, NoteSent) and what its impairments did
// (NoteEffect), so that the report shows what each client was offered even
// when an impairment kept it off the wire.
//
// With Config.Metrics, the Observer's conclusions become Prometheus series
// with bounded labels: ralab_clients{interface,verdict},
// ralab_dns_outages_total{interface,cause} (each outage counted once, by its
// start; cause is its first F-id), ralab_dns_outages_ongoing{interface} and
// ralab_dns_last_outage_timestamp_seconds{interface}. ServeHTTP serves the
// live report as HTML to a browser and as JSON or Markdown on request. Close
// waits for the frames already queued on the capture socket, such as the
// daemon's final RAs, before it stops.
package liveobserve
