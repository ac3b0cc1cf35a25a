package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/advertiser/advlab"
)

// Environment of the re-executed test binary: run "ralab" with these
// arguments (separated by newlines), or fetch this URL and print it.
const (
	serveArgsEnv  = "RALAB_SERVE_TEST_ARGS"
	serveFetchEnv = "RALAB_SERVE_TEST_FETCH"
)

// TestServeHelper is not a test: the integration tests run the test binary
// with this test selected inside a namespace, to run "ralab" or fetch a
// URL there.
func TestServeHelper(t *testing.T) {
	if args := os.Getenv(serveArgsEnv); args != "" {
		os.Exit(runMain(strings.Split(args, "\n")))
	}
	if url := os.Getenv(serveFetchEnv); url != "" {
		resp, err := http.Get(url)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(os.Stdout, resp.Body)
		os.Exit(0)
	}
	// Not started as a helper process: nothing to do (no Skip, which CI
	// would count as a failure).
}

func TestServeUsage(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "ralab.toml")
	tests := []struct {
		name string
		args []string
	}{
		{"no config", nil},
		{"extra argument", []string{"-c", cfg, "eth0"}},
		{"bad log level", []string{"-c", cfg, "--log-level", "loud"}},
		{"bad log format", []string{"-c", cfg, "--log-format", "xml"}},
		{"unknown flag", []string{"-x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := runServe(context.Background(), tt.args); !errors.Is(err, errUsage) {
				t.Errorf("runServe(%q) = %v, want errUsage", tt.args, err)
			}
		})
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[[interface]]\nname = \"eth0\"\nmax_interval = 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.toml"), bad} {
		err := runServe(context.Background(), []string{"-c", path})
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), path) {
			t.Errorf("runServe -c %s = %v, want an error naming the file", path, err)
		}
	}
}

func TestServeLogger(t *testing.T) {
	tests := []struct {
		level, format string
		wantErr       bool
		wantIn        string
	}{
		{"debug", "text", false, "level=DEBUG"},
		{"info", "json", false, `"level":"INFO"`},
		{"WARN", "text", false, "level=WARN"},
		{"verbose", "text", true, ""},
		{"info", "logfmt", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var b strings.Builder
			log, err := serveLogger(&b, tt.level, tt.format)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			log.Debug("x")
			log.Info("x")
			log.Warn("x")
			if !strings.Contains(b.String(), tt.wantIn) {
				t.Errorf("output %q lacks %q", b.String(), tt.wantIn)
			}
		})
	}
}

// serveConfig is a configuration for the lab's router interface with one
// RDNSS server, optionally with DHCPv6 and a second interface, D0.
func serveConfig(dns string, dhcp, d0 bool) string {
	c := fmt.Sprintf(`[http]
address = "[::1]:9430"

[[interface]]
name = %q
other_config = true
router_lifetime = "30m"
min_interval = "200s"
max_interval = "600s"
unicast_solicited = true
source_lla = true
withdraw_on_stop = true

[[interface.rdnss]]
servers = [%q]
lifetime = "30m"
`, advlab.RouterIf, dns)
	if dhcp {
		c += "\n[interface.dhcpv6]\nenabled = true\n"
	}
	if d0 {
		c += "\n[[interface]]\nname = \"D0\"\nrouter_lifetime = \"0s\"\n"
	}
	return c
}

func serveRDNSS(m *ndp.RouterAdvertisement) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, o := range m.Options {
		if r, ok := o.(*ndp.RecursiveDNSServer); ok {
			for _, a := range r.Servers {
				out[a.String()] = r.Lifetime
			}
		}
	}
	return out
}

