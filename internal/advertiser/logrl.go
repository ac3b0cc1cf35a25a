package advertiser

import (
	"context"
	"log/slog"
	"time"

	"github.com/ralab/ralab/internal/lograte"
)

// limited logs msg at level through l: a line held back is counted, and
// the next line let through says how many were ("suppressed_since_last").
func (a *Advertiser) limited(l *lograte.Limiter, level slog.Level, msg string, args ...any) {
	if !a.log.Enabled(context.Background(), level) {
		return
	}
	dropped, ok := l.Allow(time.Now())
	if !ok {
		return
	}
	if dropped > 0 {
		args = append(args, "suppressed_since_last", dropped)
	}
	a.log.Log(context.Background(), level, msg, args...)
}
