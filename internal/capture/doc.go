// Package capture records the provisioning traffic on one Ethernet
// interface: Router and Neighbor Discovery, DHCPv6, DNS, and DHCPv4 (for
// its IPv6-only option 108).
//
// A Listener opens an AF_PACKET socket (github.com/mdlayher/packet) with a
// classic BPF program attached before bind, so only the frames ralab's
// conformance observer cares about leave the kernel. The interface is put in
// promiscuous mode so that other hosts' Duplicate Address Detection and
// unicast traffic are seen too. Each frame is stamped with the time it was
// read. A Writer stores frames as pcapng (Ethernet link type) that tshark and
// Wireshark open.
package capture
