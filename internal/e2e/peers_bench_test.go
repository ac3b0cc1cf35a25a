package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"golang.org/x/net/ipv6"
)

// Load of BenchmarkInformationRequests: irWindow Information-Requests
// outstanding from one client for irDuration, after irWarmup.
const (
	irWindow   = 64
	irDuration = 5 * time.Second
	irWarmup   = 2 * time.Second
	// irResend replaces a request that got no Reply, so that the window
	// stays full.
	irResend = time.Second
)

// irServer is one DHCPv6 server BenchmarkInformationRequests measures.
type irServer struct {
	name, tool, pkg string
	// start starts the server on the router's interface ifname, with
	// its files in dir.
	start func(b *testing.B, r *netlab.Host, dir, ifname string) *netlab.Process
}

// irRalabConfig serves stateless DHCPv6 with every limit lifted.
const irRalabConfig = `
[[interface]]
name = %q
other_config = true
max_interval = "600s"
  [[interface.prefix]]
  prefix = "2001:db8:1::/64"
  [[interface.rdnss]]
  servers = ["2001:db8:1::d6"]
  [[interface.dnssl]]
  domains = ["lab.example"]
  [interface.dhcpv6]
  enabled = true
  rate_per_client = 1000000.0
  burst_per_client = 1000000
  rate_total = 0
`

