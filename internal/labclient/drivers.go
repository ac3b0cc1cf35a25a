package labclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ralab/ralab/internal/netlab"
)

// RDNSSD returns the driver for rdnssd (ndisc6), an RDNSS-only client. It
// never sends a Router Solicitation itself; it relies on the kernel's
// (accept_ra is 2 on lab hosts).
func RDNSSD() *Client {
	return &Client{Name: "rdnssd", Class: "rdnssd", Package: "rdnssd", Binary: "rdnssd", RA: true, start: startRDNSSD}
}

func startRDNSSD(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error) {
	resolv := filepath.Join(dir, "resolv.conf")
	// -f: foreground; -u root: do not switch to a user that could not
	// write dir; -r, -p: per-instance files (lab-recipes.md).
	p, err := h.Start(ctx, "rdnssd", "rdnssd", "-f", "-u", "root", "-r", resolv, "-p", filepath.Join(dir, "pid"))
	if err != nil {
		return nil, nil, err
	}
	return p, func() (Resolver, error) {
		return readResolvConf(resolv, SourceRA)
	}, nil
}

// DHCPCD returns the driver for dhcpcd: RDNSS/DNSSL from RAs and, when
// the O flag is set, a DHCPv6 Information-Request.
func DHCPCD() *Client {
	return &Client{Name: "dhcpcd", Class: "dhcpcd", Package: "dhcpcd-base", Binary: "dhcpcd", RA: true, DHCPv6: true,
		start: startDHCPCD}
}

// dhcpcdConf is the dhcpcd configuration (lab-recipes.md).
const dhcpcdConf = `# Written by ralab labclient.
ipv6only
option domain_name_servers, domain_search
slaac hwaddr
noipv4ll
`

func startDHCPCD(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error) {
	conf := filepath.Join(dir, "dhcpcd.conf")
	run, lib := filepath.Join(dir, "run"), filepath.Join(dir, "lib")
	if err := writeFiles(map[string]string{conf: dhcpcdConf}, run, lib); err != nil {
		return nil, nil, err
	}
	// dhcpcd keeps its state in fixed places; per-instance directories
	// are bind-mounted over them in the process's own mount namespace,
	// where they stay readable from outside.
	p, err := h.Start(ctx, "dhcpcd", "sh", "-c",
		`mount --bind "$1" /run && mount --bind "$2" /var/lib/dhcpcd && exec dhcpcd -6 -B -d -f "$3" "$4"`,
		"sh", run, lib, conf, ifname)
	if err != nil {
		return nil, nil, err
	}
	state := filepath.Join(run, "dhcpcd", "hook-state", "resolv.conf")
	return p, func() (Resolver, error) { return readDHCPCDState(state, ifname) }, nil
}

// readDHCPCDState merges the per-source resolv.conf fragments dhcpcd's
// 20-resolv.conf hook keeps as IF.ra and IF.dhcp6.
func readDHCPCDState(dir, ifname string) (Resolver, error) {
	var r Resolver
	for _, s := range []struct {
		suffix string
		src    Source
	}{{".ra", SourceRA}, {".dhcp6", SourceDHCPv6}} {
		part, err := readResolvConf(filepath.Join(dir, ifname+s.suffix), s.src)
		if err != nil {
			return Resolver{}, err
		}
		r.Servers = append(r.Servers, part.Servers...)
		r.Domains = append(r.Domains, part.Domains...)
	}
	return r, nil
}

// DHClient returns the driver for ISC dhclient in stateless mode
// ("dhclient -6 -S"): DHCPv6 only, it ignores RAs and exits after the
// Reply.
func DHClient() *Client {
	return &Client{Name: "dhclient", Class: "dhclient", Package: "isc-dhcp-client", Binary: "dhclient", DHCPv6: true,
		Exits: true, start: startDHClient}
}

