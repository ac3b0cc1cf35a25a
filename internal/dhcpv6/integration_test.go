package dhcpv6

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// helperEnv carries the JSON configuration to the server helper process.
const helperEnv = "RALAB_DHCPV6_TEST_SERVER"

// TestMain doubles as the server helper process: run with helperEnv set
// (inside a network namespace), the test binary runs the real Server on the
// configured interface, binding port 547, until SIGTERM.
func TestMain(m *testing.M) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		os.Exit(m.Run())
	}
	var ifc config.Interface
	if err := json.Unmarshal([]byte(raw), &ifc); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewServer(ifc, log, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err = s.Run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// lab is a netlab lab for one test: the server runs in the router
// namespace on the bridge, the clients on host c1.
type lab struct {
	t        *testing.T
	nl       *netlabtest.Lab
	srv, cli *netlab.Host
}

// run runs a command and fails the test on error.
func (l *lab) run(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newLab builds a lab with one client host, c1 (02:00:00:00:02:01).
func newLab(t *testing.T) *lab {
	t.Helper()
	nl := netlabtest.New(t)
	return &lab{t: t, nl: nl, srv: nl.Router(), cli: nl.Host(t, "c1", "02:00:00:00:02:01")}
}

// waitCapture sends Router Solicitations (rdisc6) from the client
// namespace until tshark shows one.
func (l *lab) waitCapture(tshark *proc) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, _ = l.cli.Run(l.t.Context(), "rdisc6", "-1", "-r", "1", "-w", "200", l.cli.IfName)
		select {
		case line := <-tshark.lines:
			if strings.Contains(line, "Router Solicitation") {
				return
			}
		case <-time.After(500 * time.Millisecond):
		}
	}
	l.t.Fatal("tshark never showed the canary Router Solicitation")
}

// proc is a background process whose output is scanned for a line.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
	mu    sync.Mutex
	out   bytes.Buffer
}

// output returns what the process printed so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start starts cmd (from netlab.Host.Command) with extra environment
// env, kills it at cleanup if still running, and collects its output
// (stdout and stderr).
func start(t *testing.T, cmd *exec.Cmd, env ...string) *proc {
	t.Helper()
	p := &proc{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
	}
	go func() {
		defer close(p.done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s output:\n%s", strings.Join(cmd.Args, " "), p.output())
		}
	})
	return p
}

// waitLine waits for an output line containing s.
func (p *proc) waitLine(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-p.done:
			t.Fatalf("%s exited before printing %q:\n%s", p.cmd.Path, s, p.output())
		case <-deadline:
			t.Fatalf("%s did not print %q within %v", p.cmd.Path, s, timeout)
		}
	}
}

// stop signals the process and waits for it to exit.
func (p *proc) stop(sig syscall.Signal) error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
	}
	return p.cmd.Wait()
}

// labIfc is the server configuration of the lab tests.
func labIfc() config.Interface {
	return config.Interface{Name: netlab.BridgeName, DHCPv6: config.DHCPv6{
		Enabled:                true,
		DNSServers:             []netip.Addr{netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54")},
		Domains:                []string{"lab.example", "example.org"},
		InformationRefreshTime: 2 * time.Hour,
		OptionPolicy:           config.PolicyIncludeDNS,
		Solicit:                config.SolicitNoAddrsAvail,
		RatePerClient:          10,
		BurstPerClient:         10,
	}}
}

// startServer runs the real server (the test binary in helper mode, see
// TestMain) in the server namespace and waits until it listens.
func (l *lab) startServer(ifc config.Interface) *proc {
	l.t.Helper()
	cfg, err := json.Marshal(ifc)
	if err != nil {
		l.t.Fatal(err)
	}
	server := start(l.t, l.srv.Command(l.t.Context(), os.Args[0]), helperEnv+"="+string(cfg))
	server.waitLine(l.t, "dhcpv6 server listening", 60*time.Second)
	return server
}

// dhclient runs "dhclient -6 -S" in the client namespace with its own
// files under dir/name, waits for its hook to see DNS servers, stops it
// and returns the hook's new_dhcp6_* variables.
func (l *lab) dhclient(dir, name string) map[string]string {
	l.t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		l.t.Fatal(err)
	}
	hook := filepath.Join(d, "hook.sh")
	hookLog := filepath.Join(d, "hook.log")
	script := fmt.Sprintf("#!/bin/sh\n{ echo \"reason=$reason\"; env; echo; } >> %s\n", hookLog)
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		l.t.Fatal(err)
	}
	conf := filepath.Join(d, "dhclient.conf")
	if err := os.WriteFile(conf, []byte("request dhcp6.name-servers, dhcp6.domain-search, dhcp6.info-refresh-time;\n"), 0o644); err != nil {
		l.t.Fatal(err)
	}
	p := start(l.t, l.cli.Command(l.t.Context(), "dhclient", "-6", "-S", "-d", "-v",
		"-cf", conf, "-pf", filepath.Join(d, "dhclient.pid"), "-lf", filepath.Join(d, "dhclient.leases"),
		"-sf", hook, l.cli.IfName))
	defer p.stop(syscall.SIGTERM)

	var env string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(hookLog)
		if bytes.Contains(b, []byte("new_dhcp6_name_servers=")) {
			env = string(b)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if env == "" {
		l.t.Fatalf("dhclient hook never saw new_dhcp6_name_servers:\n%s", p.output())
	}
	vars := map[string]string{}
	for _, line := range strings.Split(env, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "new_dhcp6_") {
			vars[k] = strings.Trim(v, "'\"")
		}
	}
	return vars
}

