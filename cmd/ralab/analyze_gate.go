package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ralab/ralab/conformance"
)

// failOnVerdicts are the verdicts --fail-on accepts.
var failOnVerdicts = []conformance.Verdict{
	conformance.VerdictDNSLost, conformance.VerdictNoDNS, conformance.VerdictInconclusive,
}

// errFailOnValue reports a --fail-on value that names no such verdict.
var errFailOnValue = errors.New("unknown verdict")

// verdictGate is the set of verdicts that fail analyze (--fail-on).
type verdictGate []conformance.Verdict

// parseFailOn parses a comma-separated list of verdicts; "" is no gate.
func parseFailOn(s string) (verdictGate, error) {
	var g verdictGate
	if s == "" {
		return g, nil
	}
	for _, f := range strings.Split(s, ",") {
		v := conformance.Verdict(strings.TrimSpace(f))
		if !slices.Contains(failOnVerdicts, v) {
			return nil, fmt.Errorf("%w %q: want dns-lost, no-dns or inconclusive, comma-separated", errFailOnValue, f)
		}
		if !slices.Contains(g, v) {
			g = append(g, v)
		}
	}
	return g, nil
}

// check returns errFailOn, after telling which clients, when a client of r
// has a verdict of g.
func (g verdictGate) check(r *conformance.Report) error {
	var hit []string
	for _, c := range r.Clients {
		if slices.Contains(g, c.Verdict) {
			hit = append(hit, c.MAC+" "+string(c.Verdict))
		}
	}
	if len(hit) == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "ralab: --fail-on: %d clients: %s\n", len(hit), strings.Join(hit, ", "))
	return errFailOn
}

// errAtValue reports an --at value of no accepted form.
var errAtValue = errors.New("want an RFC 3339 time (2026-11-27T10:02:00Z), a UTC time of day (10:02:00) or an offset (+75s)")

// maxAtLen bounds an --at value.
const maxAtLen = 64

// resolveAt returns the evaluation time --at names: zero for "", an RFC
// 3339 time as is, and a time of day or an offset relative to the first
// packet of the capture at path.
func resolveAt(s, path string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) > maxAtLen {
		return time.Time{}, errAtValue
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	var rel func(start time.Time) time.Time
	if off, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(off)
		if err != nil || d < 0 {
			return time.Time{}, errAtValue
		}
		rel = func(start time.Time) time.Time { return start.Add(d) }
	} else {
		tod, err := time.Parse("15:04:05.999999999", s)
		if err != nil {
			if tod, err = time.Parse("15:04", s); err != nil {
				return time.Time{}, errAtValue
			}
		}
		rel = func(start time.Time) time.Time {
			y, m, d := start.UTC().Date()
			return time.Date(y, m, d, tod.Hour(), tod.Minute(), tod.Second(), tod.Nanosecond(), time.UTC)
		}
	}
	if path == "-" {
		return time.Time{}, errors.New("a time of day or an offset needs a capture FILE, not standard input")
	}
	start, err := captureStart(path)
	if err != nil {
		return time.Time{}, err
	}
	return rel(start), nil
}

// captureStart returns the timestamp of the first packet of the pcap or
// pcapng file at path.
func captureStart(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading capture: %w", err)
	}
	defer f.Close()
	ng, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err == nil {
		_, ci, err := ng.ReadPacketData()
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: no first packet: %w", path, err)
		}
		return ci.Timestamp, nil
	}
	if _, err := f.Seek(0, 0); err != nil {
		return time.Time{}, err
	}
	pr, err := pcapgo.NewReader(f)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: not a pcap or pcapng capture: %w", path, err)
	}
	_, ci, err := pr.ReadPacketData()
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: no first packet: %w", path, err)
	}
	return ci.Timestamp, nil
}
