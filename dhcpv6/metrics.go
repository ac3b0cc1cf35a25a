package dhcpv6

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the DHCPv6 server's Prometheus counters. A nil *Metrics is
// valid and counts nothing.
type Metrics struct {
	// Received counts messages received, by interface and outermost
	// message type.
	Received *prometheus.CounterVec
	// Replies counts Advertise and Reply messages sent, by interface and
	// the type of the (innermost) message sent.
	Replies *prometheus.CounterVec
	// Discards counts messages not answered, by interface and reason (see
	// DiscardError). Rate-limited drops are counted here too.
	Discards *prometheus.CounterVec
	// RateLimited counts messages dropped by a rate limiter, by interface
	// and scope ("client" or "global").
	RateLimited *prometheus.CounterVec
}

// NewMetrics creates the counters and registers them with reg; a nil reg
// skips registration.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ralab",
			Subsystem: "dhcpv6",
			Name:      "messages_received_total",
			Help:      "DHCPv6 messages received, by interface and message type.",
		}, []string{"interface", "type"}),
		Replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ralab",
			Subsystem: "dhcpv6",
			Name:      "replies_sent_total",
			Help:      "DHCPv6 Advertise and Reply messages sent, by interface and message type.",
		}, []string{"interface", "type"}),
		Discards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ralab",
			Subsystem: "dhcpv6",
			Name:      "discards_total",
			Help:      "DHCPv6 messages discarded without an answer, by interface and reason.",
		}, []string{"interface", "reason"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ralab",
			Subsystem: "dhcpv6",
			Name:      "rate_limited_total",
			Help:      "DHCPv6 messages dropped by a rate limiter, by interface and scope (client or global).",
		}, []string{"interface", "scope"}),
	}
	if reg != nil {
		reg.MustRegister(m.Received, m.Replies, m.Discards, m.RateLimited)
	}
	return m
}

// received counts a received message of outermost type t.
func (m *Metrics) received(ifname string, t MessageType) {
	if m != nil {
		m.Received.WithLabelValues(ifname, t.String()).Inc()
	}
}

// replied counts a sent Advertise or Reply.
func (m *Metrics) replied(ifname string, t MessageType) {
	if m != nil {
		m.Replies.WithLabelValues(ifname, t.String()).Inc()
	}
}

// discarded counts a discard and, for the rate limiters, a drop.
func (m *Metrics) discarded(ifname, reason string) {
	if m == nil {
		return
	}
	m.Discards.WithLabelValues(ifname, reason).Inc()
	switch reason {
	case ErrDiscardRateLimited.Reason:
		m.RateLimited.WithLabelValues(ifname, "client").Inc()
	case ErrDiscardOverloaded.Reason:
		m.RateLimited.WithLabelValues(ifname, "global").Inc()
	}
}
