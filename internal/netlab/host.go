package netlab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A Host is one network namespace of a Lab: the router or a client.
type Host struct {
	lab  *Lab
	dir  string
	port string // a client's veth end on the bridge, in the router namespace

	// Name is the host's short name, such as "rtr" or "c1".
	Name string
	// Namespace is the network namespace name, "<prefix>-<Name>".
	Namespace string
	// IfName is the host's link to the lab: BridgeName on the router,
	// HostIfName on a client.
	IfName string
	// MAC is the fixed MAC address of IfName.
	MAC net.HardwareAddr
}

// Dir returns the host's state directory inside the lab's; process logs
// of the host are written there.
func (h *Host) Dir() string { return h.dir }

// LinkLocal returns the modified EUI-64 link-local address the kernel
// derives from the host's MAC (RFC 4291 Appendix A), such as
// fe80::ff:fe00:201 for 02:00:00:00:02:01.
func (h *Host) LinkLocal() netip.Addr { return LinkLocal(h.MAC) }

// LinkLocal returns the modified EUI-64 link-local address for an EUI-48
// MAC address (RFC 4291 Appendix A): the universal/local bit is inverted
// and ff:fe inserted in the middle. Other lengths give the zero Addr.
func LinkLocal(mac net.HardwareAddr) netip.Addr {
	if len(mac) != 6 {
		return netip.Addr{}
	}
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	a[8] = mac[0] ^ 0x02
	a[9], a[10] = mac[1], mac[2]
	a[11], a[12] = 0xff, 0xfe
	a[13], a[14], a[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(a)
}

// ResolvConf returns the path of the namespace's resolv.conf as seen from
// the host: what processes in the namespace see as /etc/resolv.conf.
func (h *Host) ResolvConf() string {
	return filepath.Join(netnsEtc(h.Namespace), "resolv.conf")
}

// MkdirState creates and returns a fresh directory named name (or name
// with a numeric suffix if taken) in the host's state directory, for one
// instance of a program.
func (h *Host) MkdirState(name string) (string, error) {
	for i := 1; ; i++ {
		p := filepath.Join(h.dir, name)
		if i > 1 {
			p = fmt.Sprintf("%s-%d", p, i)
		}
		err := os.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("netlab: %w", err)
		}
	}
}

// Command returns a command that runs name with args in the host's
// namespace through "ip netns exec", which also gives it its own mount
// namespace and the namespace's resolv.conf.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Namespace, name}, args...)...)
}

// Run runs name with args in the host's namespace and returns its
// standard output; the error carries standard error.
func (h *Host) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return run(ctx, "ip", append([]string{"netns", "exec", h.Namespace, name}, args...)...)
}

// Sysctl sets a sysctl inside the namespace, such as
// "net.ipv6.conf.all.accept_dad" to "0". It writes /proc/sys from a
// thread inside the namespace (Do): the kernel resolves /proc/sys/net by
// the writer's network namespace, so no process is started, which counts
// when a lab matrix builds hundreds of hosts at once.
func (h *Host) Sysctl(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	err := h.Do(func() error { return os.WriteFile(path, []byte(value+"\n"), 0o644) })
	if err != nil {
		return fmt.Errorf("netlab: %s: sysctl %s=%s: %w", h.Namespace, key, value, err)
	}
	return nil
}

// prepare disables DAD for all and future interfaces (before any veth
// exists, per lab-recipes.md) and brings lo up.
func (h *Host) prepare(ctx context.Context) error {
	for _, k := range []string{"net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"} {
		if err := h.Sysctl(ctx, k, "0"); err != nil {
			return err
		}
	}
	_, err := run(ctx, "ip", "-n", h.Namespace, "link", "set", "lo", "up")
	return err
}

// IfIndex returns the index of the host's interface inside its namespace.
func (h *Host) IfIndex(ctx context.Context) (int, error) {
	out, err := run(ctx, "ip", "-n", h.Namespace, "-j", "link", "show", "dev", h.IfName)
	if err != nil {
		return 0, err
	}
	return parseIfIndex(out)
}

// Addresses returns the IPv6 addresses of the host's interface, parsed
// from "ip -j -6 addr show dev IF".
func (h *Host) Addresses(ctx context.Context) ([]Address, error) {
	out, err := run(ctx, "ip", "-n", h.Namespace, "-j", "-6", "addr", "show", "dev", h.IfName)
	if err != nil {
		return nil, err
	}
	return ParseAddresses(out)
}

// DefaultRoutes returns the IPv6 default routes of the host, parsed from
// "ip -j -6 route show default".
func (h *Host) DefaultRoutes(ctx context.Context) ([]Route, error) {
	out, err := run(ctx, "ip", "-n", h.Namespace, "-j", "-6", "route", "show", "default")
	if err != nil {
		return nil, err
	}
	return ParseRoutes(out)
}

// linkLocalTimeout bounds the wait for a link-local address; it normally
// takes about 0.2 s after carrier (lab-recipes.md), far longer on a
// loaded machine.
const linkLocalTimeout = 60 * time.Second

// maxPollWait caps the wait between two checks of pollBackoff.
const maxPollWait = 250 * time.Millisecond

// pollBackoff calls check until it reports done: at once, then after a
// wait of first that doubles up to maxPollWait. Each check starts "ip":
// backing off keeps hundreds of hosts waiting at once on a loaded machine
// from making it busier. It returns ctx.Err() when ctx is done first, and
// the error of the last check, which says what it saw, when timeout
// passes first.
func pollBackoff(ctx context.Context, first, timeout time.Duration, check func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	wait := first
	for {
		done, err := check()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, maxPollWait)
	}
}

// waitLinkLocal waits until the host's link-local address is on IfName
// and usable (not tentative).
func (h *Host) waitLinkLocal(ctx context.Context) error {
	ll := h.LinkLocal()
	return pollBackoff(ctx, 20*time.Millisecond, linkLocalTimeout, func() (bool, error) {
		as, err := h.Addresses(ctx)
		if err == nil && slices.ContainsFunc(as, func(a Address) bool { return a.Addr() == ll && a.Usable() }) {
			return true, nil
		}
		return false, fmt.Errorf("netlab: %s: no usable link-local %v after %v (addresses %+v, %v)", h.Namespace, ll, linkLocalTimeout, as, err)
	})
}
