package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Browser is the command Render runs: Debian's chromium package.
const Browser = "chromium"

// Timeout bounds one Render when the context has no earlier deadline.
const Timeout = 90 * time.Second

// MaxPage bounds the page Render accepts, as any input.
const MaxPage = 64 << 20

// ErrTooLarge reports a page over MaxPage bytes.
var ErrTooLarge = errors.New("browsertest: page too large")

// consoleMarker starts a console message in Chromium's log
// (--enable-logging=stderr): `[pid:tid:time:INFO:CONSOLE:12] "message",
// source: file:///... (12)`.
const consoleMarker = ":CONSOLE"

// Page is a page as the browser rendered it.
type Page struct {
	// DOM is the document after load and scripts, serialised.
	DOM string
	// Console holds each message the page wrote to the console, errors
	// included (uncaught exceptions, failed resource loads).
	Console []string
}

// Render writes html to a file in a new temporary directory, loads it in
// headless Chromium with a fresh profile and no network services, and
// returns the rendered DOM and the console messages.
func Render(ctx context.Context, html []byte) (*Page, error) {
	if len(html) > MaxPage {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(html))
	}
	dir, err := os.MkdirTemp("", "ralab-browsertest-")
	if err != nil {
		return nil, fmt.Errorf("browsertest: %w", err)
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "page.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		return nil, fmt.Errorf("browsertest: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, Browser, append(flags(filepath.Join(dir, "profile")), "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("browsertest: %s: %w\n%s", Browser, err, tail(stderr.String(), 2000))
	}
	return &Page{DOM: stdout.String(), Console: consoleMessages(stderr.String())}, nil
}

// flags are Chromium's command-line flags: headless, as root without a
// sandbox, without GPU, network services, first-run work or updates, with
// its own profile in profile, logging console messages to stderr, and
// printing the DOM when loaded.
func flags(profile string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--dump-dom",
	}
}

// consoleMessages returns the console messages of a Chromium log.
func consoleMessages(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if i := strings.Index(l, consoleMarker); i >= 0 {
			if j := strings.Index(l[i:], "] "); j >= 0 {
				out = append(out, l[i+j+2:])
			}
		}
	}
	return out
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
