// Package supervisor runs what ralab serve runs per configured interface:
// an advertiser (package advertiser), a stateless DHCPv6 server (package
// dhcpv6) and a lab DNS responder (package dnsresponder) where enabled,
// and the conformance observer of [interface.observe] (package
// liveobserve). It starts and stops them as the configuration and its
// reloads add and remove interfaces, reloads the advertisers whose
// configuration changed, and keeps each part's faults to itself: a bad
// reload keeps the running configuration, a DHCPv6 server, DNS responder
// or observer that fails is logged while the interface keeps advertising,
// and one interface's trouble never stops another's RAs. Only errors no
// retry can fix (missing privileges) reach Fatal.
//
// An Overlay, such as a scenario's phase overrides, changes every
// interface's configuration on top of the file's; SetImpairments gives
// each advertiser its own impairments. Options.Advertiser reaches every
// advertiser, so that tests run the whole supervisor on fake links
// (package advertisertest).
//
// Metrics: ralab_config_reloads_total{result} and
// ralab_observer_running{interface}, beside those of the parts.
package supervisor
