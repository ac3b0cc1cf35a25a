package labclient

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/netlab"
)

// Errors returned by the package.
var (
	// ErrMissing is returned when a client's program is not installed; the
	// message names its Debian package.
	ErrMissing = errors.New("labclient: client not installed")
	// ErrUnknown is returned by Lookup for an unknown client name.
	ErrUnknown = errors.New("labclient: unknown client")
	// ErrState is wrapped by errors reading a client's resolver state.
	ErrState = errors.New("labclient: cannot read client state")
)

// Source says where a client learned a DNS server or domain.
type Source string

// Sources of resolver data.
const (
	// SourceRA is a Router Advertisement (RDNSS or DNSSL, RFC 8106).
	SourceRA Source = "ra"
	// SourceDHCPv6 is a DHCPv6 Reply (options 23 and 24, RFC 3646).
	SourceDHCPv6 Source = "dhcpv6"
	// SourceUnknown means the client does not record the source.
	SourceUnknown Source = "unknown"
)

// Server is a DNS server a client holds.
type Server struct {
	// Addr is the server address, with a zone for link-local ones.
	Addr netip.Addr `json:"addr"`
	// Source is where the client learned it.
	Source Source `json:"source"`
}

// Domain is a search domain a client holds.
type Domain struct {
	// Name is the domain, without a trailing dot.
	Name string `json:"name"`
	// Source is where the client learned it.
	Source Source `json:"source"`
}

// Resolver is the DNS configuration a client holds, as it records it.
type Resolver struct {
	// Servers are the DNS servers, in the client's order.
	Servers []Server `json:"servers"`
	// Domains are the search domains, in the client's order.
	Domains []Domain `json:"domains"`
}

// Addrs returns the server addresses without duplicates, in order.
func (r Resolver) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, s := range r.Servers {
		if !slices.Contains(out, s.Addr) {
			out = append(out, s.Addr)
		}
	}
	return out
}

