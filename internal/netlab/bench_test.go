package netlab_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// BenchmarkLab measures building a lab with a router and three hosts and
// removing it again: the fixed cost every integration test pays.
func BenchmarkLab(b *testing.B) {
	netlabtest.RequireLab(b)
	var newT, addT, closeT time.Duration
	for b.Loop() {
		t0 := time.Now()
		l, err := netlab.New(b.Context(), netlab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for i := 1; i <= 3; i++ {
			if _, err := l.AddHost(b.Context(), fmt.Sprintf("c%d", i), fmt.Sprintf("02:00:00:00:02:%02x", i)); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		newT += t1.Sub(t0)
		addT += t2.Sub(t1)
		closeT += time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(newT.Seconds()*1000/n, "ms-new/op")
	b.ReportMetric(addT.Seconds()*1000/n/3, "ms-addhost/op")
	b.ReportMetric(closeT.Seconds()*1000/n, "ms-close/op")
}

// BenchmarkInNamespace measures one Host.Do with an empty function: the
// cost of a thread switched into a namespace and back, paid per
// connection by Host.DialContext.
func BenchmarkInNamespace(b *testing.B) {
	l := netlabtest.New(b)
	r := l.Router()
	for b.Loop() {
		if err := r.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
