// Package scenarios embeds the scenario files ralab ships: baseline.toml
// and one file per field guide failure F1–F17, each named after its F-id
// (F9-dhcpv6-reply-drop.toml, F11-dns-only-dhcpv6.toml, ...), with
// timings compressed for a virtual lab and a note on realistic timings
// for a real one. Package scenario parses them.
package scenarios