// TestServe runs "ralab serve" in a router namespace: it advertises the
// configured RDNSS, serves /metrics and /ra, keeps its configuration on an
// invalid SIGHUP, withdraws a removed server on a valid one, and sends
// final RAs on SIGTERM.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	advlab.Require(t, "ip", "ss", "tcpdump")
	l := advlab.New(t)
	dir := t.TempDir()
	pcap := filepath.Join(dir, "c0.pcap")
	td := l.Capture(pcap)
	cfgPath := filepath.Join(dir, "ralab.toml")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(serveConfig("2001:db8::53", false, false))

	var out advlab.Buffer
	args := strings.Join([]string{"serve", "-c", cfgPath, "--log-level", "debug"}, "\n")
	srv := l.Start(l.Router, []string{serveArgsEnv + "=" + args}, &out, os.Args[0], "-test.run=^TestServeHelper$")
	defer func() {
		if t.Failed() {
			t.Logf("ralab serve output:\n%s", out.String())
		}
	}()
	fetch := func(path string) string {
		t.Helper()
		var body string
		advlab.WaitFor(t, "HTTP "+path, 30*time.Second, func() bool {
			cmd := exec.Command("ip", "netns", "exec", l.Router, os.Args[0], "-test.run=^TestServeHelper$")
			cmd.Env = append(os.Environ(), serveFetchEnv+"=http://[::1]:9430"+path)
			b, err := cmd.Output()
			body = string(b)
			return err == nil
		})
		return body
	}
	lastRA := func(after time.Time) *advlab.RA {
		var last *advlab.RA
		for _, r := range advlab.RAs(t, pcap) {
			if r.At.After(after) && r.Dst.IsMulticast() {
				last = &r
			}
		}
		return last
	}

	start := time.Now()
	advlab.WaitFor(t, "the first RA", 30*time.Second, func() bool { return lastRA(start) != nil })
	if diff := cmp.Diff(map[string]time.Duration{"2001:db8::53": 30 * time.Minute}, serveRDNSS(lastRA(start).Msg)); diff != "" {
		t.Errorf("first RA RDNSS (-want +got):\n%s", diff)
	}

	t.Run("http", func(t *testing.T) {
		metrics := fetch("/metrics")
		for _, want := range []string{
			`ralab_ra_sent_total{interface="R0",kind="initial"} 1`,
			`ralab_interface_advertising{interface="R0"} 1`,
			`ralab_ra_advertised_lifetime_seconds{interface="R0",option="rdnss"} 1800`,
			`ralab_ra_advertised_lifetime_seconds{interface="R0",option="router"} 1800`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		var st []advertiser.Status
		if err := json.Unmarshal([]byte(fetch("/ra")), &st); err != nil {
			t.Fatalf("/ra: %v", err)
		}
		if len(st) != 1 || st[0].State != "advertising" || st[0].RA == nil || st[0].NextRA == nil {
			t.Fatalf("/ra = %+v, want R0 advertising with an RA and the next one scheduled", st)
		}
		var rd []string
		for _, o := range st[0].RA.Options {
			if o.Type == "rdnss" {
				rd = append(rd, o.Servers...)
			}
		}
		if diff := cmp.Diff([]string{"2001:db8::53"}, rd); diff != "" {
			t.Errorf("/ra RDNSS (-want +got):\n%s", diff)
		}
	})

	t.Run("invalid reload kept", func(t *testing.T) {
		write("[[interface]]\nname = 3\n")
		if err := srv.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		advlab.WaitFor(t, "the reload to be rejected", 30*time.Second, func() bool {
			return strings.Contains(out.String(), "reload rejected")
		})
		if srv.ProcessState != nil {
			t.Fatal("ralab serve exited on an invalid reload")
		}
	})

	t.Run("valid reload", func(t *testing.T) {
		write(serveConfig("2001:db8::54", false, false))
		hup := time.Now()
		if err := srv.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		advlab.WaitFor(t, "the reload RA", 30*time.Second, func() bool { return lastRA(hup) != nil })
		want := map[string]time.Duration{"2001:db8::53": 0, "2001:db8::54": 30 * time.Minute}
		if diff := cmp.Diff(want, serveRDNSS(lastRA(hup).Msg)); diff != "" {
			t.Errorf("reload RA RDNSS (-want +got):\n%s", diff)
		}
		if !strings.Contains(fetch("/metrics"), `ralab_ra_sent_total{interface="R0",kind="reload"} 1`) {
			t.Error("/metrics does not count the reload RA")
		}
	})

	status := func() map[string]string {
		var st []advertiser.Status
		if err := json.Unmarshal([]byte(fetch("/ra")), &st); err != nil {
			t.Fatalf("/ra: %v", err)
		}
		out := map[string]string{}
		for _, s := range st {
			out[s.Interface] = s.State
		}
		return out
	}
	listening547 := func() bool {
		return strings.Contains(l.Sh(l.Router, "ss -Hlun 'sport = :547'"), ":547")
	}
	acceptRA := func(ifname string) string {
		b, _ := exec.Command("ip", "netns", "exec", l.Router, "cat", "/proc/sys/net/ipv6/conf/"+ifname+"/accept_ra").Output()
		return strings.TrimSpace(string(b))
	}

	t.Run("add interface and DHCPv6", func(t *testing.T) {
		// D0 does not exist yet: it is waited for.
		write(serveConfig("2001:db8::54", true, true))
		if err := srv.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		advlab.WaitFor(t, "D0 waiting", 30*time.Second, func() bool { return status()["D0"] == "waiting" })
		// No dummy module in every kernel: a veth pair inside the router
		// namespace has carrier too.
		advlab.Run(t, "ip", "-n", l.Router, "link", "add", "D0", "type", "veth", "peer", "name", "D1")
		advlab.Run(t, "ip", "-n", l.Router, "link", "set", "D1", "up")
		created := time.Now()
		advlab.Run(t, "ip", "-n", l.Router, "link", "set", "D0", "up")
		advlab.WaitFor(t, "D0 advertising", 30*time.Second, func() bool { return status()["D0"] == "advertising" })
		t.Logf("D0 advertising %v after it came up", time.Since(created))
		advlab.WaitFor(t, "DHCPv6 listening on port 547", 30*time.Second, listening547)
		if got := acceptRA("D0"); got != "0" {
			t.Errorf("D0 accept_ra = %s while advertising, want 0", got)
		}
	})

	t.Run("remove interface and DHCPv6", func(t *testing.T) {
		write(serveConfig("2001:db8::54", false, false))
		if err := srv.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		advlab.WaitFor(t, "D0 gone from /ra", 30*time.Second, func() bool {
			_, ok := status()["D0"]
			return !ok
		})
		advlab.WaitFor(t, "DHCPv6 to stop", 30*time.Second, func() bool { return !listening547() })
		advlab.WaitFor(t, "D0 accept_ra restored", 30*time.Second, func() bool { return acceptRA("D0") == "1" })
		if diff := cmp.Diff(map[string]string{advlab.RouterIf: "advertising"}, status()); diff != "" {
			t.Errorf("/ra states (-want +got):\n%s", diff)
		}
	})

	t.Run("SIGTERM", func(t *testing.T) {
		stop := time.Now()
		if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("ralab serve exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("ralab serve did not exit after SIGTERM")
		}
		t.Logf("shutdown took %v", time.Since(stop))
		var final []advlab.RA
		advlab.WaitFor(t, "final RAs", 10*time.Second, func() bool {
			final = nil
			for _, r := range advlab.RAs(t, pcap) {
				if r.At.After(stop) {
					final = append(final, r)
				}
			}
			return len(final) >= advertiser.MaxFinalRtrAdvertisements
		})
		for i, r := range final {
			if r.Msg.RouterLifetime != 0 {
				t.Errorf("final RA %d router lifetime %v, want 0", i, r.Msg.RouterLifetime)
			}
		}
	})
	_ = td.Process.Signal(syscall.SIGTERM)
	_ = td.Wait()
}

// TestServeWithoutCapNetRaw checks the error when the process lacks
// CAP_NET_RAW: root with the capability dropped from its bounding set.
func TestServeWithoutCapNetRaw(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	advlab.Require(t, "ip", "setpriv")
	l := advlab.New(t)
	cfgPath := filepath.Join(t.TempDir(), "ralab.toml")
	if err := os.WriteFile(cfgPath, []byte(serveConfig("2001:db8::53", false, false)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.Router,
		"setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw", os.Args[0], "-test.run=^TestServeHelper$")
	cmd.Env = append(os.Environ(), serveArgsEnv+"=serve\n-c\n"+cfgPath)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("ralab serve without CAP_NET_RAW: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "CAP_NET_RAW") {
		t.Errorf("output does not mention CAP_NET_RAW:\n%s", out)
	}
}