func startDHClient(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver,
	error), error) {
	hook, err := writeHook(dir)
	if err != nil {
		return nil, nil, err
	}
	leases := filepath.Join(dir, "leases")
	// dhclient refuses a lease file that does not exist.
	if err := writeFiles(map[string]string{leases: ""}); err != nil {
		return nil, nil, err
	}
	p, err := h.Start(ctx, "dhclient", "dhclient", "-6", "-S", "-d", "-v",
		"-pf", filepath.Join(dir, "pid"), "-lf", leases, "-sf", hook, ifname)
	if err != nil {
		return nil, nil, err
	}
	return p, func() (Resolver, error) {
		env, err := latestHookEnv(dir)
		if err != nil || env == nil {
			return Resolver{}, err
		}
		switch env["reason"] {
		case "EXPIRE6", "RELEASE6", "STOP6", "FAIL6":
			return Resolver{}, nil
		}
		return fromLists(env["new_dhcp6_name_servers"], env["new_dhcp6_domain_search"], SourceDHCPv6)
	}, nil
}

// DHCP6C returns the driver for WIDE dhcp6c in information-only mode
// from a configuration file that requests DNS servers and domains.
func DHCP6C() *Client {
	return &Client{Name: "dhcp6c", Class: "wide-dhcp6c", Package: "wide-dhcpv6-client", Binary: "dhcp6c", DHCPv6: true,
		start: startDHCP6C}
}

func startDHCP6C(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error) {
	hook, err := writeHook(dir)
	if err != nil {
		return nil, nil, err
	}
	conf := filepath.Join(dir, "dhcp6c.conf")
	lib := filepath.Join(dir, "lib")
	text := fmt.Sprintf("# Written by ralab labclient.\ninterface %s {\n\tinformation-only;\n\trequest domain-name-servers;\n\trequest domain-name;\n\tscript %q;\n};\n", ifname, hook)
	if err := writeFiles(map[string]string{conf: text}, lib); err != nil {
		return nil, nil, err
	}
	// /var/lib/dhcpv6 holds the DUID: per instance (lab-recipes.md).
	p, err := h.Start(ctx, "dhcp6c", "sh", "-c",
		`mount --bind "$1" /var/lib/dhcpv6 && exec dhcp6c -f -D -c "$2" -p "$3" "$4"`,
		"sh", lib, conf, filepath.Join(dir, "pid"), ifname)
	if err != nil {
		return nil, nil, err
	}
	return p, func() (Resolver, error) {
		env, err := latestHookEnv(dir)
		if err != nil || env == nil {
			return Resolver{}, err
		}
		return fromLists(env["new_domain_name_servers"], env["new_domain_name"], SourceDHCPv6)
	}, nil
}

// DHCP6CInfo returns the driver for "dhcp6c -i": one Information-Request
// without an Option Request Option, results printed on standard output,
// then exit. It tells servers that answer only what the ORO asks for
// (Kea) from those that send DNS anyway (dnsmasq).
func DHCP6CInfo() *Client {
	return &Client{Name: "dhcp6c-i", Class: "wide-dhcp6c", Package: "wide-dhcpv6-client", Binary: "dhcp6c",
		DHCPv6: true, Exits: true, start: startDHCP6CInfo}
}

func startDHCP6CInfo(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver,
	error), error) {
	lib := filepath.Join(dir, "lib")
	if err := writeFiles(nil, lib); err != nil {
		return nil, nil, err
	}
	p, err := h.Start(ctx, "dhcp6c-i", "sh", "-c",
		`mount --bind "$1" /var/lib/dhcpv6 && exec dhcp6c -i -f -D -c /dev/null -p "$2" "$3"`,
		"sh", lib, filepath.Join(dir, "pid"), ifname)
	if err != nil {
		return nil, nil, err
	}
	return p, func() (Resolver, error) {
		b, err := readOptional(p.Stdout)
		if err != nil {
			return Resolver{}, err
		}
		return parseDHCP6CInfo(b)
	}, nil
}

// Dibbler returns the driver for dibbler-client in stateless mode.
func Dibbler() *Client {
	return &Client{Name: "dibbler", Package: "dibbler-client", Binary: "dibbler-client", DHCPv6: true,
		start: startDibbler}
}

// dibblerConf is the dibbler client configuration; %s is the interface.
const dibblerConf = `# Written by ralab labclient.
log-level 7
log-mode short
stateless
iface %s {
	option dns-server
	option domain
}
`

