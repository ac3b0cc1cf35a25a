package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// serveArgsEnv is the environment of the re-executed test binary: run
// "ralab" with these arguments, separated by newlines.
const serveArgsEnv = "RALAB_SERVE_TEST_ARGS"

// TestServeHelper is not a test: the integration tests run the test binary
// with this test selected inside the router namespace, to run "ralab"
// there.
func TestServeHelper(t *testing.T) {
	if args := os.Getenv(serveArgsEnv); args != "" {
		os.Exit(runMain(strings.Split(args, "\n")))
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
		{"info", "json", false, `"interval":"1m30s"`},
		{"info", "text", false, "interval=1m30s"},
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
			log.Warn("x", "interval", 90*time.Second)
			if !strings.Contains(b.String(), tt.wantIn) {
				t.Errorf("output %q lacks %q", b.String(), tt.wantIn)
			}
		})
	}
}

// serveConfig is a configuration for the lab router's bridge
// netlab.BridgeName with one RDNSS server, optionally with DHCPv6 and a
// second interface, D0.
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
`, netlab.BridgeName, dns)
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

// serveToolPackage names the Debian package of each program the serve
// integration tests need, for netlabtest.RequireTool.
var serveToolPackage = map[string]string{
	"ss":      "iproute2",
	"setpriv": "util-linux",
	"tcpdump": "tcpdump",
	"rdisc6":  "ndisc6",
}

// requireServeLab skips t in -short mode, and skips it (or fails it in CI)
// unless a lab can run here with tools installed.
func requireServeLab(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		netlabtest.SkipOrFail(t, "integration test skipped in -short mode")
	}
	netlabtest.RequireLab(t)
	for _, tool := range tools {
		netlabtest.RequireTool(t, tool, serveToolPackage[tool])
	}
}

// serveLab is a lab for the serve integration tests: ralab serves the
// router's bridge, and one client host captures ICMPv6 on its link.
type serveLab struct {
	*netlabtest.Lab
	// pcap captures ICMPv6 on the client's link; netlab.ReadPcap reads it
	// while it runs.
	pcap *netlab.Capture
	// cli is the client host.
	cli *netlab.Host
}

// newServeLab creates the lab, its client host "c1" and the capture.
func newServeLab(t *testing.T) *serveLab {
	t.Helper()
	l := netlabtest.New(t)
	cli := l.Host(t, "c1", "02:00:00:00:02:01")
	c, err := cli.StartPcap(t.Context(), "c1", "icmp6")
	if err != nil {
		t.Fatalf("StartPcap: %v", err)
	}
	return &serveLab{Lab: l, pcap: c, cli: cli}
}

// stopCapture stops the capture; its file stays readable.
func (l *serveLab) stopCapture(t *testing.T) {
	t.Helper()
	if _, err := l.pcap.Stop(); err != nil {
		t.Errorf("stopping the capture: %v", err)
	}
}

// startServe runs "ralab" with args in the router namespace: the test
// binary re-executed as TestServeHelper. It gets SIGTERM when the test
// ends, and netlabtest logs the tail of its output if the test failed.
func startServe(t *testing.T, rtr *netlab.Host, args ...string) *netlab.Process {
	t.Helper()
	p, err := rtr.Start(t.Context(), "ralab", "env", serveArgsEnv+"="+strings.Join(args, "\n"), os.Args[0], "-test.run=^TestServeHelper$")
	if err != nil {
		t.Fatalf("starting ralab: %v", err)
	}
	return p
}

// serveOutput returns what p wrote so far: its standard output, then its
// standard error.
func serveOutput(p *netlab.Process) string {
	out, _ := os.ReadFile(p.Stdout)
	errOut, _ := os.ReadFile(p.Stderr)
	return string(out) + string(errOut)
}

// waitServeExit waits up to timeout for p to exit and fails t unless it
// exits with status 0.
func waitServeExit(t *testing.T, p *netlab.Process, timeout time.Duration, after string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	if err := p.Wait(ctx); err != nil && !p.Exited() {
		t.Fatalf("ralab serve did not exit after %s: %v", after, err)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("ralab serve exited with %v, want 0", err)
	}
}

// serveRA is a captured, parsed Router Advertisement.
type serveRA struct {
	// At is the capture timestamp.
	At time.Time
	// Dst is the IPv6 destination address.
	Dst netip.Addr
	// Msg is the parsed message.
	Msg *ndp.RouterAdvertisement
}

// serveRAs reads the capture at path, which may still be being written,
// and returns its RAs; an RA that does not parse fails t.
func serveRAs(t testing.TB, path string) []serveRA {
	t.Helper()
	frames, err := netlab.ReadPcap(path)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	var out []serveRA
	for _, f := range frames {
		r, ok, err := parseServeRA(f)
		if err != nil {
			t.Errorf("RA at %v does not parse: %v", f.At, err)
			continue
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// parseServeRA decodes f if it is an RA: ok is false for any other frame,
// and err is set for an RA that does not parse.
func parseServeRA(f netlab.Frame) (r serveRA, ok bool, err error) {
	// Offsets in a captured frame: a 14-byte Ethernet header, then the
	// 40-byte IPv6 header with its payload length at 4, next header at 6
	// and destination at 24 (RFC 8200 §3). ralab sends RAs without
	// extension headers, so ICMPv6 follows the IPv6 header directly.
	const (
		ethHeaderLen  = 14
		ipv6HeaderLen = 40
		nextICMPv6    = 58
		typeRA        = 134
	)
	b := f.Data
	if len(b) < ethHeaderLen+ipv6HeaderLen+1 || b[12] != 0x86 || b[13] != 0xdd {
		return serveRA{}, false, nil
	}
	ip := b[ethHeaderLen:]
	icmp := ip[ipv6HeaderLen:]
	if ip[6] != nextICMPv6 || icmp[0] != typeRA {
		return serveRA{}, false, nil
	}
	if n := int(binary.BigEndian.Uint16(ip[4:6])); n < len(icmp) {
		icmp = icmp[:n]
	}
	m, err := ndp.ParseMessage(icmp)
	if err != nil {
		return serveRA{}, false, err
	}
	ra, isRA := m.(*ndp.RouterAdvertisement)
	if !isRA {
		return serveRA{}, false, fmt.Errorf("type %d parsed as %T", typeRA, m)
	}
	return serveRA{At: f.At, Dst: netip.AddrFrom16([16]byte(ip[24:40])), Msg: ra}, true, nil
}

// TestServe runs "ralab serve" in a router namespace: it advertises the
// configured RDNSS, serves /metrics and /ra, keeps its configuration on an
// invalid SIGHUP, withdraws a removed server on a valid one, and sends
// final RAs on SIGTERM.
func TestServe(t *testing.T) {
	requireServeLab(t, "ss", "tcpdump", "rdisc6")
	l := newServeLab(t)
	rtr := l.Router()
	pcap := l.pcap.Path()
	cfgPath := filepath.Join(t.TempDir(), "ralab.toml")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(serveConfig("2001:db8::53", false, false))

	srv := startServe(t, rtr, "serve", "-c", cfgPath, "--log-level", "debug")
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: rtr.DialContext, DisableKeepAlives: true},
	}
	fetch := func(t *testing.T, path string) string {
		t.Helper()
		var body string
		netlabtest.WaitFor(t, "HTTP "+path, 30*time.Second, func() bool {
			resp, err := client.Get("http://[::1]:9430" + path)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			body = string(b)
			return err == nil
		})
		return body
	}
	lastRA := func(after time.Time) *serveRA {
		var last *serveRA
		for _, r := range serveRAs(t, pcap) {
			if r.At.After(after) && r.Dst.IsMulticast() {
				last = &r
			}
		}
		return last
	}

	start := time.Now()
	netlabtest.WaitFor(t, "the first RA", 30*time.Second, func() bool { return lastRA(start) != nil })
	if diff := cmp.Diff(map[string]time.Duration{"2001:db8::53": 30 * time.Minute}, serveRDNSS(lastRA(start).Msg)); diff != "" {
		t.Errorf("first RA RDNSS (-want +got):\n%s", diff)
	}

	t.Run("http", func(t *testing.T) {
		metrics := fetch(t, "/metrics")
		for _, want := range []string{
			fmt.Sprintf(`ralab_ra_sent_total{interface=%q,kind="initial"} 1`, netlab.BridgeName),
			fmt.Sprintf(`ralab_interface_advertising{interface=%q} 1`, netlab.BridgeName),
			fmt.Sprintf(`ralab_ra_advertised_lifetime_seconds{interface=%q,option="rdnss"} 1800`, netlab.BridgeName),
			fmt.Sprintf(`ralab_ra_advertised_lifetime_seconds{interface=%q,option="router"} 1800`, netlab.BridgeName),
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		var st []advertiser.Status
		if err := json.Unmarshal([]byte(fetch(t, "/ra")), &st); err != nil {
			t.Fatalf("/ra: %v", err)
		}
		if len(st) != 1 || st[0].State != "advertising" || st[0].RA == nil || st[0].NextRA == nil {
			t.Fatalf("/ra = %+v, want %s advertising with an RA and the next one scheduled", st, netlab.BridgeName)
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
		if err := srv.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		netlabtest.WaitFor(t, "the reload to be rejected", 30*time.Second, func() bool {
			return strings.Contains(serveOutput(srv), "reload rejected")
		})
		if srv.Exited() {
			t.Fatal("ralab serve exited on an invalid reload")
		}
	})

	// An endless file or a FIFO in place of the configuration is refused
	// at once; the running configuration stays on the wire.
	t.Run("endless reload kept", func(t *testing.T) {
		for i, target := range []string{"/dev/zero", "fifo"} {
			if err := os.Remove(cfgPath); err != nil {
				t.Fatal(err)
			}
			if target == "fifo" {
				if err := syscall.Mkfifo(cfgPath, 0o600); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Symlink(target, cfgPath); err != nil {
				t.Fatal(err)
			}
			if err := srv.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			netlabtest.WaitFor(t, "the reload of "+target+" to be rejected", 30*time.Second, func() bool {
				return strings.Count(serveOutput(srv), "not a regular file") > i
			})
		}
		if srv.Exited() {
			t.Fatal("ralab serve exited on an endless reload")
		}
		// The invalid reload before, and these two.
		if want := `ralab_config_reloads_total{result="rejected"} 3`; !strings.Contains(fetch(t, "/metrics"), want) {
			t.Errorf("/metrics lacks %s", want)
		}
		out, err := l.cli.Run(t.Context(), "rdisc6", "-1", "-r", "3", "-w", "1000", netlab.HostIfName)
		if err != nil {
			t.Fatalf("rdisc6 after the rejected reloads: %v\n%s", err, out)
		}
		if !regexp.MustCompile(`Recursive DNS server\s*:\s*2001:db8::53\b`).Match(out) {
			t.Errorf("rdisc6 after the rejected reloads shows no RDNSS 2001:db8::53:\n%s", out)
		}
		if err := os.Remove(cfgPath); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("valid reload", func(t *testing.T) {
		write(serveConfig("2001:db8::54", false, false))
		hup := time.Now()
		if err := srv.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		netlabtest.WaitFor(t, "the reload RA", 30*time.Second, func() bool { return lastRA(hup) != nil })
		want := map[string]time.Duration{"2001:db8::53": 0, "2001:db8::54": 30 * time.Minute}
		if diff := cmp.Diff(want, serveRDNSS(lastRA(hup).Msg)); diff != "" {
			t.Errorf("reload RA RDNSS (-want +got):\n%s", diff)
		}
		if want := fmt.Sprintf(`ralab_ra_sent_total{interface=%q,kind="reload"} 1`, netlab.BridgeName); !strings.Contains(fetch(t, "/metrics"), want) {
			t.Error("/metrics does not count the reload RA")
		}
	})

	status := func(t *testing.T) map[string]string {
		t.Helper()
		var st []advertiser.Status
		if err := json.Unmarshal([]byte(fetch(t, "/ra")), &st); err != nil {
			t.Fatalf("/ra: %v", err)
		}
		out := map[string]string{}
		for _, s := range st {
			out[s.Interface] = s.State
		}
		return out
	}
	run := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		out, err := rtr.Run(t.Context(), name, args...)
		if err != nil {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		return string(out)
	}
	listening547 := func(t *testing.T) bool {
		return strings.Contains(run(t, "ss", "-Hlun", "sport = :547"), ":547")
	}
	acceptRA := func(t *testing.T, ifname string) string {
		b, _ := rtr.Run(t.Context(), "cat", "/proc/sys/net/ipv6/conf/"+ifname+"/accept_ra")
		return strings.TrimSpace(string(b))
	}

	t.Run("add interface and DHCPv6", func(t *testing.T) {
		// D0 does not exist yet: it is waited for.
		write(serveConfig("2001:db8::54", true, true))
		if err := srv.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		netlabtest.WaitFor(t, "D0 waiting", 30*time.Second, func() bool { return status(t)["D0"] == "waiting" })
		// No dummy module in every kernel: a veth pair inside the router
		// namespace has carrier too.
		run(t, "ip", "link", "add", "D0", "type", "veth", "peer", "name", "D1")
		run(t, "ip", "link", "set", "D1", "up")
		created := time.Now()
		run(t, "ip", "link", "set", "D0", "up")
		netlabtest.WaitFor(t, "D0 advertising", 30*time.Second, func() bool { return status(t)["D0"] == "advertising" })
		t.Logf("D0 advertising %v after it came up", time.Since(created))
		netlabtest.WaitFor(t, "DHCPv6 listening on port 547", 30*time.Second, func() bool { return listening547(t) })
		if got := acceptRA(t, "D0"); got != "0" {
			t.Errorf("D0 accept_ra = %s while advertising, want 0", got)
		}
	})

	t.Run("remove interface and DHCPv6", func(t *testing.T) {
		write(serveConfig("2001:db8::54", false, false))
		if err := srv.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		netlabtest.WaitFor(t, "D0 gone from /ra", 30*time.Second, func() bool {
			_, ok := status(t)["D0"]
			return !ok
		})
		netlabtest.WaitFor(t, "DHCPv6 to stop", 30*time.Second, func() bool { return !listening547(t) })
		netlabtest.WaitFor(t, "D0 accept_ra restored", 30*time.Second, func() bool { return acceptRA(t, "D0") == "1" })
		if diff := cmp.Diff(map[string]string{netlab.BridgeName: "advertising"}, status(t)); diff != "" {
			t.Errorf("/ra states (-want +got):\n%s", diff)
		}
	})

	t.Run("SIGTERM", func(t *testing.T) {
		stop := time.Now()
		if err := srv.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitServeExit(t, srv, 30*time.Second, "SIGTERM")
		t.Logf("shutdown took %v", time.Since(stop))
		var final []serveRA
		netlabtest.WaitFor(t, "final RAs", 10*time.Second, func() bool {
			final = nil
			for _, r := range serveRAs(t, pcap) {
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
	l.stopCapture(t)
}

// TestServeWithoutCapNetRaw checks the error when the process lacks
// CAP_NET_RAW: root with the capability dropped from its bounding set.
func TestServeWithoutCapNetRaw(t *testing.T) {
	requireServeLab(t, "setpriv")
	rtr := netlabtest.New(t).Router()
	cfgPath := filepath.Join(t.TempDir(), "ralab.toml")
	if err := os.WriteFile(cfgPath, []byte(serveConfig("2001:db8::53", false, false)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := rtr.Command(ctx, "setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw", os.Args[0], "-test.run=^TestServeHelper$")
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
