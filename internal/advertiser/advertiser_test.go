package advertiser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra"
)

// netipEqual compares netip values, whose fields are unexported.
var netipEqual = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func testInterface(name string, dns string) config.Interface {
	return config.Interface{
		Name:           name,
		RouterLifetime: 1800 * time.Second,
		MinInterval:    200 * time.Second,
		MaxInterval:    600 * time.Second,
		RDNSS:          []config.RDNSS{{Servers: []netip.Addr{netip.MustParseAddr(dns)}, Lifetime: 1800 * time.Second}},
	}
}

func TestReloadWithdraws(t *testing.T) {
	old := testInterface("eth0", "2001:db8::53")
	a := New(old, Options{})
	next := testInterface("other-name-ignored", "2001:db8::54")
	next.MaxInterval = 900 * time.Second
	a.Reload(next)
	a.applyReload(t0)

	next.Name = "eth0"
	if diff := cmp.Diff(ra.Withdrawn(old, next), a.current(), netipEqual); diff != "" {
		t.Errorf("RA source after reload (-want +got):\n%s", diff)
	}
	if got := a.sched.max; got != 900*time.Second {
		t.Errorf("scheduler max interval %v, want 900s", got)
	}
	// A second reload before anything was announced still withdraws what
	// the first configuration advertised.
	third := testInterface("eth0", "2001:db8::55")
	a.Reload(third)
	a.applyReload(t0)
	if diff := cmp.Diff(ra.Withdrawn(old, third), a.current(), netipEqual); diff != "" {
		t.Errorf("RA source after two reloads (-want +got):\n%s", diff)
	}
}

// TestRunWaitsForMissingInterface runs an advertiser for an interface
// that does not exist: it only reads link state, so it is safe on any
// host, and must wait, report why, and return nil when cancelled.
func TestRunWaitsForMissingInterface(t *testing.T) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "ralabt" + hex.EncodeToString(b)
	a := New(testInterface(name, "2001:db8::53"), Options{Recheck: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	deadline := time.Now().Add(30 * time.Second)
	for a.Status().Reason == "" {
		if time.Now().After(deadline) {
			t.Fatal("advertiser never reported why it waits")
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := a.Status()
	if diff := cmp.Diff([]string{"waiting", "interface does not exist"}, []string{st.State, st.Reason}); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := a.Status().State; got != "stopped" {
		t.Errorf("state after Run = %q, want stopped", got)
	}
}

func TestCheckSize(t *testing.T) {
	tests := []struct {
		n, mtu int
		ok     bool
	}{
		{n: 1240, mtu: 1280, ok: true},
		{n: 1241, mtu: 1280, ok: false},
		{n: 1460, mtu: 1500, ok: true},
		{n: 2000, mtu: 0, ok: true}, // MTU unknown
	}
	for _, tt := range tests {
		err := checkSize(tt.n, tt.mtu)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrTooBig)) {
			t.Errorf("checkSize(%d, %d) = %v, want ok %v", tt.n, tt.mtu, err, tt.ok)
		}
	}
}

func BenchmarkParseRS(b *testing.B) {
	msg := []byte{133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 2, 1}
	src := netip.MustParseAddr("fe80::ff:fe00:201")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRS(msg, 255, src); err != nil {
			b.Fatal(err)
		}
	}
}
