// Package scenarios embeds the scenario files ralab ships: baseline.toml
// and one file per field guide failure F1–F17, each named after its F-id,
// with timings compressed for a virtual lab.
package scenarios

import "embed"

// Files holds every *.toml scenario of this directory.
//
//go:embed *.toml
var Files embed.FS
