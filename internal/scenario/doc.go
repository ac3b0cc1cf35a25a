// Package scenario reads scenario files: timed phases of impairments
// (package impair) and configuration overrides, so that "normal for 30 s,
// then DHCPv6 Replies dropped for 5 min, then normal" is one TOML file.
//
// A scenario names the field guide failures it reproduces (F-ids), says
// what each client class is expected to end up with, and carries a note on
// realistic timings for a real lab, since shipped scenarios compress time
// for a virtual one.
//
// Parse is strict like package config: unknown keys, wrong types and bad
// values are *config.Error values naming the file, the line where it can
// be found, the key path, the value and what is allowed. A Scenario is
// immutable; At says which phase is active at an offset from the start,
// and Phase.Set starts that phase's impairments.
package scenario
