// Package labclient drives real IPv6 host clients inside netlab hosts:
// rdnssd, dhcpcd, ISC dhclient, WIDE dhcp6c (with and without its
// configuration file), dibbler-client and systemd-networkd. Each runs with
// per-instance configuration and state in its own directory, isolated from
// the host's files by the mount namespace "ip netns exec" gives it, and
// reports through Resolver the DNS servers and search domains it really
// holds, with their source (RA or DHCPv6) where the client records it.
//
// Command lines, state locations and quirks follow docs/lab-recipes.md of
// the project's shared notes.
package labclient
