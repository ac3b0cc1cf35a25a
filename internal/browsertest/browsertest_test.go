package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

func TestConsoleMessages(t *testing.T) {
	log := `[1:1:1207/002836.135572:INFO:CONSOLE:1] "boom-error", source: file:///tmp/p.html (1)
[1:2:1207/002833.711724:ERROR:dbus/bus.cc:405] Failed to connect to the bus
[1:1:1207/002836.138002:INFO:CONSOLE(3)] "Uncaught ReferenceError: f is not defined", source: file:///tmp/p.html (3)
`
	want := []string{
		`"boom-error", source: file:///tmp/p.html (1)`,
		`"Uncaught ReferenceError: f is not defined", source: file:///tmp/p.html (3)`,
	}
	if diff := cmp.Diff(want, consoleMessages(log)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRender checks that Render runs the page's scripts and reports its
// console errors.
func TestRender(t *testing.T) {
	netlabtest.RequireTool(t, Browser, "chromium")
	p, err := Render(context.Background(), []byte(`<!DOCTYPE html><html><body><p id="x">static</p>
<script>document.getElementById("x").textContent = "from script"; undefinedFunction();</script></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.DOM, `<p id="x">from script</p>`) {
		t.Errorf("DOM without the script's change:\n%s", p.DOM)
	}
	if len(p.Console) != 1 || !strings.Contains(p.Console[0], "undefinedFunction is not defined") {
		t.Errorf("console %q, want the ReferenceError", p.Console)
	}
}

func TestRenderTooLarge(t *testing.T) {
	if _, err := Render(context.Background(), make([]byte, MaxPage+1)); err == nil {
		t.Error("no error for a page over MaxPage")
	}
}
