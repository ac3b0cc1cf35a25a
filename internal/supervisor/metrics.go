package supervisor

import "github.com/prometheus/client_golang/prometheus"

// metrics are the supervisor's own collectors, beside those of the
// advertisers, DHCPv6 servers and DNS responders.
type metrics struct {
	// reloads counts SIGHUP reloads by result: applied, or rejected (the
	// running configuration stays).
	reloads *prometheus.CounterVec
	// observer is 1 while an interface's observer runs, 0 when it is
	// configured but could not start (its directory, its socket).
	observer *prometheus.GaugeVec
}

// newMetrics creates the collectors and registers them with reg; a nil reg
// leaves them unregistered (tests).
func newMetrics(reg prometheus.Registerer) *metrics {
	const ns = "ralab"
	m := &metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "config_reloads_total",
			Help: "Configuration reloads (SIGHUP) by result: applied, or rejected (unreadable, too large or invalid file; the running configuration stays).",
		}, []string{"result"}),
		observer: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "observer_running",
			Help: "1 while the [interface.observe] observer of an interface runs, 0 when it is configured but could not start (see the log); the interface advertises either way.",
		}, []string{"interface"}),
	}
	m.reloads.WithLabelValues("applied")
	m.reloads.WithLabelValues("rejected")
	if reg != nil {
		reg.MustRegister(m.reloads, m.observer)
	}
	return m
}
