package advertisertest

import (
	"testing"
	"time"

	"github.com/mdlayher/ndp"
)

// SentRA is a Router Advertisement an advertiser wrote to a Conn.
type SentRA struct {
	Packet
	RA *ndp.RouterAdvertisement
}

// RDNSS returns the RDNSS servers of the RA with their lifetimes.
func (r SentRA) RDNSS() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, o := range r.RA.Options {
		if rd, ok := o.(*ndp.RecursiveDNSServer); ok {
			for _, s := range rd.Servers {
				out[s.String()] = rd.Lifetime
			}
		}
	}
	return out
}

// NextRA returns the next RA written to c, failing t when none comes
// within timeout or the message written is not an RA.
func NextRA(t testing.TB, c *Conn, timeout time.Duration) SentRA {
	t.Helper()
	select {
	case p := <-c.Sent:
		m, err := ndp.ParseMessage(p.Bytes)
		if err != nil {
			t.Fatalf("the advertiser wrote a message that does not parse: %v", err)
		}
		ra, ok := m.(*ndp.RouterAdvertisement)
		if !ok {
			t.Fatalf("the advertiser wrote a %T, want an RA", m)
		}
		return SentRA{Packet: p, RA: ra}
	case <-time.After(timeout):
		t.Fatalf("no RA on link %d within %v", c.Link.Index, timeout)
		return SentRA{}
	}
}

// NoRA fails t when c gets an RA within d.
func NoRA(t testing.TB, c *Conn, d time.Duration) {
	t.Helper()
	select {
	case p := <-c.Sent:
		t.Fatalf("unexpected RA to %v on link %d", p.Addr, c.Link.Index)
	case <-time.After(d):
	}
}
