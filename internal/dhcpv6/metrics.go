package dhcpv6

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the DHCPv6 server's Prometheus counters. A nil *Metrics is
// valid and counts nothing.
type Metrics struct {
	// messagesReceived counts messages received, by interface and outermost
	// message type.
	messagesReceived *prometheus.CounterVec
	// replies counts Advertise and Reply messages sent, by interface and
	// the type of the (innermost) message sent.
	replies *prometheus.CounterVec
	// discards counts messages not answered, by interface and reason (see
	// DiscardError). Rate-limited drops and replies that could not be
	// sent are counted here too.
	discards *prometheus.CounterVec
	// rateLimited counts messages dropped by a rate limiter, by interface
	// and scope ("client" or "global").
	rateLimited *prometheus.CounterVec
	// kernelDrops counts datagrams the kernel dropped before the server
	// could read them because the socket's receive queue was full
	// (SO_RXQ_OVFL), by interface.
	kernelDrops *prometheus.CounterVec

	// recvSeries and replySeries cache the series of each interface and
	// message type, so that counting a message does not allocate.
	recvSeries, replySeries seriesCache
}

// NewMetrics creates the counters and registers them with reg; a nil reg
// skips registration.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "ralab", "dhcpv6"
	m := &Metrics{
		messagesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_received_total",
			Help: "DHCPv6 messages received, by interface and message type.",
		}, []string{"interface", "type"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "replies_sent_total",
			Help: "DHCPv6 Advertise and Reply messages sent, by interface and message type.",
		}, []string{"interface", "type"}),
		discards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "discards_total",
			Help: "DHCPv6 messages discarded without an answer, or answers not sent, by interface and reason.",
		}, []string{"interface", "reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rate_limited_total",
			Help: "DHCPv6 messages dropped by a rate limiter, by interface and scope (client or global).",
		}, []string{"interface", "scope"}),
		kernelDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "kernel_receive_drops_total",
			Help: "DHCPv6 datagrams the kernel dropped because the server's socket receive queue was full (SO_RXQ_OVFL), by interface.",
		}, []string{"interface"}),
	}
	m.recvSeries.vec, m.replySeries.vec = m.messagesReceived, m.replies
	if reg != nil {
		reg.MustRegister(m.messagesReceived, m.replies, m.discards, m.rateLimited, m.kernelDrops)
	}
	return m
}

// seriesCache holds the counters of one CounterVec labelled by interface
// and message type.
type seriesCache struct {
	vec *prometheus.CounterVec
	mu  sync.Mutex
	// byIf maps an interface name to its counters by message type.
	byIf atomic.Pointer[map[string]*[256]prometheus.Counter]
}

// inc increments the series of ifname and t.
func (c *seriesCache) inc(ifname string, t MessageType) {
	if m := c.byIf.Load(); m != nil {
		if a := (*m)[ifname]; a != nil && a[t] != nil {
			a[t].Inc()
			return
		}
	}
	c.add(ifname, t).Inc()
}

// add creates the series of ifname and t, copying the map on write so
// that inc reads it without a lock.
func (c *seriesCache) add(ifname string, t MessageType) prometheus.Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]*[256]prometheus.Counter)
	if m := c.byIf.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	old := next[ifname]
	a := new([256]prometheus.Counter)
	if old != nil {
		*a = *old
	}
	if a[t] == nil {
		a[t] = c.vec.WithLabelValues(ifname, t.String())
	}
	next[ifname] = a
	c.byIf.Store(&next)
	return a[t]
}

// received counts a received message of outermost type t.
func (m *Metrics) received(ifname string, t MessageType) {
	if m != nil {
		m.recvSeries.inc(ifname, t)
	}
}

// replied counts a sent Advertise or Reply.
func (m *Metrics) replied(ifname string, t MessageType) {
	if m != nil {
		m.replySeries.inc(ifname, t)
	}
}

// kernelDropped counts n datagrams dropped by the kernel.
func (m *Metrics) kernelDropped(ifname string, n uint32) {
	if m != nil {
		m.kernelDrops.WithLabelValues(ifname).Add(float64(n))
	}
}

// discarded counts a discard and, for the rate limiters, a drop.
func (m *Metrics) discarded(ifname, reason string) {
	if m == nil {
		return
	}
	m.discards.WithLabelValues(ifname, reason).Inc()
	switch reason {
	case ErrDiscardRateLimited.Reason:
		m.rateLimited.WithLabelValues(ifname, "client").Inc()
	case ErrDiscardOverloaded.Reason:
		m.rateLimited.WithLabelValues(ifname, "global").Inc()
	}
}
