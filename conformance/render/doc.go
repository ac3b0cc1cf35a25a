// Package render prints conformance Reports: JSON (the versioned schema
// of conformance/SCHEMA.md, which DecodeJSON reads back), Markdown, and a
// standalone HTML page with a check matrix and an SVG timeline per client.
//
// Renderers only format: every fact, verdict and finding comes from the
// Report, so the formats agree. DocURL and WiresharkFilter link findings
// to the field guide and their evidence packets to Wireshark.
package render
