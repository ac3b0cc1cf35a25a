package lograte

import (
	"sync"
	"time"
)

// Limiter lets through a bounded number of log records and counts the
// rest. It has two modes, chosen by Every:
//
//   - Every zero: at most PerSecond records in each second.
//   - Every set: a token bucket of Burst records, refilled with one
//     record every Every, for lines that may come in a short burst and
//     then only now and then (a flapping link, retries).
//
// The zero value lets nothing through; set PerSecond, or Burst and Every.
// It is safe for concurrent use.
type Limiter struct {
	// PerSecond is how many records a second are let through when Every
	// is zero.
	PerSecond int
	// Burst is the bucket size and Every the time to refill one record,
	// when Every is set.
	Burst int
	Every time.Duration

	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
	// tokens and filled are the bucket (Every set); started reports
	// whether it was filled to Burst.
	tokens  int
	filled  time.Time
	started bool
}

// Allow reports whether a record may be logged at now and, if so, how
// many were suppressed since the last one logged.
func (l *Limiter) Allow(now time.Time) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Every > 0 {
		ok = l.takeToken(now)
	} else {
		ok = l.takeWindow(now)
	}
	if !ok {
		l.suppressed++
		return 0, false
	}
	s := l.suppressed
	l.suppressed = 0
	return s, true
}

// takeWindow takes one of the PerSecond records of the second at now.
func (l *Limiter) takeWindow(now time.Time) bool {
	if now.Sub(l.window) >= time.Second || now.Before(l.window) {
		l.window, l.n = now, 0
	}
	if l.n >= l.PerSecond {
		return false
	}
	l.n++
	return true
}

// takeToken takes a token from the bucket, refilled up to now.
func (l *Limiter) takeToken(now time.Time) bool {
	if !l.started {
		l.started, l.tokens, l.filled = true, l.Burst, now
	}
	if n := int(now.Sub(l.filled) / l.Every); n > 0 {
		l.tokens = min(l.Burst, l.tokens+n)
		l.filled = l.filled.Add(time.Duration(n) * l.Every)
	}
	if l.tokens == 0 {
		return false
	}
	l.tokens--
	return true
}
