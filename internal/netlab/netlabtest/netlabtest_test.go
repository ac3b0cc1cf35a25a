package netlabtest_test

import (
	"strings"
	"testing"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestStartRalab runs ralab with the lab configuration and checks that a
// host receives its RA.
func TestStartRalab(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	t.Parallel()
	l := netlabtest.New(t)
	h := l.Host(t, "c1", "02:00:00:00:02:01")
	p := l.StartRalab(t, configs.Lab)
	// rdisc6 solicits up to 30 times, 2 s apart: ralab has a minute to
	// come up on a loaded machine.
	out, err := h.Run(t.Context(), "rdisc6", "-1", "-r", "30", "-w", "2000", h.IfName)
	if err != nil {
		t.Fatalf("no RA: %v: %s\nralab log:\n%s", err, out, netlabtest.Tail(p.Stderr, 3000))
	}
	for _, want := range []string{"2001:db8:1::/64", "2001:db8:1::53", "from fe80::ff:fe00:100"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rdisc6 output lacks %q:\n%s", want, out)
		}
	}
	if p.Exited() {
		t.Errorf("ralab exited: %v", p.Err())
	}
}
