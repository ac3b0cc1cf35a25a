// Package lab runs the "ralab lab" experiment: a netlab lab whose router
// namespace runs "ralab serve" with a given configuration and whose hosts
// run the real RA clients that are installed (rdnssd, dhcpcd,
// systemd-networkd). It reports, per client, whether it formed a SLAAC
// address and which DNS servers it ended up holding, compared with the
// configured RDNSS; optionally it keeps a capture, the process logs and a
// JSON summary.
package lab
