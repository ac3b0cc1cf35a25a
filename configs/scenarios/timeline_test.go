package scenarios_test

import (
	"io/fs"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/ra"
	"github.com/ralab/ralab/internal/scenario"
)

// onWire is one RA on the wire in a simulated run.
type onWire struct {
	At    time.Duration
	Kind  string
	RDNSS bool
}

// simulate runs scenario file name against the lab configuration with a
// fake clock ticking every second: the daemon sends a periodic multicast
// RA every MaxInterval (no jitter), and Due is polled every tick. It
// returns what goes on the wire.
func simulate(t *testing.T, name string) []onWire {
	t.Helper()
	b, err := fs.ReadFile(scenarios.Files, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Parse(name, b)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := config.Parse(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	var (
		out      []onWire
		set      *impair.Set
		ifc      config.Interface
		phase    = -1
		nextSend time.Duration
	)
	record := func(sends []impair.Send) {
		for _, x := range sends {
			rdnss := false
			for _, o := range x.RA.Options {
				switch o := o.(type) {
				case *ndp.RecursiveDNSServer:
					rdnss = true
				case *ndp.RawOption:
					rdnss = rdnss || o.Type == 25
				}
			}
			out = append(out, onWire{x.At.Sub(t0), x.Kind.String(), rdnss})
		}
	}
	for at := time.Duration(0); at < s.Duration; at += time.Second {
		now := t0.Add(at)
		p, _ := s.At(at)
		if p.Index != phase {
			phase = p.Index
			set = p.Set(now, s.Seed)
			if ifc, err = p.Override.Apply(lab.Interfaces[0]); err != nil {
				t.Fatal(err)
			}
		}
		if next, ok := set.Next(); ok && !next.After(now) {
			sends, _ := set.Due(now)
			record(sends)
		}
		if at == nextSend {
			nextSend += ifc.MaxInterval
			c, _ := set.ConfigFor(now, ifc)
			m, _, err := ra.Build(c, mac)
			if err != nil {
				t.Fatal(err)
			}
			sends, _ := set.RA(now, impair.Outgoing{Kind: impair.KindPeriodic, RA: m})
			record(sends)
		}
	}
	return out
}

func TestTimeline(t *testing.T) {
	s := time.Second
	periodic := func(at ...time.Duration) []onWire {
		var w []onWire
		for _, a := range at {
			w = append(w, onWire{a * s, "periodic", true})
		}
		return w
	}
	tests := []struct {
		file string
		want []onWire
	}{
		// One RA per 60 s period from the first in the throttled phase.
		{"F1-ra-throttle.toml", periodic(0, 4, 8, 12, 16, 20)},
		// The first RA of the replay phase passes and is cached; replays
		// follow every 30 s until the router's RAs pass again from 65 s.
		{"F2-ra-replay.toml", append(append(periodic(0, 4, 8, 12, 16),
			onWire{46 * s, "replay", true}), periodic(68, 72, 76)...)},
		// Every second RA of the omit phase lacks RDNSS, until 56 s.
		{"F6-rdnss-omit.toml", append(periodic(0, 8, 16, 24),
			onWire{32 * s, "periodic", false}, onWire{40 * s, "periodic", true},
			onWire{48 * s, "periodic", false}, onWire{56 * s, "periodic", true},
			onWire{64 * s, "periodic", true})},
		// Nobody was seen: the unicast phase sends nothing.
		{"F3-ra-mcast-to-unicast.toml", periodic(0, 4, 8, 12, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, simulate(t, tt.file)); diff != "" {
				t.Errorf("wire (-want +got):\n%s", diff)
			}
		})
	}
}
