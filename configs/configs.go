package configs

import _ "embed" // For go:embed.

// Lab is lab.toml: the configuration of the virtual lab, one interface
// "lab0" with SLAAC, RDNSS, DNSSL, PREF64, stateless DHCPv6 and the lab DNS
// responder.
//
//go:embed lab.toml
var Lab []byte

// Reference is reference.toml: every configuration key, with its default,
// its allowed values and the RFC it comes from.
//
//go:embed reference.toml
var Reference []byte

// LabName and ReferenceName are the file names of Lab and Reference, for
// messages.
const (
	LabName       = "lab.toml"
	ReferenceName = "reference.toml"
)
