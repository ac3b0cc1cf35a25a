package hoststate

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"

	"github.com/ralab/ralab/internal/sysctl"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinuxHost is the Host of the running kernel: sysctls under FS (nil:
// /proc/sys) and addresses and routes through netlink, in the network
// namespace of the calling thread.
type LinuxHost struct {
	FS *sysctl.FS
}

// SetSysctl writes value to key of ifname.
func (h LinuxHost) SetSysctl(ifname, key, value string) error {
	f := h.FS
	if f == nil {
		f = sysctl.New("")
	}
	return f.Set(ifname, key, value)
}

// link returns the interface ifname, or an error wrapping fs.ErrNotExist.
func link(ifname string) (netlink.Link, error) {
	l, err := netlink.LinkByName(ifname)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("interface %s: %w", ifname, fs.ErrNotExist)
	}
	return l, err
}

// DelAddr removes the /128 address a from ifname.
func (LinuxHost) DelAddr(ifname string, a netip.Addr) error {
	l, err := link(ifname)
	if err != nil {
		return err
	}
	err = netlink.AddrDel(l, &netlink.Addr{IPNet: &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(128, 128)}})
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("%v on %s: %w", a, ifname, fs.ErrNotExist)
	}
	return err
}

// DelRoute removes the static on-link route to p through ifname.
func (LinuxHost) DelRoute(ifname string, p netip.Prefix) error {
	l, err := link(ifname)
	if err != nil {
		return err
	}
	err = netlink.RouteDel(&netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 128)},
		Protocol:  unix.RTPROT_STATIC,
	})
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("route to %v through %s: %w", p, ifname, fs.ErrNotExist)
	}
	return err
}
