package lograte

import (
	"sync"
	"time"
)

// Limiter lets through at most PerSecond log records in each second and
// counts the rest. The zero value lets nothing through; set PerSecond.
// It is safe for concurrent use.
type Limiter struct {
	// PerSecond is how many records a second are let through.
	PerSecond int

	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

// Allow reports whether a record may be logged at now and, if so, how
// many were suppressed since the last one logged.
func (l *Limiter) Allow(now time.Time) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) >= time.Second || now.Before(l.window) {
		l.window, l.n = now, 0
	}
	if l.n >= l.PerSecond {
		l.suppressed++
		return 0, false
	}
	l.n++
	s := l.suppressed
	l.suppressed = 0
	return s, true
}
