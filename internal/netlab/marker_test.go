package netlab

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMarker(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    marker
		wantErr bool
	}{
		{
			name: "ok",
			in:   `{"prefix":"rl0a1b2c","pid":42,"start_time":7,"dir":"/tmp/ralab-rl0a1b2c-123","namespaces":["rl0a1b2c-rtr","rl0a1b2c-c1"]}`,
			want: marker{Prefix: "rl0a1b2c", PID: 42, StartTime: 7, Dir: "/tmp/ralab-rl0a1b2c-123",
				Namespaces: []string{"rl0a1b2c-rtr", "rl0a1b2c-c1"}},
		},
		{name: "foreign prefix", in: `{"prefix":"docker","pid":1}`, wantErr: true},
		{name: "foreign namespace", in: `{"prefix":"rl0a1b2c","pid":1,"namespaces":["prod"]}`, wantErr: true},
		{name: "other lab's namespace", in: `{"prefix":"rl0a1b2c","pid":1,"namespaces":["rl999999-rtr"]}`, wantErr: true},
		{name: "foreign dir", in: `{"prefix":"rl0a1b2c","pid":1,"dir":"/etc"}`, wantErr: true},
		{name: "relative dir", in: `{"prefix":"rl0a1b2c","pid":1,"dir":"ralab-rl0a1b2c-1"}`, wantErr: true},
		{name: "no pid", in: `{"prefix":"rl0a1b2c"}`, wantErr: true},
		{name: "unknown field", in: `{"prefix":"rl0a1b2c","pid":1,"x":1}`, wantErr: true},
		{name: "garbage", in: `{{`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMarker([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrMarker) {
					t.Fatalf("err = %v, want ErrMarker", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseMarker (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkerAlive(t *testing.T) {
	st, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !(marker{PID: os.Getpid(), StartTime: st}).alive() {
		t.Error("own process not alive")
	}
	if (marker{PID: os.Getpid(), StartTime: st + 1}).alive() {
		t.Error("reused PID (other start time) counted as alive")
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add([]byte(`{"prefix":"rl0a1b2c","pid":42,"dir":"/tmp/ralab-rl0a1b2c-1","namespaces":["rl0a1b2c-rtr"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMarker(b)
		if err != nil {
			if !errors.Is(err, ErrMarker) {
				t.Fatalf("error %v does not wrap ErrMarker", err)
			}
			return
		}
		if !prefixRE.MatchString(m.Prefix) {
			t.Fatalf("accepted prefix %q", m.Prefix)
		}
	})
}