func startDibbler(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error) {
	if strings.ContainsAny(dir, ",:") {
		return nil, nil, fmt.Errorf("state dir %q unusable in overlay options", dir)
	}
	upper, work := filepath.Join(dir, "etc-upper"), filepath.Join(dir, "etc-work")
	if err := writeFiles(map[string]string{filepath.Join(dir, "client.conf"): fmt.Sprintf(dibblerConf, ifname)},
		upper, work); err != nil {
		return nil, nil, err
	}
	// dibbler rewrites /etc/resolv.conf with temporary files in /etc and a
	// rename, which leaves files behind in the host's /etc through the
	// bind mount (lab-recipes.md). An overlay on /etc in the process's own
	// mount namespace sends every write to upper, inside dir. The
	// resolv.conf it starts from is empty, like the namespace's.
	p, err := h.Start(ctx, "dibbler", "sh", "-c",
		`mount -t overlay ralab -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && : > /etc/resolv.conf && exec dibbler-client run -w "$3"`,
		"sh", upper, work, dir)
	if err != nil {
		return nil, nil, err
	}
	return p, func() (Resolver, error) {
		servers, err := readOptional(filepath.Join(dir, "option-dns-servers"))
		if err != nil {
			return Resolver{}, err
		}
		domains, err := readOptional(filepath.Join(dir, "option-domains"))
		if err != nil {
			return Resolver{}, err
		}
		return fromLists(string(servers), string(domains), SourceDHCPv6)
	}, nil
}

// Networkd returns the driver for systemd-networkd (systemd 252), run
// standalone: its own RA client, and DHCPv6 when the RA asks for it.
func Networkd() *Client {
	return &Client{Name: "networkd", Class: "systemd-networkd", Package: "systemd",
		Binary: "/lib/systemd/systemd-networkd", RA: true, DHCPv6: true, start: startNetworkd}
}

// networkdConf is the .network file (lab-recipes.md); %s is the interface.
const networkdConf = `# Written by ralab labclient.
[Match]
Name=%s

[Network]
IPv6AcceptRA=yes
LinkLocalAddressing=ipv6

[IPv6AcceptRA]
UseDNS=yes
UseDomains=yes
DHCPv6Client=yes
`

func startNetworkd(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver,
	error), error) {
	ifindex, err := h.IfIndex(ctx)
	if err != nil {
		return nil, nil, err
	}
	netdir, netif := filepath.Join(dir, "network"), filepath.Join(dir, "netif")
	machineID := filepath.Join(dir, "machine-id")
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, nil, err
	}
	if err := writeFiles(map[string]string{
		filepath.Join(netdir, "50-ralab.network"): fmt.Sprintf(networkdConf, ifname),
		// A machine ID per instance gives each instance its own DHCPv6
		// DUID (networkd derives DUID-EN from it).
		machineID: hex.EncodeToString(id[:]) + "\n",
	}, netdir, netif); err != nil {
		return nil, nil, err
	}
	// networkd drops root for the systemd-network user, which must own its
	// state directory.
	if u, err := user.Lookup("systemd-network"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(netif, uid, gid); err != nil {
			return nil, nil, err
		}
	}
	// Remounting /sys read-only makes networkd skip waiting for udev,
	// which does not run in the lab (lab-recipes.md).
	p, err := h.Start(ctx, "networkd", "sh", "-c",
		`mount --bind "$1" /etc/systemd/network && mount --bind "$2" /run/systemd/netif && mount --bind "$3" /etc/machine-id && mount -o remount,ro /sys && exec /lib/systemd/systemd-networkd`,
		"sh", netdir, netif, machineID)
	if err != nil {
		return nil, nil, err
	}
	state := filepath.Join(netif, "links", strconv.Itoa(ifindex))
	return p, func() (Resolver, error) {
		b, err := readOptional(state)
		if err != nil || b == nil {
			return Resolver{}, err
		}
		env := parseEnv(b)
		// The links file does not say which source an entry came from.
		return fromLists(env["DNS"], env["DOMAINS"], SourceUnknown)
	}, nil
}

// writeFiles creates the directories dirs, then the files (path to
// content) with mode 0644; a file's directory is created too.
func writeFiles(files map[string]string, dirs ...string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
