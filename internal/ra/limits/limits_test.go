package limits

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDerived(t *testing.T) {
	got := []int64{MaxRDNSSServers, MaxDNSSLNameBytes, MaxCaptivePortalURI, int64(MaxPREF64Lifetime / time.Second), int64(MaxReachableTime / time.Millisecond)}
	want := []int64{15, 240, 246, 65528, 3600000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("derived limits (-want +got):\n%s", diff)
	}
}

func TestPREF64Codes(t *testing.T) {
	for code := range 8 {
		bits, ok := PREF64Length(code)
		if !ok {
			if code < 6 {
				t.Errorf("PREF64Length(%d) undefined", code)
			}
			continue
		}
		back, ok := PREF64Code(bits)
		if !ok || back != code {
			t.Errorf("PREF64Code(%d) = %d, %v, want %d", bits, back, ok, code)
		}
	}
	if _, ok := PREF64Code(60); ok {
		t.Error("PREF64Code(60) defined")
	}
}

func TestSeconds32(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want uint32
	}{
		{0, 0},
		{1500 * time.Millisecond, 1},
		{Infinite, 0xffffffff},
		{Infinite + time.Hour, 0xffffffff},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Seconds32(tt.in)); diff != "" {
			t.Errorf("Seconds32(%v) (-want +got):\n%s", tt.in, diff)
		}
	}
}
