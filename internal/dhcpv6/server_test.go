package dhcpv6

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// testLogger logs to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(b))
	return len(b), nil
}

// exchange sends req from c to the server at to and returns the parsed
// answer.
func exchange(t *testing.T, c *net.UDPConn, to net.Addr, req dhcpv6.DHCPv6) *dhcpv6.Message {
	t.Helper()
	if _, err := c.WriteTo(req.ToBytes(), to); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	m, err := dhcpv6.MessageFromBytes(buf[:n])
	if err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	return m
}

// TestServerLoopback runs the server's transport on ::1 with a high port
// and exchanges messages built by insomniacslk/dhcp's client side.
func TestServerLoopback(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		netlabtest.SkipOrFail(t, fmt.Sprintf("no IPv6 loopback: %v", err))
	}
	m := NewMetrics(nil)
	s, err := NewServer(testIfc(), testLogger(t), m,
		WithListener(func(context.Context) (net.PacketConn, error) { return pc, nil }),
		WithHardwareAddr(serverMAC))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})

	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	clientDUID := &dhcpv6.DUIDLL{HWType: 1, LinkLayerAddr: net.HardwareAddr{2, 0, 0, 0, 2, 1}}
	ir, err := dhcpv6.NewMessage(
		dhcpv6.WithClientID(clientDUID),
		dhcpv6.WithRequestedOptions(dhcpv6.OptionDNSRecursiveNameServer, dhcpv6.OptionDomainSearchList, dhcpv6.OptionInformationRefreshTime),
	)
	if err != nil {
		t.Fatal(err)
	}
	ir.MessageType = dhcpv6.MessageTypeInformationRequest
	reply := exchange(t, c, pc.LocalAddr(), ir)

	type result struct {
		Type     dhcpv6.MessageType
		XID      dhcpv6.TransactionID
		ClientID string
		ServerID string
		DNS      []string
		IRT      time.Duration
	}
	got := result{
		Type: reply.MessageType, XID: reply.TransactionID,
		ClientID: reply.Options.ClientID().String(), ServerID: reply.Options.ServerID().String(),
		IRT: reply.Options.InformationRefreshTime(0),
	}
	for _, ip := range reply.Options.DNS() {
		got.DNS = append(got.DNS, ip.String())
	}
	want := result{
		Type: dhcpv6.MessageTypeReply, XID: ir.TransactionID,
		ClientID: clientDUID.String(),
		ServerID: (&dhcpv6.DUIDLL{HWType: 1, LinkLayerAddr: serverMAC}).String(),
		DNS:      []string{"2001:db8::53", "2001:db8::54"},
		IRT:      time.Hour,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reply (-want +got):\n%s", diff)
	}
	if dl := reply.Options.DomainSearchList(); dl == nil || !cmp.Equal(dl.Labels, []string{"lab.example", "example.org"}) {
		t.Errorf("domain search list %v", dl)
	}

	// A Solicit gets an Advertise with NoAddrsAvail in its IA_NA.
	sol, err := dhcpv6.NewSolicit(net.HardwareAddr{2, 0, 0, 0, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	adv := exchange(t, c, pc.LocalAddr(), sol)
	if adv.MessageType != dhcpv6.MessageTypeAdvertise || adv.TransactionID != sol.TransactionID {
		t.Errorf("answer to Solicit: %s", adv.Summary())
	}
	if ia := adv.Options.OneIANA(); ia == nil || ia.Options.Status() == nil || ia.Options.Status().StatusCode != 2 {
		t.Errorf("Advertise IA_NA lacks NoAddrsAvail: %s", adv.Summary())
	}

	// Update takes effect for the next message.
	ifc := testIfc()
	ifc.DHCPv6.DNSServers = []netip.Addr{netip.MustParseAddr("2001:db8::99")}
	s.Update(ifc)
	ir.TransactionID[0]++
	reply = exchange(t, c, pc.LocalAddr(), ir)
	if dns := reply.Options.DNS(); len(dns) != 1 || !dns[0].Equal(net.ParseIP("2001:db8::99")) {
		t.Errorf("DNS after Update: %v", dns)
	}
	// The server counts a reply after sending it: the client may read
	// it before the count.
	waitCount(t, "replies_sent{type=reply}", m.replies.WithLabelValues("eth0", "reply"), 2)
	waitCount(t, "replies_sent{type=advertise}", m.replies.WithLabelValues("eth0", "advertise"), 1)
}

// waitCount waits up to 2 s for counter c to reach want, failing t if it
// does not or goes beyond.
func waitCount(t *testing.T, name string, c prometheus.Collector, want float64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	got := testutil.ToFloat64(c)
	for got < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got = testutil.ToFloat64(c)
	}
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestNewServerErrors(t *testing.T) {
	ifc := testIfc()
	ifc.DHCPv6.Enabled = false
	if _, err := NewServer(ifc, nil, nil); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled: %v, want ErrDisabled", err)
	}
	ifc = testIfc()
	ifc.DHCPv6.Domains = []string{"bad..name"}
	if _, err := NewServer(ifc, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("bad domain: %v, want ErrConfig", err)
	}
}

// TestServerWaitsForInterface checks that Run waits quietly for an
// interface that does not exist and returns nil when ctx ends.
func TestServerWaitsForInterface(t *testing.T) {
	ifc := testIfc()
	ifc.Name = "ralabnoexist0"
	s, err := NewServer(ifc, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil after ctx ends", err)
	}
}
