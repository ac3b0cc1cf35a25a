package labclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ralab/ralab/internal/netlab"
)

// ExtractRoot is where scripts/install-deps extracts the NetworkManager
// and ConnMan packages (one directory per Debian package) instead of
// installing them: installed, both enable system services that manage
// every interface of the machine, and rdnssd conflicts with
// network-manager. Nothing of theirs runs outside a lab namespace.
const ExtractRoot = "/opt/ralab"

// busConf is a private system-like D-Bus bus for one client instance; %s
// is its socket path. Only root runs in the lab, and it may do anything:
// NetworkManager and ConnMan own their names on it, nmcli reads them.
// There is no service directory, so nothing is activated.
const busConf = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Written by ralab labclient: a private bus for one lab client. -->
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`

// busFiles returns the configuration of a private bus with its socket in
// dir and the bus address for DBUS_SYSTEM_BUS_ADDRESS, or an error
// wrapping ErrMissing if dbus-daemon is not installed.
func busFiles(dir string) (conf, addr string, err error) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		return "", "", fmt.Errorf("%w: needs dbus-daemon (Debian package dbus-daemon)", ErrMissing)
	}
	socket := filepath.Join(dir, "bus")
	return fmt.Sprintf(busConf, socket), "unix:path=" + socket, nil
}

// busScript starts the private bus from the configuration file in $1 and
// waits for it: "dbus-daemon --fork" returns once the bus listens. The
// daemon outlives an Instance.Stop until the lab closes, which ends every
// process in the namespace.
const busScript = `dbus-daemon --config-file="$1" --fork --nopidfile >/dev/null`

// NetworkManager returns the driver for NetworkManager 1.42: its own RA
// handling (libndp) and its internal DHCPv6 client, started on a private
// D-Bus bus and managing only the lab interface, from a keyfile profile
// with IPv4 disabled and IPv6 "auto" (the keyfile default addr-gen-mode,
// EUI-64). It reports what its device's IPv6
// configuration holds (nmcli), servers and domains in the DHCPv6 lease as
// from DHCPv6 and the others as from RAs, the only other IPv6 source the
// profile leaves.
func NetworkManager() *Client {
	return &Client{
		Name: "networkmanager", Class: "networkmanager", Package: "network-manager",
		Binary: filepath.Join(ExtractRoot, "network-manager/usr/sbin/NetworkManager"),
		RA:     true, DHCPv6: true, start: startNetworkManager,
		heldFile: func(dir string) string { return filepath.Join(dir, "run", "NetworkManager", "resolv.conf") },
	}
}

// nmConf is NetworkManager.conf; %[1]s is the keyfile directory, %[2]s
// the lab interface. dns=none with rc-manager=unmanaged: it never writes
// a resolv.conf; what it holds is read over D-Bus. hostname-mode=none: it
// shares the machine's UTS namespace, so it must not set the hostname.
const nmConf = `# Written by ralab labclient.
[main]
plugins=keyfile
dhcp=internal
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false
no-auto-default=*

[keyfile]
path=%[1]s
unmanaged-devices=except:interface-name:%[2]s

[connectivity]
enabled=false

[logging]
level=INFO
domains=DEFAULT,IP6:DEBUG,DHCP6:DEBUG,DNS:DEBUG
`

// nmProfile is the keyfile profile; %[1]s is a UUID, %[2]s the interface.
const nmProfile = `# Written by ralab labclient.
[connection]
id=ralab-lab
uuid=%[1]s
type=ethernet
interface-name=%[2]s
autoconnect=true

[ethernet]

[ipv4]
method=disabled

