package advertiser

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogLimiter(t *testing.T) {
	type result struct {
		Allowed    bool
		Suppressed int
	}
	l := newLogLimiter(2, 10*time.Second)
	steps := []struct {
		at   time.Duration
		want result
	}{
		{0, result{true, 0}},
		{time.Second, result{true, 0}},
		{2 * time.Second, result{false, 0}},
		{3 * time.Second, result{false, 0}},
		{10 * time.Second, result{true, 2}},
		{11 * time.Second, result{false, 0}},
		{time.Hour, result{true, 1}},
		{time.Hour, result{true, 0}},
		{time.Hour, result{false, 0}},
	}
	var got, want []result
	for _, s := range steps {
		ok, n := l.allow(t0.Add(s.at))
		got = append(got, result{ok, n})
		want = append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("allow sequence (-want +got):\n%s", diff)
	}
}
