package dhcpv6

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestGlobalCapFromConfig checks that rate_total and burst_total bound
// the messages processed from all clients together, that 0 lifts the
// cap, and that Update changes the cap for the next message.
func TestGlobalCapFromConfig(t *testing.T) {
	tests := []struct {
		name         string
		rate         float64
		burst        int
		want, global int
	}{
		{name: "burst of 5", rate: 10, burst: 5, want: 5, global: 15},
		{name: "no cap", rate: 0, burst: 5, want: 20},
		{name: "burst below 1 is 1", rate: 10, burst: 0, want: 1, global: 19},
		{name: "default", rate: 10000, burst: 10000, want: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ifc := testIfc()
			ifc.DHCPv6.RateTotal, ifc.DHCPv6.BurstTotal = tt.rate, tt.burst
			h, m := newTestHandler(t, ifc)
			answered := 0
			for i := range 20 {
				src := netip.AddrPortFrom(netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i)}), 546)
				if _, _, err := h.Handle(msg(InformationRequest), src, multicast, t0); err == nil {
					answered++
				} else if !errors.Is(err, ErrDiscardOverloaded) {
					t.Fatalf("unexpected error %v", err)
				}
			}
			if answered != tt.want {
				t.Errorf("answered %d of 20 at once, want %d", answered, tt.want)
			}
			if got := testutil.ToFloat64(m.rateLimited.WithLabelValues("eth0", "global")); got != float64(tt.global) {
				t.Errorf("rate_limited{scope=global} = %v, want %d", got, tt.global)
			}
			if got := testutil.ToFloat64(m.discards.WithLabelValues("eth0", ErrDiscardOverloaded.Reason)); got != float64(tt.global) {
				t.Errorf("discards{reason=overloaded} = %v, want %d", got, tt.global)
			}
		})
	}

	// Lifting the cap with Update takes effect for the next message.
	ifc := testIfc()
	ifc.DHCPv6.RateTotal, ifc.DHCPv6.BurstTotal = 1, 1
	h, _ := newTestHandler(t, ifc)
	src := netip.AddrPortFrom(netip.MustParseAddr("fe80::1"), 546)
	if _, _, err := h.Handle(msg(InformationRequest), src, multicast, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Handle(msg(InformationRequest), src, multicast, t0); !errors.Is(err, ErrDiscardOverloaded) {
		t.Fatalf("second message at a cap of 1: %v, want overloaded", err)
	}
	ifc.DHCPv6.RateTotal = 0
	if err := h.Update(ifc, serverMAC); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Handle(msg(InformationRequest), src, multicast, t0); err != nil {
		t.Errorf("after lifting the cap: %v", err)
	}
}

// TestServerKernelDrops fills the server socket's receive queue before
// the server reads it and checks that the kernel's drops reach
// ralab_dhcpv6_kernel_receive_drops_total (SO_RXQ_OVFL).
func TestServerKernelDrops(t *testing.T) {
	pc, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		netlabtest.SkipOrFail(t, "no IPv6 loopback: "+err.Error())
	}
	if err := pc.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := NewMetrics(nil)
	ifc := testIfc()
	ifc.DHCPv6.RatePerClient, ifc.DHCPv6.BurstPerClient = 1e6, 1000000
	s, err := NewServer(ifc, nil, m,
		WithListener(func(context.Context) (net.PacketConn, error) { return pc, nil }),
		WithHardwareAddr(serverMAC))
	if err != nil {
		t.Fatal(err)
	}
	req := msg(InformationRequest, opt(optClientID, clientDUID...))
	// SO_RXQ_OVFL is enabled when Run starts; the kernel stamps the drop
	// count on datagrams queued after a drop, so overflow the queue both
	// before and while the server runs.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for testutil.ToFloat64(m.kernelDrops.WithLabelValues("eth0")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no kernel receive-queue drops counted")
		}
		for range 500 {
			if _, err := c.WriteTo(req, pc.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := testutil.ToFloat64(m.replies.WithLabelValues("eth0", "reply")); got == 0 {
		t.Error("no Reply sent while flooded")
	}
}

// TestNotSentLogLimited checks that "dhcpv6 reply not sent" is logged at
// most 10 times a second, with the number suppressed in the next record,
// while every reply not sent is counted.
func TestNotSentLogLimited(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics(nil)
	s, err := NewServer(testIfc(), slog.New(slog.NewTextHandler(&buf, nil)), m)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.handler(serverMAC)
	if err != nil {
		t.Fatal(err)
	}
	to := netip.MustParseAddrPort("[fe80::5:1%eth0]:546")
	for range 100 {
		s.notSent(h, to, t0, ErrDiscardNeighbourUnresolved)
	}
	s.notSent(h, to, t0.Add(time.Second), ErrDiscardSendBufferFull)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d records logged, want 11:\n%s", len(lines), buf.String())
	}
	if last := lines[10]; !strings.Contains(last, "suppressed_since_last=90") || !strings.Contains(last, "reason=send-buffer-full") {
		t.Errorf("record after the suppressed ones: %s", last)
	}
	if got := testutil.ToFloat64(m.discards.WithLabelValues("eth0", "neighbour-unresolved")); got != 100 {
		t.Errorf("discards{reason=neighbour-unresolved} = %v, want 100", got)
	}
}
