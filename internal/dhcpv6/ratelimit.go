package dhcpv6

import (
	"net/netip"
	"sync"
	"time"
)

// DefaultMaxClients bounds the per-client limiter table. The
// interface-wide cap is configured (rate_total, burst_total).
const DefaultMaxClients = 4096

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

// take refills b at rate tokens per second up to burst, then takes one
// token if there is one.
func (b *bucket) take(rate float64, burst int, now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limiter is a global token bucket plus a bounded table of per-client
// token buckets keyed by client address.
type limiter struct {
	mu         sync.Mutex
	global     bucket
	maxClients int
	clients    map[netip.Addr]*bucket
}

// newLimiter returns a limiter whose client table holds maxClients.
func newLimiter(maxClients int) *limiter {
	return &limiter{
		maxClients: maxClients,
		clients:    make(map[netip.Addr]*bucket),
	}
}

// allowGlobal takes a token from the interface-wide bucket, which refills
// at rate tokens per second up to burst (at least 1); rate <= 0 means no
// cap. The bucket starts full.
func (l *limiter) allowGlobal(rate float64, burst int, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	burst = max(burst, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.global.last.IsZero() {
		l.global = bucket{tokens: float64(burst), last: now}
	}
	return l.global.take(rate, burst, now)
}

// allowClient takes a token from client's bucket; rate <= 0 means no
// per-client limit. A burst below 1 is treated as 1.
func (l *limiter) allowClient(client netip.Addr, rate float64, burst int, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	burst = max(burst, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= l.maxClients {
			l.evict(rate, burst, now)
		}
		b = &bucket{tokens: float64(burst), last: now}
		l.clients[client] = b
	}
	return b.take(rate, burst, now)
}

// evict makes room in the client table: first it drops every bucket that
// has refilled completely (an idle client is indistinguishable from a new
// one), then, if that freed nothing, an arbitrary eighth of the table.
func (l *limiter) evict(rate float64, burst int, now time.Time) {
	full := time.Duration(float64(burst) / rate * float64(time.Second))
	for k, b := range l.clients {
		if now.Sub(b.last) >= full {
			delete(l.clients, k)
		}
	}
	if len(l.clients) < l.maxClients {
		return
	}
	n := max(l.maxClients/8, 1)
	for k := range l.clients {
		if n == 0 {
			break
		}
		delete(l.clients, k)
		n--
	}
}

// size returns the number of tracked clients.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
