package dnsresponder

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/sys/unix"
)

// TestServerUDPReceiveQueueDrops overflows the UDP socket's receive queue
// and checks that the kernel's drops are counted as DropReceiveQueue, in
// Stats and in ralab_dns_dropped_total, while queries are still answered.
func TestServerUDPReceiveQueueDrops(t *testing.T) {
	t.Parallel()
	metrics := NewMetrics(prometheus.NewRegistry())
	s := startServer(t, ServerConfig{
		Addrs:     []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")},
		Interface: "",
		Metrics:   metrics,
	})
	var serr error
	cerr := s.udp[0].Control(func(fd int) { serr = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
	if err := errors.Join(cerr, serr); err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeAAAA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	to := net.UDPAddrFromAddrPort(s.Addrs()[0])
	deadline := time.Now().Add(waitTimeout)
	for s.Stats().Dropped[DropReceiveQueue] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no receive-queue drops counted: %+v", s.Stats().Dropped)
		}
		for range 500 {
			if _, err := c.WriteToUDP(q, to); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := testutil.ToFloat64(metrics.dropped.WithLabelValues("", DropReceiveQueue))
	if want := float64(s.Stats().Dropped[DropReceiveQueue]); got == 0 || got > want {
		t.Errorf("ralab_dns_dropped_total{reason=%q} = %v, want 1 to %v", DropReceiveQueue, got, want)
	}
	if s.Stats().Responses["NOERROR"] == 0 {
		t.Error("no query answered while flooded")
	}
}
