package advertiser

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the Prometheus collectors shared by every Advertiser of a
// process; each Advertiser fills in its own interface label.
type Metrics struct {
	raSent        *prometheus.CounterVec
	raSendErrors  *prometheus.CounterVec
	rsReceived    *prometheus.CounterVec
	invalid       *prometheus.CounterVec
	suppressed    *prometheus.CounterVec
	lastMulticast *prometheus.GaugeVec
	lifetime      *prometheus.GaugeVec
	up            *prometheus.GaugeVec
	impaired      *prometheus.CounterVec
	wire          *prometheus.CounterVec
	drops         *prometheus.CounterVec
}

// NewMetrics creates the advertiser collectors and registers them with reg.
// A nil reg leaves them unregistered (tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "ralab"
	m := &Metrics{
		raSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ra_sent_total",
			Help: "Router Advertisements the daemon sent, by interface and kind (initial, periodic, solicited-multicast, solicited-unicast, final, reload), before any impairment; see ralab_ra_impaired_total and ralab_ra_wire_packets_total.",
		}, []string{"interface", "kind"}),
		raSendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ra_send_errors_total",
			Help: "Router Advertisements that could not be built or sent, by interface.",
		}, []string{"interface"}),
		rsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "rs_received_total",
			Help: "Valid Router Solicitations received, by interface.",
		}, []string{"interface"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "invalid_messages_total",
			Help: "Received ICMPv6 messages dropped as invalid (RFC 4861 §6.1.1), by interface and reason.",
		}, []string{"interface", "reason"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "rs_answers_suppressed_total",
			Help: "Router Solicitations that did not get the answer they asked for, by interface and reason (coalesced, per-source-rate, global-rate, noisy-source, not-advertising, impairment).",
		}, []string{"interface", "reason"}),
		lastMulticast: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "ra_last_multicast_timestamp_seconds",
			Help: "Unix time of the last multicast Router Advertisement, by interface.",
		}, []string{"interface"}),
		lifetime: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "ra_advertised_lifetime_seconds",
			Help: "Lifetime in the last multicast RA, by interface and option (router, rdnss, dnssl, pref64; the shortest when several options of a kind are present; absent when none is).",
		}, []string{"interface", "option"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "interface_advertising",
			Help: "1 when the interface is up with a usable link-local address and RAs are being sent, else 0.",
		}, []string{"interface"}),
		impaired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ra_impaired_total",
			Help: "Things impairments did to Router Advertisements and Solicitations (package impair), by interface, impairment name, field guide id and action (drop, delay, modify, replay, unicast, split, fragment, ignore).",
		}, []string{"interface", "impairment", "fid", "action"}),
		wire: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ra_wire_packets_total",
			Help: "Router Advertisement packets put on the wire, after impairments, by interface and path (icmpv6, fragment, second-router).",
		}, []string{"interface", "path"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "socket_receive_drops_total",
			Help: "Packets the kernel dropped at one of ralab's sockets before ralab read them, mostly because its receive queue was full (a flood), by interface and socket (ndp: the socket of Router Solicitations; from /proc/net/raw6).",
		}, []string{"interface", "socket"}),
	}
	if reg != nil {
		reg.MustRegister(m.raSent, m.raSendErrors, m.rsReceived, m.invalid, m.suppressed, m.lastMulticast, m.lifetime,
			m.up, m.impaired, m.wire, m.drops)
	}
	return m
}

// init pre-creates the label values of iface so that every series exists
// from the start with value 0.
func (m *Metrics) init(iface string) {
	for _, k := range Kinds {
		m.raSent.WithLabelValues(iface, k.String())
	}
	m.raSendErrors.WithLabelValues(iface)
	m.rsReceived.WithLabelValues(iface)
	for _, r := range InvalidReasons {
		m.invalid.WithLabelValues(iface, r)
	}
	for _, r := range Reasons {
		m.suppressed.WithLabelValues(iface, r)
	}
	m.up.WithLabelValues(iface).Set(0)
	m.drops.WithLabelValues(iface, "ndp")
}

// forget removes every series of iface, when it is no longer served.
func (m *Metrics) forget(iface string) {
	l := prometheus.Labels{"interface": iface}
	for _, v := range []*prometheus.CounterVec{m.raSent, m.raSendErrors, m.rsReceived, m.invalid, m.suppressed,
		m.impaired, m.wire, m.drops} {
		v.DeletePartialMatch(l)
	}
	for _, v := range []*prometheus.GaugeVec{m.lastMulticast, m.lifetime, m.up} {
		v.DeletePartialMatch(l)
	}
}
