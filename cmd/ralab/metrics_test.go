package main

import (
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/internal/supervisor"
)

// recordingRegisterer keeps the collectors registered through it.
type recordingRegisterer struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
	r.Registerer.MustRegister(cs...)
}

// TestMetricHelpNamesExist registers every series "ralab serve" exports,
// as runServe does, and checks that each series a help text names exists,
// as do the series the README's alert rules use.
func TestMetricHelpNamesExist(t *testing.T) {
	reg := &recordingRegisterer{Registerer: prometheus.NewRegistry()}
	registerBuildInfo(reg)
	supervisor.New(supervisor.Options{Registerer: reg})

	descRe := regexp.MustCompile(`fqName: "([^"]+)", help: "((?:[^"\\]|\\.)*)"`)
	descs := make(chan *prometheus.Desc, 1024)
	for _, c := range reg.collectors {
		c.Describe(descs)
	}
	close(descs)
	known := map[string]bool{}
	helps := map[string]string{}
	for d := range descs {
		m := descRe.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read %s", d)
		}
		known[m[1]] = true
		helps[m[1]] = m[2]
	}
	series := regexp.MustCompile(`ralab_[a-z0-9_]+`)
	for name, h := range helps {
		for _, s := range series.FindAllString(h, -1) {
			if !known[s] {
				t.Errorf("the help of %s names %s, which is not exported", name, s)
			}
		}
	}
	for _, s := range []string{"ralab_clients", "ralab_dns_outages_total", "ralab_dns_outages_ongoing",
		"ralab_dns_last_outage_timestamp_seconds", "ralab_build_info", "ralab_interface_advertising"} {
		if !known[s] {
			t.Errorf("%s is not exported", s)
		}
	}
}