// checkDhclientVars compares the hook variables with labIfc's options.
func checkDhclientVars(t *testing.T, vars map[string]string) {
	t.Helper()
	want := map[string]string{
		"new_dhcp6_name_servers":      "2001:db8::53 2001:db8::54",
		"new_dhcp6_domain_search":     "lab.example. example.org.",
		"new_dhcp6_info_refresh_time": "7200",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = vars[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dhclient hook environment (-want +got):\n%s\nall: %v", diff, vars)
	}
}

// TestIntegrationDhclient runs the real server in one namespace and ISC
// "dhclient -6 -S" in another; the client must get our DNS servers, search
// list and refresh time, and tshark must decode a well-formed Reply.
func TestIntegrationDhclient(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dhclient", "isc-dhcp-client")
	netlabtest.RequireTool(t, "tshark", "tshark")
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	l := newLab(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // tshark's dumpcap may drop privileges
		t.Fatal(err)
	}

	pcap := filepath.Join(dir, "dhcpv6.pcapng")
	// -P -l print each packet as it is captured, so the test knows the
	// capture is live (tshark says "Capturing on" before it is) and that
	// the Reply reached the file before it stops tshark.
	tshark := start(t, l.srv.Command(t.Context(), "tshark", "-n", "-l", "-P", "-i", l.srv.IfName, "-w", pcap,
		"-f", "udp port 546 or udp port 547 or icmp6"))
	tshark.waitLine(t, "Capturing on", 60*time.Second)
	l.waitCapture(tshark)

	server := l.startServer(labIfc())
	checkDhclientVars(t, l.dhclient(dir, "dhclient"))

	tshark.waitLine(t, "Reply", 60*time.Second)
	if err := server.stop(syscall.SIGTERM); err != nil {
		t.Errorf("server helper: %v\n%s", err, server.output())
	}
	if err := tshark.stop(syscall.SIGINT); err != nil {
		t.Errorf("stopping tshark: %v\n%s", err, tshark.output())
	}
	checkCapture(t, pcap)
}

// TestIntegrationInterfaceReturns deletes the served interface under a
// running server and creates it again: the server must bind again and
// answer.
func TestIntegrationInterfaceReturns(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dhclient", "isc-dhcp-client")
	l := newLab(t)
	dir := t.TempDir()
	server := l.startServer(labIfc())
	checkDhclientVars(t, l.dhclient(dir, "before"))

	if err := l.nl.DeleteBridge(t.Context()); err != nil {
		t.Fatalf("DeleteBridge: %v", err)
	}
	server.waitLine(t, "interface went away", 60*time.Second)
	if err := l.nl.RestoreBridge(t.Context()); err != nil {
		t.Fatalf("RestoreBridge: %v", err)
	}
	server.waitLine(t, "dhcpv6 server listening", 60*time.Second)
	checkDhclientVars(t, l.dhclient(dir, "after"))

	if err := server.stop(syscall.SIGTERM); err != nil {
		t.Errorf("server helper: %v\n%s", err, server.output())
	}
}

// checkCapture validates the Information-Request/Reply exchange with
// tshark's decoder (field names from lab-recipes.md).
func checkCapture(t *testing.T, pcap string) {
	t.Helper()
	fields := func(filter string, names ...string) [][]string {
		args := []string{"-n", "-r", pcap, "-Y", filter, "-T", "fields", "-E", "separator=|", "-E", "aggregator=,"}
		for _, n := range names {
			args = append(args, "-e", n)
		}
		out, err := exec.Command("tshark", args...).Output()
		if err != nil {
			t.Fatalf("tshark %v: %v", args, err)
		}
		var rows [][]string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				rows = append(rows, strings.Split(line, "|"))
			}
		}
		return rows
	}
	if bad := fields("_ws.malformed || _ws.expert.severity >= \"error\"", "frame.number"); len(bad) > 0 {
		t.Errorf("tshark flags malformed frames: %v", bad)
	}
	reqs := fields("dhcpv6.msgtype == 11", "dhcpv6.xid", "dhcpv6.duid.bytes")
	replies := fields("dhcpv6.msgtype == 7", "dhcpv6.xid", "dhcpv6.duid.bytes", "dhcpv6.duidll.link_layer_addr",
		"dhcpv6.option.type", "dhcpv6.dns_server", "dhcpv6.search_list_entry", "dhcpv6.lifetime", "ipv6.dst", "udp.dstport")
	if len(reqs) == 0 || len(replies) == 0 {
		t.Fatalf("capture has %d Information-Requests and %d Replies", len(reqs), len(replies))
	}
	req, rep := reqs[0], replies[0]
	type exchange struct {
		XID, ClientID, ServerMAC, Options, DNS, Search, Refresh, Dst, Port string
	}
	ids := strings.Split(rep[1], ",")
	macs := strings.Split(rep[2], ",")
	got := exchange{XID: rep[0], ClientID: ids[0], ServerMAC: macs[len(macs)-1], Options: rep[3], DNS: rep[4],
		Search: rep[5], Refresh: rep[6], Dst: rep[7], Port: rep[8]}
	want := exchange{
		XID: req[0], ClientID: req[1], ServerMAC: netlab.RouterMAC,
		Options: "1,2,23,24,32", DNS: "2001:db8::53,2001:db8::54", Search: "lab.example.,example.org.",
		Refresh: "7200", Dst: "fe80::ff:fe00:201", Port: "546",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reply as tshark decodes it (-want +got):\n%s", diff)
	}
}

