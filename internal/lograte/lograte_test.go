package lograte

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type result struct {
		Suppressed int
		OK         bool
	}
	l := &Limiter{PerSecond: 2}
	var got []result
	for _, at := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, time.Second, 1100 * time.Millisecond, 500 * time.Millisecond} {
		s, ok := l.Allow(t0.Add(at))
		got = append(got, result{s, ok})
	}
	want := []result{
		{0, true}, {0, true}, // the first two of the second
		{0, false}, {0, false}, // held back and counted
		{2, true}, // a new second: says how many were held back
		{0, true}, //
		{0, true}, // the clock went back: a new window
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Allow (-want +got):\n%s", diff)
	}
}

func TestLimiterBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type result struct {
		Suppressed int
		OK         bool
	}
	l := &Limiter{Burst: 2, Every: 10 * time.Second}
	steps := []struct {
		at   time.Duration
		want result
	}{
		{0, result{0, true}},
		{time.Second, result{0, true}},
		{2 * time.Second, result{0, false}},
		{3 * time.Second, result{0, false}},
		{10 * time.Second, result{2, true}}, // one token back
		{11 * time.Second, result{0, false}},
		{time.Hour, result{1, true}}, // the bucket is full again
		{time.Hour, result{0, true}},
		{time.Hour, result{0, false}},
	}
	var got, want []result
	for _, s := range steps {
		n, ok := l.Allow(t0.Add(s.at))
		got = append(got, result{n, ok})
		want = append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Allow sequence (-want +got):\n%s", diff)
	}
}
