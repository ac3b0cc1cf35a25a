// Package lab runs "ralab lab": virtual labs of network namespaces whose
// router namespace runs "ralab serve" and whose hosts run the real clients
// that are installed (rdnssd, dhcpcd, systemd-networkd, dhclient, WIDE
// dhcp6c, dibbler).
//
// RunMatrix runs each scenario of configs/scenarios in a fresh lab, a few
// labs at once, with every client resolving names through the DNS servers
// it holds; it samples each client's real resolver state through the run,
// analyzes the capture with the conformance observer and writes the
// client × scenario compatibility matrix (package matrix) with each
// scenario's pcapng. Run serves one configuration once, without scenarios,
// and reports per client whether it formed a SLAAC address and which DNS
// servers it holds.
package lab