// TestIntegrationTwoServers runs servers on two interfaces of one
// namespace: both must bind port 547 (SO_BINDTODEVICE), and only the
// server of the client's link may answer.
func TestIntegrationTwoServers(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dhclient", "isc-dhcp-client")
	l := newLab(t)
	// The server waits for D0's link-local address itself.
	l.run("ip", "-n", l.srv.Namespace, "link", "add", "D0", "type", "veth", "peer", "name", "D1")
	l.run("ip", "-n", l.srv.Namespace, "link", "set", "D0", "up")
	l.run("ip", "-n", l.srv.Namespace, "link", "set", "D1", "up")

	s0 := l.startServer(labIfc())
	other := labIfc()
	other.Name = "D0"
	other.DHCPv6.DNSServers = []netip.Addr{netip.MustParseAddr("2001:db8::dead")}
	d0 := l.startServer(other)
	checkDhclientVars(t, l.dhclient(t.TempDir(), "dhclient"))

	for _, p := range []*proc{s0, d0} {
		if err := p.stop(syscall.SIGTERM); err != nil {
			t.Errorf("server helper: %v\n%s", err, p.output())
		}
	}
	if !strings.Contains(s0.output(), "dhcpv6 reply") {
		t.Errorf("the lab bridge's server did not answer:\n%s", s0.output())
	}
	if strings.Contains(d0.output(), "dhcpv6 reply") {
		t.Errorf("the D0 server answered a client on the lab bridge:\n%s", d0.output())
	}
}

// TestIntegrationWideNoORO runs WIDE "dhcp6c -i", which sends an
// Information-Request without an Option Request option: the include-dns
// policy must still give it DNS servers and domains, strict must not.
func TestIntegrationWideNoORO(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dhcp6c", "wide-dhcpv6-client")
	tests := []struct {
		policy config.OptionPolicy
		want   bool
	}{
		{config.PolicyIncludeDNS, true},
		{config.PolicyStrict, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			l := newLab(t)
			ifc := labIfc()
			ifc.DHCPv6.OptionPolicy = tt.policy
			server := l.startServer(ifc)
			// dhcp6c keeps its DUID in /var/lib/dhcpv6: give it a private
			// tmpfs there (ip netns exec runs in its own mount namespace).
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := l.cli.Command(ctx, "sh", "-c",
				"mount -t tmpfs ralabt /var/lib/dhcpv6 && exec dhcp6c -i -f "+l.cli.IfName).CombinedOutput()
			if err != nil {
				t.Fatalf("dhcp6c -i: %v\n%s\nserver:\n%s", err, out, server.output())
			}
			t.Logf("dhcp6c -i output:\n%s", out)
			got := strings.Contains(string(out), "2001:db8::53") && strings.Contains(string(out), "lab.example")
			if got != tt.want {
				t.Errorf("dhcp6c -i got DNS and domains = %v, want %v; output:\n%s", got, tt.want, out)
			}
			if err := server.stop(syscall.SIGTERM); err != nil {
				t.Errorf("server helper: %v", err)
			}
			if !strings.Contains(server.output(), "dhcpv6 reply") {
				t.Errorf("server sent no reply:\n%s", server.output())
			}
		})
	}
}
