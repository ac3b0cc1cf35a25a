// Package netlab builds throwaway IPv6 labs out of Linux network
// namespaces: a router namespace holding a bridge named "lab0" and one
// namespace per client host, each joined to the bridge by a veth pair with a
// fixed MAC address. It runs and tracks processes inside the namespaces,
// runs Go code inside them (InNamespace, Host.Do, Host.DialContext),
// captures the link with dumpcap, or with tcpdump into a pcap file that
// can be read while it grows (Host.StartPcap, ReadPcap), reads addresses
// and routes with iproute2, can take the router's bridge away and back
// (Lab.DeleteBridge, Lab.RestoreBridge), and removes everything it
// created on Close.
//
// Every run gets a unique name prefix ("rl" and six hex digits) and a marker
// file in MarkerDir, so CleanStale can remove what a killed run left behind.
// The recipes followed here are in docs/lab-recipes.md of the project's
// shared notes: accept_dad=0 before the veth exists, veth ends created
// directly in their namespaces, an empty /etc/netns/NS/resolv.conf before
// any client starts so clients never write the host's resolver. A veth
// pair inside the router namespace keeps the bridge's carrier on, so
// lab0 has its link-local address before the first host joins.
//
// netlab needs root and the ip command from iproute2; Check reports whether
// both are there.
package netlab
