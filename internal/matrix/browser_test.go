package matrix

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/browsertest"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestHTMLInBrowser renders matrix.html in headless Chromium and checks
// that it loads without console errors and that the cells, the failure
// ids, the packets and the disagreement are in the rendered DOM.
func TestHTMLInBrowser(t *testing.T) {
	netlabtest.RequireTool(t, browsertest.Browser, "chromium")
	var b bytes.Buffer
	if err := sample().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	p, err := browsertest.Render(context.Background(), b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Console {
		t.Errorf("console: %s", m)
	}
	for _, want := range []string{
		"<table", `<td class="bad"`, "F1-ra-throttle", "dns-lost", "#12, #40",
		`<td class="disagree"`, "dibbler (Debian package dibbler-client)",
	} {
		if !strings.Contains(p.DOM, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", p.DOM)
	}
}