[ipv6]
method=auto
`

func startNetworkManager(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver,
	error), error) {
	bus, addr, err := busFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	conns, confd := filepath.Join(dir, "system-connections"), filepath.Join(dir, "conf.d")
	run, varlib := filepath.Join(dir, "run"), filepath.Join(dir, "var-lib")
	uuid, machineID, err := randomIDs()
	if err != nil {
		return nil, nil, err
	}
	if err := writeFiles(map[string]string{
		filepath.Join(dir, "bus.conf"):            bus,
		filepath.Join(dir, "NetworkManager.conf"): fmt.Sprintf(nmConf, conns, ifname),
		// A machine ID per instance: NetworkManager derives its DUID
		// and stable-privacy addresses from it and its secret key.
		filepath.Join(dir, "machine-id"): machineID + "\n",
	}, conns, confd, run, filepath.Join(varlib, "NetworkManager")); err != nil {
		return nil, nil, err
	}
	// NetworkManager ignores a profile readable by others.
	if err := os.WriteFile(filepath.Join(conns, "ralab-lab.nmconnection"), []byte(fmt.Sprintf(nmProfile, uuid,
		ifname)), 0o600); err != nil {
		return nil, nil, err
	}
	// Per-instance /run and /var/lib in the process's own mount
	// namespace hold its pid file, leases and secret key. A read-only
	// /sys makes it treat links as ready without udev, which does not
	// run in the lab (as for networkd).
	p, err := h.Start(ctx, "networkmanager", "sh", "-c", busScript+
		` && mount --bind "$2" /run && mount --bind "$3" /var/lib && mount --bind "$4" /etc/machine-id && mount -o remount,ro /sys`+
		` && DBUS_SYSTEM_BUS_ADDRESS="$5" exec "$6" --no-daemon --config="$7" --config-dir="$8" --system-config-dir="$8" --state-file="$9/NetworkManager/NetworkManager.state" --intern-config="$9/NetworkManager/NetworkManager-intern.conf"`,
		"sh", filepath.Join(dir, "bus.conf"), run, varlib, filepath.Join(dir, "machine-id"), addr,
		NetworkManager().Binary, filepath.Join(dir, "NetworkManager.conf"), confd, varlib)
	if err != nil {
		return nil, nil, err
	}
	nmcli := filepath.Join(ExtractRoot, "network-manager/usr/bin/nmcli")
	return p, func() (Resolver, error) { return readNMCLI(nmcli, addr, ifname) }, nil
}

// nmcliTimeout bounds one nmcli call.
const nmcliTimeout = 5 * time.Second

// readNMCLI asks NetworkManager on the bus at addr what the device
// ifname holds. Before NetworkManager is on the bus (nmcli exit status 8)
// or knows the device (10), it holds nothing.
func readNMCLI(nmcli, addr, ifname string) (Resolver, error) {
	ctx, cancel := context.WithTimeout(context.Background(), nmcliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nmcli, "--terse", "--fields", "IP6.DNS,IP6.DOMAIN,IP6.SEARCHES,DHCP6", "device",
		"show", ifname)
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+addr, "LC_ALL=C")
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && (ee.ExitCode() == 8 || ee.ExitCode() == 10) {
		return Resolver{}, nil
	}
	if err != nil {
		return Resolver{}, fmt.Errorf("%w: nmcli: %w", ErrState, err)
	}
	return parseNMCLI(out)
}

// randomIDs returns a random UUID (version 4) and a random machine ID.
func randomIDs() (uuid, machineID string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	u := b[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], hex.EncodeToString(b[16:]), nil
}

// ConnMan returns the driver for ConnMan 1.41: its own RA (RDNSS) and
// DHCPv6 code, started on a private D-Bus bus with only its ethernet
// plugin, on the lab interface only, IPv4 off, and without its DNS proxy
// (-r), so it writes the servers it holds to its resolv.conf. That file
// does not say where a server came from. Observed in the lab: it solicits
// from the unspecified address and again when RDNSS lifetimes run low, and
// applies the DNS of a stateless DHCPv6 Reply only in some runs (its
// service, already "ready" from SLAAC, may fall back to "configuration"
// for the exchange and stay there).
func ConnMan() *Client {
	return &Client{
		Name: "connman", Class: "connman", Package: "connman",
		Binary: filepath.Join(ExtractRoot, "connman/usr/sbin/connmand"),
		RA:     true, DHCPv6: true, OwnLink: true, start: startConnMan,
	}
}

// connmanConf is main.conf. It shares the machine's UTS namespace and
// clock: no hostname, domain name or time updates. No interface is
// blacklisted by prefix (the default list would match some lab names);
// -i restricts it to the lab interface.
const connmanConf = `# Written by ralab labclient.
[General]
AllowHostnameUpdates=false
AllowDomainnameUpdates=false
TimeUpdates=manual
FallbackTimeservers=
EnableOnlineCheck=false
NetworkInterfaceBlacklist=ralab-none
PreferredTechnologies=ethernet
`

// connmanService provisions the lab interface's service: IPv6 only.
const connmanService = `# Written by ralab labclient.
[service_ralab]
Type = ethernet
IPv4 = off
IPv6 = auto
`

func startConnMan(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error) {
	bus, addr, err := busFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	run, varlib := filepath.Join(dir, "run"), filepath.Join(dir, "var-lib")
	if err := writeFiles(map[string]string{
		filepath.Join(dir, "bus.conf"):                   bus,
		filepath.Join(dir, "main.conf"):                  connmanConf,
		filepath.Join(varlib, "connman", "ralab.config"): connmanService,
	}, filepath.Join(run, "connman"), filepath.Join(varlib, "connman-vpn")); err != nil {
		return nil, nil, err
	}
	// Per-instance /run and /var/lib in the process's own mount
	// namespace: its resolv.conf (/run/connman) and settings.
	p, err := h.Start(ctx, "connman", "sh", "-c", busScript+
		` && mount --bind "$2" /run && mount --bind "$3" /var/lib`+
		` && DBUS_SYSTEM_BUS_ADDRESS="$4" exec "$5" --nodaemon --nodnsproxy --nobacktrace --plugin=ethernet --config="$6" --device="$7" --debug`,
		"sh", filepath.Join(dir, "bus.conf"), run, varlib, addr, ConnMan().Binary, filepath.Join(dir,
			"main.conf"), ifname)
	if err != nil {
		return nil, nil, err
	}
	resolv := filepath.Join(run, "connman", "resolv.conf")
	return p, func() (Resolver, error) {
		return readResolvConf(resolv, SourceUnknown)
	}, nil
}