// irServers are ralab and the peers a lab would otherwise run, each with
// the same DNS server and search domain.
var irServers = []irServer{
	{"ralab", "ip", "iproute2", func(b *testing.B, r *netlab.Host, dir, ifname string) *netlab.Process {
		return startIn(b, r, dir, "ralab.toml", fmt.Sprintf(irRalabConfig, ifname), "ralab", netlabtest.RalabBinary(b), "serve", "-c")
	}},
	{"kea", "kea-dhcp6", "kea-dhcp6-server", func(b *testing.B, r *netlab.Host, dir, ifname string) *netlab.Process {
		cfg := fmt.Sprintf(`{"Dhcp6": {"interfaces-config": {"interfaces": [%q]}, "server-id": {"type": "LL", "persist": false},
 "lease-database": {"type": "memfile", "persist": false},
 "option-data": [{"name": "dns-servers", "data": "2001:db8:1::d6"}, {"name": "domain-search", "data": "lab.example"}],
 "loggers": [{"name": "kea-dhcp6", "severity": "ERROR", "output_options": [{"output": "stderr"}]}]}}`, ifname)
		return startIn(b, r, dir, "kea.json", cfg, "kea", "env", "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, "kea-dhcp6", "-c")
	}},
	{"dnsmasq", "dnsmasq", "dnsmasq-base", func(b *testing.B, r *netlab.Host, dir, ifname string) *netlab.Process {
		cfg := fmt.Sprintf("port=0\nno-resolv\nno-hosts\ninterface=%s\nbind-interfaces\ndhcp-range=::,constructor:%s,static,64\n"+
			"dhcp-option=option6:dns-server,[2001:db8:1::d6]\ndhcp-option=option6:domain-search,lab.example\n"+
			"dhcp-leasefile=%s/leases\npid-file=%s/dnsmasq.pid\n", ifname, ifname, dir, dir)
		return startIn(b, r, dir, "dnsmasq.conf", cfg, "dnsmasq", "dnsmasq", "-k", "-C")
	}},
	{"dhcp6s", "dhcp6s", "wide-dhcpv6-server", func(b *testing.B, r *netlab.Host, dir, ifname string) *netlab.Process {
		cfg := "option domain-name-servers 2001:db8:1::d6;\noption domain-name \"lab.example\";\n"
		if err := os.WriteFile(filepath.Join(dir, "dhcp6s.conf"), []byte(cfg), 0o644); err != nil {
			b.Fatal(err)
		}
		// dhcp6s keeps its DUID in /var/lib/dhcpv6: a tmpfs in the mount
		// namespace "ip netns exec" gives it.
		return startIn(b, r, dir, "", "", "dhcp6s", "sh", "-c", fmt.Sprintf(
			"mkdir -p /var/lib/dhcpv6 && mount -t tmpfs ralab-bench /var/lib/dhcpv6 && exec dhcp6s -f -c %s/dhcp6s.conf -p %s/dhcp6s.pid %s", dir, dir, ifname))
	}},
}

// startIn writes cfg to dir/file (unless file is empty) and starts name
// with args and that path in r's namespace.
func startIn(b *testing.B, r *netlab.Host, dir, file, cfg, label, name string, args ...string) *netlab.Process {
	b.Helper()
	if file != "" {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			b.Fatal(err)
		}
		args = append(args, path)
	}
	p, err := r.Start(b.Context(), label, name, args...)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkInformationRequests measures, in one run on one lab link,
// how many stateless DHCPv6 Information-Requests ralab and the installed
// peers (Kea, dnsmasq, WIDE dhcp6s) answer per second, closed loop with
// irWindow requests outstanding from one client, and their latency. It
// reports replies/s, p50-µs and p99-µs per server; compare the ratios
// within one run, since the machine's load moves absolute figures.
//
//	go test -run '^$' -bench InformationRequests -benchtime 1x ./internal/e2e/
//
// scripts/bench-peers runs it and prints the ratios to ralab.
func BenchmarkInformationRequests(b *testing.B) {
	l := netlabtest.New(b)
	client := l.Host(b, "load", mac1)
	r := l.Router()
	// dnsmasq's "constructor" range needs an address of the prefix.
	if out, err := r.Run(b.Context(), "ip", "addr", "add", "2001:db8:1::1/64", "dev", r.IfName, "nodad"); err != nil {
		b.Fatalf("adding an address: %v: %s", err, out)
	}
	for _, srv := range irServers {
		b.Run(srv.name, func(b *testing.B) {
			netlabtest.RequireTool(b, srv.tool, srv.pkg)
			dir, err := r.MkdirState("bench-" + srv.name)
			if err != nil {
				b.Fatal(err)
			}
			p := srv.start(b, r, dir, r.IfName)
			defer func() {
				_ = p.Signal(os.Kill) // dhcp6s -f ignores SIGTERM
				_ = p.Wait(context.Background())
			}()
			time.Sleep(irWarmup)
			if p.Exited() {
				b.Fatalf("%s exited: %v\n%s", srv.name, p.Err(), netlabtest.Tail(p.Stderr, 2000))
			}
			res, err := irLoad(client, irWindow, irDuration)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.rate, "replies/s")
			b.ReportMetric(float64(res.p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(res.p99.Microseconds()), "p99-µs")
		})
	}
}

// irResult is what irLoad measured.
type irResult struct {
	rate     float64
	p50, p99 time.Duration
}

// irLoad keeps window Information-Requests outstanding from h to
// ff02::1:2 for d: each Reply, matched by transaction ID, sends the next
// request, and a request unanswered for irResend is replaced. The low 8
// bits of a transaction ID name its slot of the window.
func irLoad(h *netlab.Host, window int, d time.Duration) (irResult, error) {
	if window < 1 || window > 256 {
		return irResult{}, fmt.Errorf("window %d: want 1 to 256", window)
	}
	s, err := openIRSocket(h)
	if err != nil {
		return irResult{}, err
	}
	defer s.Close()
	// No zone: the socket's multicast interface says where to send, and
	// a numeric zone would make every send refresh Go's interface cache.
	to := netip.AddrPortFrom(allDHCPAgents, dhcpServerPort)
	slots := make([]struct {
		xid  uint32
		sent time.Time
	}, window)
	req := buildIR(0, h.MAC)
	send := func(i int, now time.Time) {
		slots[i].xid = (slots[i].xid + 256) & 0xffff00
		slots[i].xid |= uint32(i)
		slots[i].sent = now
		x := slots[i].xid
		req[1], req[2], req[3] = byte(x>>16), byte(x>>8), byte(x)
		_, _ = s.WriteToUDPAddrPort(req, to)
	}
	start := time.Now()
	for i := range window {
		send(i, start)
	}
	lat := make([]time.Duration, 0, 1<<20)
	buf := make([]byte, 2048)
	deadline, nextScan := start.Add(d), start.Add(irResend/5)
	for {
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if !now.Before(nextScan) {
			for i := range slots {
				if now.Sub(slots[i].sent) > irResend {
					send(i, now)
				}
			}
			nextScan = now.Add(irResend / 5)
		}
		wake := nextScan
		if deadline.Before(wake) {
			wake = deadline
		}
		_ = s.SetReadDeadline(wake)
		n, err := s.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return irResult{}, err
		}
		if n < 4 || buf[0] != msgReply {
			continue
		}
		x := uint32(buf[1])<<16 | uint32(buf[2])<<8 | uint32(buf[3])
		i := int(x & 0xff)
		if i >= window || slots[i].xid != x {
			continue
		}
		now = time.Now()
		lat = append(lat, now.Sub(slots[i].sent))
		send(i, now)
	}
	slices.Sort(lat)
	res := irResult{rate: float64(len(lat)) / d.Seconds()}
	if len(lat) > 0 {
		res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return res, nil
}

// openIRSocket binds UDP [::]:546 in h's namespace and sends multicast
// through h's interface.
func openIRSocket(h *netlab.Host) (*net.UDPConn, error) {
	var s *net.UDPConn
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.IfName)
		if err != nil {
			return err
		}
		s, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: dhcpClientPort})
		if err != nil {
			return err
		}
		if err := ipv6.NewPacketConn(s).SetMulticastInterface(ifi); err != nil {
			s.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load socket in %s: %w", h.Namespace, err)
	}
	return s, nil
}
