package netlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// ErrParse is wrapped by errors about unexpected iproute2 JSON output.
var ErrParse = errors.New("netlab: cannot parse ip output")

// Forever is the lifetime iproute2 prints as 4294967295 seconds
// ("forever").
const Forever = time.Duration(0xffffffff) * time.Second

// Address is one IPv6 address of an interface.
type Address struct {
	// Prefix is the address with its prefix length.
	Prefix netip.Prefix
	// Scope is "global", "link" or "host".
	Scope string
	// Flags are the address flags iproute2 reports as true, sorted, such as
	// "dynamic", "mngtmpaddr", "tentative", "deprecated", "dadfailed".
	Flags []string
	// ValidLifetime is the remaining valid lifetime; Forever if infinite.
	ValidLifetime time.Duration
	// PreferredLifetime is the remaining preferred lifetime; Forever if
	// infinite.
	PreferredLifetime time.Duration
}

// Addr returns the address without its prefix length.
func (a Address) Addr() netip.Addr { return a.Prefix.Addr() }

// Global reports whether the address has global scope.
func (a Address) Global() bool { return a.Scope == "global" }

// Has reports whether the address has flag f.
func (a Address) Has(f string) bool { return slices.Contains(a.Flags, f) }

// Usable reports whether the address is neither tentative nor failed DAD.
func (a Address) Usable() bool { return !a.Has("tentative") && !a.Has("dadfailed") }

// ParseAddresses parses the output of "ip -j -6 addr show" and returns
// the IPv6 addresses of all listed interfaces, in order.
func ParseAddresses(b []byte) ([]Address, error) {
	var links []struct {
		AddrInfo []map[string]json.RawMessage `json:"addr_info"`
	}
	if err := json.Unmarshal(b, &links); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	var out []Address
	for _, l := range links {
		for _, ai := range l.AddrInfo {
			a, ok, err := parseAddrInfo(ai)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// parseAddrInfo converts one addr_info object; ok is false for families
// other than inet6.
func parseAddrInfo(ai map[string]json.RawMessage) (Address, bool, error) {
	var fam, local, scope string
	var plen int
	var valid, pref uint32
	fields := []struct {
		key string
		dst any
	}{
		{"family", &fam}, {"local", &local}, {"prefixlen", &plen}, {"scope", &scope},
		{"valid_life_time", &valid}, {"preferred_life_time", &pref},
	}
	for _, f := range fields {
		raw, ok := ai[f.key]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return Address{}, false, fmt.Errorf("%w: %s: %w", ErrParse, f.key, err)
		}
	}
	if fam != "inet6" {
		return Address{}, false, nil
	}
	addr, err := netip.ParseAddr(local)
	if err != nil {
		return Address{}, false, fmt.Errorf("%w: local: %w", ErrParse, err)
	}
	if plen < 0 || plen > addr.BitLen() {
		return Address{}, false, fmt.Errorf("%w: prefixlen %d", ErrParse, plen)
	}
	a := Address{
		Prefix:            netip.PrefixFrom(addr, plen),
		Scope:             scope,
		ValidLifetime:     time.Duration(valid) * time.Second,
		PreferredLifetime: time.Duration(pref) * time.Second,
	}
	for k, v := range ai {
		var t bool
		if json.Unmarshal(v, &t) == nil && t {
			a.Flags = append(a.Flags, k)
		}
	}
	slices.Sort(a.Flags)
	return a, true, nil
}

// Route is one IPv6 route.
type Route struct {
	// Dst is the destination, "default" for a default route.
	Dst string
	// Gateway is the next hop; the zero Addr for a direct route.
	Gateway netip.Addr
	// Dev is the outgoing interface.
	Dev string
	// Protocol is who installed the route, such as "ra" or "kernel".
	Protocol string
	// Metric is the route metric.
	Metric uint32
	// Expires is the remaining lifetime, zero if the route does not
	// expire.
	Expires time.Duration
	// Pref is the router preference (RFC 4191), such as "medium".
	Pref string
}

// ParseRoutes parses the output of "ip -j -6 route show".
func ParseRoutes(b []byte) ([]Route, error) {
	var rs []struct {
		Dst      string `json:"dst"`
		Gateway  string `json:"gateway"`
		Dev      string `json:"dev"`
		Protocol string `json:"protocol"`
		Metric   uint32 `json:"metric"`
		Expires  uint32 `json:"expires"`
		Pref     string `json:"pref"`
	}
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	out := make([]Route, 0, len(rs))
	for _, r := range rs {
		rt := Route{Dst: r.Dst, Dev: r.Dev, Protocol: r.Protocol, Metric: r.Metric,
			Expires: time.Duration(r.Expires) * time.Second, Pref: r.Pref}
		if r.Gateway != "" {
			gw, err := netip.ParseAddr(r.Gateway)
			if err != nil {
				return nil, fmt.Errorf("%w: gateway: %w", ErrParse, err)
			}
			rt.Gateway = gw
		}
		out = append(out, rt)
	}
	return out, nil
}

// parseIfIndex returns the ifindex of the single link in the output of
// "ip -j link show dev IF".
func parseIfIndex(b []byte) (int, error) {
	var links []struct {
		IfIndex int `json:"ifindex"`
	}
	if err := json.Unmarshal(b, &links); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrParse, err)
	}
	if len(links) != 1 || links[0].IfIndex <= 0 {
		return 0, fmt.Errorf("%w: want one link with an ifindex, got %d links", ErrParse, len(links))
	}
	return links[0].IfIndex, nil
}

// parseBridgePortState returns the bridge port state ("forwarding",
// "disabled", ...) of the single link in the output of "ip -d -j link
// show dev IF"; "" if it is no bridge port.
func parseBridgePortState(b []byte) (string, error) {
	var links []struct {
		LinkInfo struct {
			SlaveKind string `json:"info_slave_kind"`
			SlaveData struct {
				State string `json:"state"`
			} `json:"info_slave_data"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal(b, &links); err != nil {
		return "", fmt.Errorf("%w: %w", ErrParse, err)
	}
	if len(links) != 1 {
		return "", fmt.Errorf("%w: want one link, got %d", ErrParse, len(links))
	}
	if links[0].LinkInfo.SlaveKind != "bridge" {
		return "", nil
	}
	return links[0].LinkInfo.SlaveData.State, nil
}
