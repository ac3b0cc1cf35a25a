package dhcpv6

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServerImpairments checks what each DHCPv6 impairment makes of an
// Information-Request: dropped requests and replies are counted as
// "impaired" discards, delays add up, and a changed configuration shapes
// the Reply.
func TestServerImpairments(t *testing.T) {
	ir := msg(InformationRequest, opt(optClientID, clientDUID...), oro(optDNSServers, optDomainList))
	tests := []struct {
		name string
		// specs are impairment tables by name; nil means no Set.
		specs map[string]map[string]any
		msg   []byte
		// err is the discard wanted, nil for a Reply.
		err error
		// delay is the wanted hold-back of the Reply.
		delay time.Duration
		// dns reports whether the Reply carries DNS servers.
		dns bool
		// discards wanted by reason.
		discards map[string]float64
		// noted is how many answers the WithOnReply hook must see: a
		// Reply an impairment drops was still built, and is noted.
		noted int
	}{
		{name: "no set", msg: ir, dns: true, noted: 1},
		{name: "empty set", specs: map[string]map[string]any{}, msg: ir, dns: true, noted: 1},
		{
			name:     "request dropped",
			specs:    map[string]map[string]any{"f9": {"type": "dhcpv6-drop", "direction": "request"}},
			msg:      ir,
			err:      ErrDiscardImpaired,
			discards: map[string]float64{"impaired": 1},
		},
		{
			name:     "reply dropped",
			specs:    map[string]map[string]any{"f9": {"type": "dhcpv6-drop", "direction": "reply"}},
			msg:      ir,
			err:      ErrDiscardImpaired,
			discards: map[string]float64{"impaired": 1},
			noted:    1,
		},
		{
			name:  "request and reply delayed",
			specs: map[string]map[string]any{"f9": {"type": "dhcpv6-drop", "direction": "both", "action": "delay", "delay": "2s"}},
			msg:   ir,
			delay: 4 * time.Second,
			dns:   true,
			noted: 1,
		},
		{
			name:  "never at probability 0",
			specs: map[string]map[string]any{"f9": {"type": "dhcpv6-drop", "direction": "both", "probability": 0.0}},
			msg:   ir,
			dns:   true,
			noted: 1,
		},
		{
			name:     "no server",
			specs:    map[string]map[string]any{"f10": {"type": "dhcpv6-absent"}},
			msg:      ir,
			err:      ErrDiscardImpaired,
			discards: map[string]float64{"impaired": 1},
		},
		{
			name:  "DNS only via RDNSS",
			specs: map[string]map[string]any{"f12": {"type": "dns-only-rdnss"}},
			msg:   ir,
			noted: 1,
		},
		{
			name:     "bad message still discarded for its own reason",
			specs:    map[string]map[string]any{"f9": {"type": "dhcpv6-drop", "direction": "reply"}},
			msg:      []byte{byte(InformationRequest), 1},
			err:      ErrDiscardMalformed,
			discards: map[string]float64{"malformed": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set *impair.Set
			if tt.specs != nil {
				var specs []impair.Spec
				for name, table := range tt.specs {
					sp, err := impair.NewSpec(name, table)
					if err != nil {
						t.Fatalf("NewSpec(%s): %v", name, err)
					}
					specs = append(specs, sp)
				}
				set = impair.NewSet(t0, rand.New(rand.NewPCG(1, 2)), specs...)
			}
			m := NewMetrics(nil)
			var noted, effects int
			s, err := NewServer(testIfc(), testLogger(t), m, WithHardwareAddr(serverMAC),
				WithImpairments(func() *impair.Set { return set }),
				WithOnReply(func(_ time.Time, to netip.AddrPort, msg []byte) {
					if to != clientAddr || len(msg) == 0 || MessageType(msg[0]) != Reply {
						t.Errorf("noted answer %v to %v, want a Reply to %v", msg, to, clientAddr)
					}
					noted++
				}),
				WithOnEffect(func(impair.Effect) { effects++ }))
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.handler(nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.process(h, tt.msg, clientAddr, multicast, t0, nil)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("process error = %v, want %v", err, tt.err)
			}
			discards := map[string]float64{}
			for _, r := range []string{"impaired", "malformed"} {
				if v := testutil.ToFloat64(m.discards.WithLabelValues("eth0", r)); v != 0 {
					discards[r] = v
				}
			}
			if diff := cmp.Diff(tt.discards, discards, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("discards (-want +got):\n%s", diff)
			}
			if got := testutil.ToFloat64(m.messagesReceived.WithLabelValues("eth0", "information-request")); got != 1 {
				t.Errorf("received = %v, want 1", got)
			}
			if noted != tt.noted {
				t.Errorf("WithOnReply saw %d answers, want %d", noted, tt.noted)
			}
			if errors.Is(tt.err, ErrDiscardImpaired) && effects == 0 {
				t.Error("WithOnEffect saw no effect of the impairment that dropped the message")
			}
			if err != nil {
				return
			}
			type result struct {
				Type  MessageType
				To    string
				Delay time.Duration
				DNS   bool
			}
			got := result{Type: MessageType(out.reply[0]), To: out.to.String(), Delay: out.delay, DNS: hasOption(t, out.reply, optDNSServers)}
			want := result{Type: Reply, To: clientAddr.String(), Delay: tt.delay, DNS: tt.dns}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

// hasOption reports whether the client/server message b carries a
// top-level option code.
func hasOption(t *testing.T, b []byte, code uint16) bool {
	t.Helper()
	found := false
	if err := walkOptions(b[clientHeaderLen:], func(c uint16, _ []byte) error {
		found = found || c == code
		return nil
	}); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	return found
}

// TestServerImpairmentDelay runs the server on loopback with replies
// delayed by one second and checks that the Reply still comes, not
// before the delay has passed.
func TestServerImpairmentDelay(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		netlabtest.SkipOrFail(t, fmt.Sprintf("no IPv6 loopback: %v", err))
	}
	sp, err := impair.NewSpec("late", map[string]any{"type": "dhcpv6-drop", "action": "delay", "delay": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	set := impair.NewSet(time.Now(), rand.New(rand.NewPCG(1, 2)), sp)
	s, err := NewServer(testIfc(), testLogger(t), nil, WithHardwareAddr(serverMAC),
		WithListener(func(context.Context) (net.PacketConn, error) { return pc, nil }),
		WithImpairments(func() *impair.Set { return set }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ir, err := dhcpv6.NewMessage(dhcpv6.WithRequestedOptions(dhcpv6.OptionDNSRecursiveNameServer))
	if err != nil {
		t.Fatal(err)
	}
	ir.MessageType = dhcpv6.MessageTypeInformationRequest
	start := time.Now()
	reply := exchange(t, c, pc.LocalAddr(), ir)
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("Reply after %v, want at least the 1 s delay", elapsed)
	}
	if reply.MessageType != dhcpv6.MessageTypeReply || reply.TransactionID != ir.TransactionID {
		t.Errorf("answer: %s", reply.Summary())
	}
}

// BenchmarkProcessImpaired measures answering an Information-Request
// under dns-only-rdnss (F12), which rebuilds the configuration for every
// message, against BenchmarkReply's unimpaired path.
func BenchmarkProcessImpaired(b *testing.B) {
	sp, err := impair.NewSpec("f12", map[string]any{"type": "dns-only-rdnss"})
	if err != nil {
		b.Fatal(err)
	}
	set := impair.NewSet(t0, rand.New(rand.NewPCG(1, 2)), sp)
	s, err := NewServer(testIfc(), nil, nil, WithHardwareAddr(serverMAC), WithImpairments(func() *impair.Set { return set }))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.handler(nil); err != nil {
		b.Fatal(err)
	}
	// A handler without the global cap.
	h, err := NewHandler(testIfc(), serverMAC, nil, NewMetrics(nil), WithGlobalRate(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	req := msg(InformationRequest, opt(optClientID, clientDUID...), opt(optElapsedTime, 0, 0), oro(23, 24, 32, 82, 83))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.process(h, req, clientAddr, multicast, t0, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
}
