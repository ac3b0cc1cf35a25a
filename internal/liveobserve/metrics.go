package liveobserve

import (
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/conformance"
)

// DefaultMetricsEvery is how often an Observer with Metrics takes a report
// to update them.
const DefaultMetricsEvery = 10 * time.Second

// CauseUnknown is the cause label of an outage that names no failure id.
const CauseUnknown = "unknown"

// verdicts are the values of the verdict label, all set on every update so
// that each series exists from the first report.
var verdicts = []conformance.Verdict{
	conformance.VerdictDNSOK, conformance.VerdictDNSLost,
	conformance.VerdictNoDNS, conformance.VerdictInconclusive,
}

// fidPattern is what a cause label may be besides CauseUnknown, which
// bounds the label's values to F1…F99.
var fidPattern = regexp.MustCompile(`^F[1-9][0-9]?$`)

// Metrics are the observers' Prometheus series: what the observer concluded
// about each interface's clients. Their labels are the interface, the
// verdict (four values) and the cause (an F-id or "unknown"), so their
// number is bounded by the configured interfaces. One Metrics serves every
// Observer of a process; its methods are safe for concurrent use.
type Metrics struct {
	clients  *prometheus.GaugeVec
	outages  *prometheus.CounterVec
	ongoing  *prometheus.GaugeVec
	lastSeen *prometheus.GaugeVec

	mu sync.Mutex
	// counted holds, per interface and client MAC, the Start of the latest
	// outage already counted: a client's outages come in order, so one
	// with a later Start is new. Clients no longer in the report are
	// forgotten, which bounds it by the observer's client cap.
	counted map[string]map[string]time.Time
	// last is, per interface, the latest outage Start counted.
	last map[string]time.Time
}

// NewMetrics creates the observer series and registers them with reg; a
// nil reg leaves them unregistered (tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "ralab"
	m := &Metrics{
		clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "clients",
			Help: "Clients the observer tracks on the interface, by verdict (dns-ok, dns-lost, no-dns, inconclusive).",
		}, []string{"interface", "verdict"}),
		outages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "dns_outages_total",
			Help: "DNS outages that started on the interface (a client stopped holding IPv6 DNS), by cause: the first failure id (F1-F17) of the outage, or unknown.",
		}, []string{"interface", "cause"}),
		ongoing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "dns_outages_ongoing",
			Help: "Clients on the interface without IPv6 DNS now after having held it (outages not yet ended).",
		}, []string{"interface"}),
		lastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "dns_last_outage_timestamp_seconds",
			Help: "Unix time at which the latest DNS outage on the interface started; absent before the first. Alert on time() minus it.",
		}, []string{"interface"}),
		counted: map[string]map[string]time.Time{},
		last:    map[string]time.Time{},
	}
	if reg != nil {
		reg.MustRegister(m.clients, m.outages, m.ongoing, m.lastSeen)
	}
	return m
}

// Update sets the series of iface from r: clients by verdict, outages
// not counted before, the ongoing outages and the start of the latest.
func (m *Metrics) Update(iface string, r *conformance.Report) {
	if m == nil || r == nil {
		return
	}
	byVerdict := map[conformance.Verdict]int{}
	ongoing := 0
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := m.counted[iface]
	next := make(map[string]time.Time, len(r.Clients))
	for _, c := range r.Clients {
		byVerdict[c.Verdict]++
		mark, seen := prev[c.MAC]
		for _, o := range c.Outages {
			if o.End == nil {
				ongoing++
			}
			if seen && !o.Start.After(mark) {
				continue
			}
			m.outages.WithLabelValues(iface, outageCause(o)).Inc()
			mark, seen = o.Start, true
			if o.Start.After(m.last[iface]) {
				m.last[iface] = o.Start
			}
		}
		if seen {
			next[c.MAC] = mark
		}
	}
	m.counted[iface] = next
	for _, v := range verdicts {
		m.clients.WithLabelValues(iface, string(v)).Set(float64(byVerdict[v]))
	}
	m.ongoing.WithLabelValues(iface).Set(float64(ongoing))
	if t, ok := m.last[iface]; ok {
		m.lastSeen.WithLabelValues(iface).Set(float64(t.UnixNano()) / 1e9)
	}
}

// outageCause returns the cause label of o: its first failure id, or
// CauseUnknown.
func outageCause(o conformance.Outage) string {
	if len(o.FIDs) > 0 && fidPattern.MatchString(o.FIDs[0]) {
		return o.FIDs[0]
	}
	return CauseUnknown
}
