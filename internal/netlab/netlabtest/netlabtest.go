package netlabtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
)

// KeepEnv is the environment variable that, set to "1", keeps a failed
// test's lab state directory (logs, client state, captures) for
// inspection; its path is logged.
const KeepEnv = "RALAB_KEEP_LAB"

// InCI reports whether the environment variable CI is "true".
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips t with reason, or fails it when InCI.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true, cannot skip: %s", reason)
	}
	t.Skip(reason)
}

// RequireLab skips t (or fails it in CI) unless netlab can run: root and
// iproute2.
func RequireLab(t testing.TB) {
	t.Helper()
	if err := netlab.Check(); err != nil {
		SkipOrFail(t, err.Error())
	}
}

// RequireTool skips t (or fails it in CI) unless the program name is
// installed; pkg is its Debian package, named in the message.
func RequireTool(t testing.TB, name, pkg string) {
	t.Helper()
	if err := netlab.LookTool(name, pkg); err != nil {
		SkipOrFail(t, err.Error())
	}
}

// Lab is a netlab.Lab bound to a test.
type Lab struct {
	*netlab.Lab
}

// New creates a lab that is closed by t.Cleanup, also when the test fails
// or panics. When the test has failed, the tail of every process log is
// logged first. Progress messages go to t.Log.
func New(t testing.TB) *Lab {
	t.Helper()
	RequireLab(t)
	keep := os.Getenv(KeepEnv) == "1"
	l, err := netlab.New(t.Context(), netlab.Options{
		Logger:  Logger(t),
		KeepDir: keep,
	})
	if err != nil {
		t.Fatalf("netlab.New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("closing lab %s: %v", l.Prefix(), err)
		}
		if keep && !t.Failed() {
			_ = os.RemoveAll(l.Dir())
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, l)
		}
	})
	return &Lab{Lab: l}
}

// Logger returns a logger that writes debug and higher to t.Log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter sends slog output to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// maxDump bounds how much of each log file dumpLogs shows.
const maxDump = 3000

// dumpLogs logs the tail of every process log of the lab.
func dumpLogs(t testing.TB, l *netlab.Lab) {
	t.Logf("lab %s state directory: %s", l.Prefix(), l.Dir())
	_ = filepath.WalkDir(l.Dir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".stdout") || strings.HasSuffix(p, ".stderr")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			return nil
		}
		if len(b) > maxDump {
			b = b[len(b)-maxDump:]
		}
		rel, _ := filepath.Rel(l.Dir(), p)
		t.Logf("--- %s (tail) ---\n%s", rel, b)
		return nil
	})
}

// Host adds a client host, failing t on error.
func (l *Lab) Host(t testing.TB, name, mac string) *netlab.Host {
	t.Helper()
	h, err := l.AddHost(t.Context(), name, mac)
	if err != nil {
		t.Fatalf("AddHost(%q, %q): %v", name, mac, err)
	}
	return h
}

// Capture starts tshark on the router's bridge, failing t on error (or
// skipping it when tshark is missing, outside CI). Stop it to get the
// pcapng; Close stops it otherwise.
func (l *Lab) Capture(t testing.TB) *netlab.Capture {
	t.Helper()
	RequireTool(t, "tshark", "tshark")
	c, err := l.Router().StartCapture(t.Context(), "capture")
	if err != nil {
		t.Fatalf("StartCapture: %v", err)
	}
	return c
}

// StartRalab writes cfg to "ralab.toml" in the router's state directory
// and runs "ralab serve -c <that file>" in the router namespace. The
// binary is built once per test binary (see RalabBinary).
func (l *Lab) StartRalab(t testing.TB, cfg []byte) *netlab.Process {
	t.Helper()
	bin := RalabBinary(t)
	path := filepath.Join(l.Router().Dir(), "ralab.toml")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatalf("writing config: %v", err)
	}
	p, err := l.Router().Start(t.Context(), "ralab", bin, "serve", "-c", path)
	if err != nil {
		t.Fatalf("starting ralab: %v", err)
	}
	return p
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// binDirPrefix starts the name of the directory holding the built binary;
// the creating process's PID follows, so stale ones can be removed.
const binDirPrefix = "ralab-netlabtest-"

// BinaryEnv is the environment variable that, when set, names a ralab
// binary for RalabBinary to use instead of building one.
const BinaryEnv = "RALAB_TEST_BINARY"

// RalabBinary builds github.com/ralab/ralab/cmd/ralab once per test
// binary with "go build" and returns its path, or returns the binary named
// by BinaryEnv. Directories left by earlier test binaries that have exited
// are removed first.
func RalabBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			buildBin = p
			if _, buildErr = os.Stat(p); buildErr != nil {
				buildErr = fmt.Errorf("%s: %w", BinaryEnv, buildErr)
			}
			return
		}
		removeStaleBinDirs()
		dir := filepath.Join(os.TempDir(), binDirPrefix+strconv.Itoa(os.Getpid()))
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("go tool not found: %w", err)
			return
		}
		buildBin = filepath.Join(dir, "ralab")
		cmd := exec.Command(goTool, "build", "-o", buildBin, "github.com/ralab/ralab/cmd/ralab")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ralab: %w\n%s", err, out.Bytes())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// removeStaleBinDirs removes binary directories of exited test binaries.
func removeStaleBinDirs() {
	ents, _ := os.ReadDir(os.TempDir())
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), binDirPrefix)
		pid, err := strconv.Atoi(rest)
		if !ok || err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			_ = os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
		}
	}
}

// Tail returns the last n bytes of the file at path, for messages.
func Tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Namespaces returns the network namespaces whose name starts with
// prefix, from /run/netns.
func Namespaces(prefix string) []string {
	ents, _ := os.ReadDir("/run/netns")
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// WaitFor polls cond every 50 ms until it holds, failing t after timeout
// with what it was waiting for.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
