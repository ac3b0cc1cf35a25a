package advertiser

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logLimiter lets through a burst of log lines and then one per interval,
// counting what it held back, so that a flood of bad packets cannot flood
// the log.
type logLimiter struct {
	mu         sync.Mutex
	burst      int
	interval   time.Duration
	tokens     int
	last       time.Time
	suppressed int
}

func newLogLimiter(burst int, interval time.Duration) *logLimiter {
	return &logLimiter{burst: burst, interval: interval, tokens: burst}
}

// allow reports whether a line may be logged at now, and how many lines
// were suppressed since the last one that was.
func (l *logLimiter) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.IsZero() {
		l.last = now
	}
	if n := int(now.Sub(l.last) / l.interval); n > 0 {
		l.tokens = min(l.burst, l.tokens+n)
		l.last = l.last.Add(time.Duration(n) * l.interval)
	}
	if l.tokens == 0 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// limited logs msg at level through l: a line held back is counted, and
// the next line let through says how many were ("suppressed_since_last").
func (a *Advertiser) limited(l *logLimiter, level slog.Level, msg string, args ...any) {
	if !a.log.Enabled(context.Background(), level) {
		return
	}
	ok, dropped := l.allow(time.Now())
	if !ok {
		return
	}
	if dropped > 0 {
		args = append(args, "suppressed_since_last", dropped)
	}
	a.log.Log(context.Background(), level, msg, args...)
}
