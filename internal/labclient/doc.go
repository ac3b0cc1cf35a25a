// Package labclient drives real IPv6 host clients inside netlab hosts:
// rdnssd, dhcpcd, ISC dhclient, WIDE dhcp6c (with and without its
// configuration file), dibbler-client and systemd-networkd (All, the
// default lab), and NetworkManager and ConnMan (Extra). Each runs with
// per-instance configuration and state in its own directory, isolated from
// the host's files by the mount namespace "ip netns exec" gives it, and
// reports through Resolver the DNS servers and search domains it really
// holds, with their source (RA or DHCPv6) where the client records it.
//
// NetworkManager and ConnMan manage every interface they see and need a
// D-Bus system bus: each instance gets a private bus (a dbus-daemon with
// its socket in the instance's directory), per-instance /run and /var/lib
// bind-mounted in its mount namespace, and only the lab interface. Their
// Debian packages are extracted under ExtractRoot by scripts/install-deps,
// never installed, so no service of theirs can start on the machine.
//
// Command lines, state locations and quirks follow docs/lab-recipes.md of
// the project's shared notes.
package labclient
