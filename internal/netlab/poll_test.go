package netlab

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPollBackoff(t *testing.T) {
	errNotYet := errors.New("not yet")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		doneAt  int // the call that reports done; 0 never
		want    error
		calls   int
	}{
		{"done at once", context.Background(), time.Minute, 1, nil, 1},
		{"done on the third check", context.Background(), time.Minute, 3, nil, 3},
		{"timeout returns the last check's error", context.Background(), -time.Second, 0, errNotYet, 1},
		{"cancelled", cancelled, time.Minute, 0, context.Canceled, 1},
	}
	for _, tt := range tests {
		calls := 0
		err := pollBackoff(tt.ctx, time.Millisecond, tt.timeout, func() (bool, error) {
			calls++
			if calls == tt.doneAt {
				return true, nil
			}
			return false, errNotYet
		})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) || calls != tt.calls {
			t.Errorf("%s: pollBackoff = %v after %d checks, want %v after %d", tt.name, err, calls, tt.want, tt.calls)
		}
	}
}
