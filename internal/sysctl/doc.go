// Package sysctl saves, sets and restores per-interface IPv6 sysctls under
// /proc/sys/net/ipv6/conf/IFACE.
//
// ralab uses it to stop the kernel from configuring the served interface
// from ralab's own Router Advertisements (accept_ra=0, autoconf=0) and to
// put the previous values back on exit. It deliberately leaves forwarding
// alone: whether the host routes is the operator's decision, and the RA
// router lifetime is configured explicitly rather than derived from it.
package sysctl
