// Package lab runs "ralab lab": virtual labs of network namespaces whose
// router namespace runs "ralab serve" and whose hosts run the real clients
// that are installed (rdnssd, dhcpcd, systemd-networkd, dhclient, WIDE
// dhcp6c, dibbler).
//
// RunMatrix runs each scenario of configs/scenarios in a fresh lab, a few
// labs at once, with every client resolving names through the DNS servers
// it holds. It samples each client's real resolver state once a second
// through the scenario and captures the link; the capture stops just
// before the scenario ends, so its end is the end of the observation.
// ralab is told the scenario lasts serveTail longer, so even a capture a
// loaded machine stops late holds only the scenario's last phase, never
// ralab's unimpaired configuration or final RAs. The
// capture is analysed exactly as "ralab analyze FILE" does, with no
// evaluation time of its own, and once more with client identification
// off; NAME.pcapng, NAME.report.json and NAME.report.html are written
// next to the client × scenario compatibility matrix (package matrix),
// whose cells compare the verdict over the whole capture with the
// client's resolver over the same span and link to the report.
//
// Run serves one configuration once, without scenarios, and reports per
// client whether it formed a SLAAC address and which DNS servers it
// holds.
package lab
