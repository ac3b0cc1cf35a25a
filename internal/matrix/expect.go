package matrix

import (
	"fmt"
	"time"

	"github.com/ralab/ralab/conformance"
)

// Scenario outcomes a cell may be expected to show (scenario.Outcome
// values).
const (
	// ExpectDNS: DNS throughout, no loss after the first acquisition.
	ExpectDNS = "dns"
	// ExpectLateDNS: DNS throughout once acquired, but acquired only
	// after the first impaired phase ended.
	ExpectLateDNS = "late-dns"
	// ExpectFlaps: lost after the impairment began and recovered.
	ExpectFlaps = "flaps"
	// ExpectLosesDNS: lost after the impairment began, recovered or not.
	ExpectLosesDNS = "loses-dns"
	// ExpectNoDNS: never any DNS.
	ExpectNoDNS = "no-dns"
)

// samplePeriod is how often "ralab lab" reads a client's state: the
// precision of the start of a loss in its samples.
const samplePeriod = time.Second

// ExpectationMissed says how the cell contradicts its scenario's
// expectation, or "" when it meets it or has none. Each outcome needs the
// observer's verdict to report it and, where it is about a loss or about
// timing, the client's own samples to show it:
//
//   - dns: verdict dns-ok (no loss after the first acquisition);
//   - late-dns: verdict dns-ok, and the client's first DNS not before
//     ImpairedUntil;
//   - flaps: verdict dns-lost with recovered, and a loss in the client's
//     samples (within a sample period) and the observer's last loss not
//     before ImpairedFrom;
//   - loses-dns: as flaps, recovered or not;
//   - no-dns: verdict no-dns.
func (c Cell) ExpectationMissed() string {
	switch c.Expected {
	case "":
		return ""
	case ExpectDNS:
		return c.wantVerdict(conformance.VerdictDNSOK)
	case ExpectNoDNS:
		return c.wantVerdict(conformance.VerdictNoDNS)
	case ExpectLateDNS:
		if why := c.wantVerdict(conformance.VerdictDNSOK); why != "" {
			return why
		}
		if c.ImpairedUntil != nil && (c.ActualFirstDNS == nil || c.ActualFirstDNS.Before(*c.ImpairedUntil)) {
			return fmt.Sprintf("expected DNS only from %s, the client held it from %s", clock(c.ImpairedUntil), clock(c.ActualFirstDNS))
		}
		return ""
	case ExpectFlaps, ExpectLosesDNS:
		return c.lossMissed()
	}
	return fmt.Sprintf("unknown expected outcome %q", c.Expected)
}

// wantVerdict says how the verdict differs from want, or "".
func (c Cell) wantVerdict(want conformance.Verdict) string {
	if c.Verdict == want {
		return ""
	}
	return fmt.Sprintf("expected %s (%s), observer says %s", want, c.Expected, c.Verdict)
}

// lossMissed checks ExpectFlaps and ExpectLosesDNS.
func (c Cell) lossMissed() string {
	switch {
	case c.Verdict != conformance.VerdictDNSLost:
		return fmt.Sprintf("expected %s, observer says %s", c.Expected, c.Verdict)
	case c.Expected == ExpectFlaps && !c.Recovered:
		return "expected flaps, observer says dns-lost without recovery"
	case c.ImpairedFrom != nil && c.LostAt != nil && c.LostAt.Before(*c.ImpairedFrom):
		return fmt.Sprintf("expected a loss after the impairment began at %s, the observer's last loss began at %s", clock(c.ImpairedFrom), clock(c.LostAt))
	}
	for _, o := range c.ActualOutages {
		// The start is estimated between two samples, so a loss that
		// began just after the impairment may be placed a little before.
		if c.ImpairedFrom == nil || !o.Start.Add(samplePeriod).Before(*c.ImpairedFrom) {
			return ""
		}
	}
	if c.ImpairedFrom == nil {
		return fmt.Sprintf("expected %s, the client's resolver shows no loss", c.Expected)
	}
	return fmt.Sprintf("expected %s, the client's resolver shows no loss after the impairment began at %s", c.Expected, clock(c.ImpairedFrom))
}

// clock formats t as a time of day, "-" for nil.
func clock(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("15:04:05.000")
}
