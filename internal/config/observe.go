package config

import (
	"fmt"
	"strconv"
)

// observe validates the [interface.observe] table r. A present table is
// validated whether enabled or not; dir is required only when enabled.
func (v *validator) observe(p keyPath, r *rawObserve) Observe {
	if r == nil {
		return Observe{}
	}
	x := Observe{ReportEvery: DefaultObserveReportEvery, MaxClients: DefaultObserveMaxClients,
		OutageGrace: DefaultObserveOutageGrace}
	setBool(&x.Enabled, r.Enabled)
	switch {
	case r.Dir == nil:
		if x.Enabled {
			v.fail(p.key("dir"), "", ErrMissingKey,
				`required when enabled = true; for example dir = "/var/lib/ralab/observe"`)
		}
	case *r.Dir == "":
		v.fail(p.key("dir"), `""`, ErrInvalidValue, "must name a directory, such as \"/var/lib/ralab/observe\"")
	default:
		x.Dir = *r.Dir
	}
	if r.ReportEvery != nil {
		spec := durationSpec{allowed: fmt.Sprintf("must be at least %s, such as %q", secs(MinObserveReportEvery),
			secs(DefaultObserveReportEvery))}
		if d, _, ok := v.parseDuration(p.key("report_every"), *r.ReportEvery, spec); ok {
			if d < MinObserveReportEvery {
				v.fail(p.key("report_every"), quote(string(*r.ReportEvery)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				x.ReportEvery = d
			}
		}
	}
	if r.OutageGrace != nil {
		spec := durationSpec{allowed: fmt.Sprintf("must be 0s to %s, such as %q", secs(MaxObserveOutageGrace),
			secs(DefaultObserveOutageGrace))}
		if d, _, ok := v.parseDuration(p.key("outage_grace"), *r.OutageGrace, spec); ok {
			if d > MaxObserveOutageGrace {
				v.fail(p.key("outage_grace"), quote(string(*r.OutageGrace)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				x.OutageGrace = d
			}
		}
	}
	if r.MaxClients != nil {
		if n := *r.MaxClients; n < 1 || n > MaxObserveClients {
			v.fail(p.key("max_clients"), strconv.FormatInt(n, 10), ErrOutOfRange, "must be 1 to %d", MaxObserveClients)
		} else {
			x.MaxClients = int(n)
		}
	}
	return x
}