// Names returns the search domains without duplicates, in order.
func (r Resolver) Names() []string {
	var out []string
	for _, d := range r.Domains {
		if !slices.Contains(out, d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

// From returns the part of r learned from source s.
func (r Resolver) From(s Source) Resolver {
	var out Resolver
	for _, v := range r.Servers {
		if v.Source == s {
			out.Servers = append(out.Servers, v)
		}
	}
	for _, d := range r.Domains {
		if d.Source == s {
			out.Domains = append(out.Domains, d)
		}
	}
	return out
}

// starter starts one client instance in dir and returns its process and
// a function reading its resolver state.
type starter func(ctx context.Context, h *netlab.Host, ifname, dir string) (*netlab.Process, func() (Resolver, error),
	error)

// Client is a driver for one real client program.
type Client struct {
	// Name is the client's name, such as "dhcpcd" or "dhcp6c-i".
	Name string
	// Class is the client's class in the field guide §1 and the
	// scenario files' [expect] tables (scenario.ClientClasses), such as
	// "systemd-networkd" or "wide-dhcp6c"; empty for a client of no
	// class (dibbler).
	Class string
	// Package is the Debian package that provides Binary.
	Package string
	// Binary is the program run: a name looked up in PATH, or a path.
	Binary string
	// RA reports whether the client takes DNS from Router Advertisements.
	RA bool
	// DHCPv6 reports whether the client asks DHCPv6 for DNS.
	DHCPv6 bool
	// Exits reports whether the client exits after its first Reply
	// instead of running on.
	Exits bool
	// heldFile, if set, returns the resolv.conf in the instance
	// directory dir where the client writes the servers and domains it
	// holds, which Held reads instead of Resolver's costlier way.
	heldFile func(dir string) string
	// OwnLink reports that the client must not share a link with other
	// clients under test: it sends Router Solicitations from the
	// unspecified address, which a router answers with a multicast RA
	// (RFC 4861 §6.2.6) that refreshes every host of the link, so the
	// others would no longer see what a scenario does to them.
	OwnLink bool

	start starter
}

// Available returns nil if the client's program is installed, or an error
// wrapping ErrMissing that names the Debian package.
func (c *Client) Available() error {
	if _, err := exec.LookPath(c.Binary); err != nil {
		return fmt.Errorf("%w: %s needs %s (Debian package %s)", ErrMissing, c.Name, c.Binary, c.Package)
	}
	return nil
}

// Start runs the client on interface ifname of host h, with configuration
// and state in a fresh directory under the host's state directory. The
// process stops when ctx is done, on Instance.Stop, or when the lab
// closes.
func (c *Client) Start(ctx context.Context, h *netlab.Host, ifname string) (*Instance, error) {
	if err := c.Available(); err != nil {
		return nil, err
	}
	dir, err := h.MkdirState(c.Name)
	if err != nil {
		return nil, err
	}
	p, res, err := c.start(ctx, h, ifname, dir)
	if err != nil {
		return nil, fmt.Errorf("labclient: %s: %w", c.Name, err)
	}
	inst := &Instance{Client: c, Host: h, IfName: ifname, Dir: dir, Process: p, resolver: res}
	if c.heldFile != nil {
		inst.heldFile = c.heldFile(dir)
	}
	return inst, nil
}

// All returns drivers for every client of the default lab, in a fixed
// order.
func All() []*Client {
	return []*Client{RDNSSD(), DHCPCD(), Networkd(), DHClient(), DHCP6C(), DHCP6CInfo(), Dibbler()}
}

// Extra returns drivers for the supported clients outside the default
// lab, in a fixed order: NetworkManager and ConnMan, which must run on a
// link of their own (OwnLink).
func Extra() []*Client {
	return []*Client{NetworkManager(), ConnMan()}
}

// Lookup returns the driver named name, from All or Extra.
func Lookup(name string) (*Client, error) {
	for _, c := range append(All(), Extra()...) {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
}

// Instance is one running client.
type Instance struct {
	// Client is the driver that started it.
	Client *Client
	// Host is the host it runs on.
	Host *netlab.Host
	// IfName is the interface it runs on.
	IfName string
	// Dir is its configuration and state directory.
	Dir string
	// Process is the client process.
	Process *netlab.Process

	resolver func() (Resolver, error)
	heldFile string
}

// Resolver returns the DNS servers and domains the client holds now; it
// is empty, without error, before the client has recorded any.
func (i *Instance) Resolver() (Resolver, error) { return i.resolver() }

// Held returns what Resolver does, read without starting a process, for
// sampling many clients every second: for NetworkManager, the resolv.conf
// it writes under its /run (even with dns=none) instead of asking over
// D-Bus with nmcli, which costs about 10 ms of CPU a call; the sources
// are then SourceUnknown.
func (i *Instance) Held() (Resolver, error) {
	if i.heldFile == "" {
		return i.resolver()
	}
	return readResolvConf(i.heldFile, SourceUnknown)
}

// Stop stops the client (SIGTERM, then SIGKILL after the lab's grace
// period).
func (i *Instance) Stop() error { return i.Process.Stop() }

// pollInterval is how often WaitResolver reads the client's state.
const pollInterval = 200 * time.Millisecond

// WaitResolver polls Resolver until ok accepts it or ctx is done. On
// timeout it returns the last state read and an error saying so, with the
// end of the client's log.
func (i *Instance) WaitResolver(ctx context.Context, ok func(Resolver) bool) (Resolver, error) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var last Resolver
	var lastErr error
	for {
		r, err := i.Resolver()
		if err == nil && ok(r) {
			return r, nil
		}
		last, lastErr = r, err
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("labclient: %s: waiting for resolver state: %w (last state %+v, read error %v, exited %v: %v)\n%s",
				i.Client.Name, ctx.Err(), last, lastErr, i.Process.Exited(), i.Process.Err(), i.logTail())
		case <-t.C:
		}
	}
}

// HasServers returns a WaitResolver condition: every address in want is
// among the client's servers.
func HasServers(want ...netip.Addr) func(Resolver) bool {
	return func(r Resolver) bool {
		got := r.Addrs()
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false
			}
		}
		return len(got) > 0
	}
}

// logTail returns the end of the client's standard error and output.
func (i *Instance) logTail() string {
	var b strings.Builder
	for _, p := range []string{i.Process.Stderr, i.Process.Stdout} {
		data, err := os.ReadFile(p)
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		fmt.Fprintf(&b, "--- %s ---\n%s\n", filepath.Base(p), data)
	}
	return b.String()
}
