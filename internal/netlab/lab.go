package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// BridgeName is the name of the bridge in the router namespace: the link
// the router serves and every host is attached to.
const BridgeName = "lab0"

// RouterMAC is the fixed MAC address of the bridge, so the router's
// link-local address is always fe80::ff:fe00:100.
const RouterMAC = "02:00:00:00:01:00"

// HostIfName is the name of every host's interface inside its namespace.
const HostIfName = "eth0"

// DefaultGrace is how long Close and Process.Stop wait after SIGTERM
// before they send SIGKILL.
const DefaultGrace = 5 * time.Second

// leftoverGrace is how long Close and CleanStale wait after SIGTERM to
// untracked processes left in a namespace before SIGKILL.
const leftoverGrace = time.Second

// Errors returned by the package.
var (
	// ErrClosed is returned when a Lab is used after Close.
	ErrClosed = errors.New("netlab: lab is closed")
	// ErrNotRoot is returned by Check when the process is not root.
	ErrNotRoot = errors.New("netlab: needs root")
	// ErrMissingTool is returned when a required program is not installed.
	ErrMissingTool = errors.New("netlab: missing tool")
	// ErrBadName is returned for an invalid host name.
	ErrBadName = errors.New("netlab: invalid host name")
	// ErrBadMAC is returned for an invalid or non-unicast MAC address.
	ErrBadMAC = errors.New("netlab: invalid MAC address")
	// ErrDuplicate is returned when a host name or MAC is already used.
	ErrDuplicate = errors.New("netlab: duplicate host")
)

// hostNameRE restricts host names so that namespace names stay short and
// safe in paths; "rtr" is reserved for the router.
var hostNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,15}$`)

// Check reports whether the lab can run here: it needs root and the ip
// command. The error wraps ErrNotRoot or ErrMissingTool.
func Check() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	return LookTool("ip", "iproute2")
}

// LookTool reports whether the program name is installed; the error wraps
// ErrMissingTool and names the Debian package pkg that provides it.
func LookTool(name, pkg string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%w: %s (Debian package %s)", ErrMissingTool, name, pkg)
	}
	return nil
}

// Options configures New.
type Options struct {
	// Dir is where the lab's state directory is created; empty means
	// os.TempDir().
	Dir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Grace is the time between SIGTERM and SIGKILL when processes are
	// stopped; zero means DefaultGrace.
	Grace time.Duration
	// KeepDir keeps the state directory (logs, client state, captures)
	// after Close.
	KeepDir bool
}

// A Lab is a set of network namespaces around one bridge. Its methods are
// safe for concurrent use. Call Close on every exit path.
type Lab struct {
	prefix string
	dir    string
	log    *slog.Logger
	grace  time.Duration
	keep   bool
	marker string
	router *Host

	// markerMu serialises writeMarker, so concurrent AddHost calls neither
	// share its temporary file nor write an older namespace list last.
	markerMu sync.Mutex

	mu         sync.Mutex
	closed     bool
	namespaces []string
	hosts      []*Host
	procs      []*Process
	nextVeth   int
}

// New creates a lab: its state directory, its marker file and the router
// namespace with the bridge, which has its link-local address when New
// returns, so a server can start before any host exists. On error nothing
// is left behind.
func New(ctx context.Context, opts Options) (*Lab, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	prefix, err := newPrefix()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(opts.Dir, stateDirPrefix+prefix+"-")
	if err != nil {
		return nil, fmt.Errorf("netlab: state dir: %w", err)
	}
	// Daemons that drop root (networkd, dnsmasq) must reach their files.
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("netlab: state dir: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	grace := opts.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	l := &Lab{
		prefix: prefix,
		dir:    dir,
		log:    log.With("lab", prefix),
		grace:  grace,
		keep:   opts.KeepDir,
		marker: filepath.Join(MarkerDir, prefix+".json"),
	}
	if err := l.writeMarker(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := l.createRouter(ctx); err != nil {
		l.keep = false // nothing worth keeping yet
		return nil, errors.Join(err, l.Close())
	}
	l.log.Info("lab created", "dir", dir, "router", l.router.Namespace)
	return l, nil
}

// newPrefix returns "rl" and six random hex digits.
func newPrefix() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("netlab: random prefix: %w", err)
	}
	return "rl" + hex.EncodeToString(b[:]), nil
}

// Prefix returns the lab's unique name prefix, such as "rl1a2b3c".
func (l *Lab) Prefix() string { return l.prefix }

// Dir returns the lab's state directory.
func (l *Lab) Dir() string { return l.dir }

// Router returns the router host: its namespace holds the bridge
// BridgeName, which is its IfName.
func (l *Lab) Router() *Host { return l.router }

// Hosts returns the hosts added so far, in order.
func (l *Lab) Hosts() []*Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Host(nil), l.hosts...)
}

// addNamespace records ns in the marker, then creates it, so that a run
// killed in between still lists it.
func (l *Lab) addNamespace(ctx context.Context, ns string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.namespaces = append(l.namespaces, ns)
	l.mu.Unlock()
	if err := l.writeMarker(); err != nil {
		return err
	}
	if _, err := run(ctx, "ip", "netns", "add", ns); err != nil {
		return err
	}
	// Resolver isolation: "ip netns exec" bind-mounts this file over
	// /etc/resolv.conf only if it exists (lab-recipes.md).
	if err := os.MkdirAll(netnsEtc(ns), 0o755); err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	if err := os.WriteFile(filepath.Join(netnsEtc(ns), "resolv.conf"), nil, 0o644); err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	return nil
}

// netnsEtc returns the per-namespace /etc overlay directory of ip-netns(8).
func netnsEtc(ns string) string { return filepath.Join("/etc/netns", ns) }

// createRouter creates the router namespace with the bridge.
func (l *Lab) createRouter(ctx context.Context) error {
	ns := l.prefix + "-rtr"
	if err := l.addNamespace(ctx, ns); err != nil {
		return err
	}
	mac, _ := net.ParseMAC(RouterMAC)
	h, err := l.newHost("rtr", ns, BridgeName, mac)
	if err != nil {
		return err
	}
	if err := h.prepare(ctx); err != nil {
		return err
	}
	// A bridge without ports has no carrier, hence no link-local address,
	// and a server started before the first host could not bind to it. A
	// veth pair inside the router namespace, one end a bridge port and the
	// other up with IPv6 disabled, keeps the carrier on and sends nothing.
	if _, err := run(ctx, "ip", "-n", ns, "link", "add", anchorPort, "type", "veth", "peer", "name",
		anchorPeer); err != nil {
		return err
	}
	for _, k := range []string{anchorPort, anchorPeer} {
		if err := h.Sysctl(ctx, "net.ipv6.conf."+k+".disable_ipv6", "1"); err != nil {
			return err
		}
	}
	if _, err := run(ctx, "ip", "-n", ns, "link", "set", anchorPeer, "up"); err != nil {
		return err
	}
	if err := h.Sysctl(ctx, "net.ipv6.conf.all.forwarding", "1"); err != nil {
		return err
	}
	if err := addBridge(ctx, h, nil); err != nil {
		return err
	}
	l.router = h
	return nil
}

// addBridge creates the bridge in the router namespace of r, enslaves the
// anchor port and the hosts' ports to it, brings it up and waits for
// its link-local address.
func addBridge(ctx context.Context, r *Host, ports []string) error {
	ns := r.Namespace
	if _, err := run(ctx, "ip", "-n", ns, "link", "add", BridgeName, "address", RouterMAC, "type",
		"bridge"); err != nil {
		return err
	}
	for _, p := range append([]string{anchorPort}, ports...) {
		if _, err := run(ctx, "ip", "-n", ns, "link", "set", p, "master", BridgeName, "up"); err != nil {
			return err
		}
	}
	if _, err := run(ctx, "ip", "-n", ns, "link", "set", BridgeName, "up"); err != nil {
		return err
	}
	return r.waitLinkLocal(ctx)
}

// DeleteBridge deletes the router's bridge BridgeName, as when a served
// interface goes away under a daemon. The hosts keep their links and
// addresses; their router-side ends stay in the router namespace,
// detached, until RestoreBridge. It must not run concurrently with
// AddHost.
func (l *Lab) DeleteBridge(ctx context.Context) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	_, err := run(ctx, "ip", "-n", l.router.Namespace, "link", "del", BridgeName)
	return err
}

// RestoreBridge creates the bridge again after DeleteBridge, with the
// same name and MAC, reattaches every host, and returns once the router's
// link-local address is usable again.
func (l *Lab) RestoreBridge(ctx context.Context) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	var ports []string
	for _, h := range l.Hosts() {
		ports = append(ports, h.port)
	}
	return addBridge(ctx, l.router, ports)
}

// checkOpen returns ErrClosed once the lab is closed.
func (l *Lab) checkOpen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// The anchor veth pair of the router namespace; see createRouter.
const (
	anchorPort = "lab0anchor"
	anchorPeer = "lab0anchorpeer"
)

// newHost makes the Host value and its state directory.
func (l *Lab) newHost(name, ns, ifname string, mac net.HardwareAddr) (*Host, error) {
	dir := filepath.Join(l.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	return &Host{lab: l, Name: name, Namespace: ns, IfName: ifname, MAC: mac, dir: dir}, nil
}

// AddHost creates a client namespace "<prefix>-<name>" joined to the
// bridge. Its interface HostIfName has the fixed MAC mac, accept_ra=2,
// and no DAD; AddHost returns once its link-local address (see
// Host.LinkLocal) is usable. The router end of the veth is enslaved to the
// bridge.
func (l *Lab) AddHost(ctx context.Context, name, mac string) (*Host, error) {
	if !hostNameRE.MatchString(name) || name == "rtr" {
		return nil, fmt.Errorf("%w: %q (want [a-z0-9_], 1-16 characters, not \"rtr\")", ErrBadName, name)
	}
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
		return nil, fmt.Errorf("%w: %q (want a unicast EUI-48)", ErrBadMAC, mac)
	}
	l.mu.Lock()
	for _, h := range l.hosts {
		if h.Name == name || h.MAC.String() == hw.String() {
			l.mu.Unlock()
			return nil, fmt.Errorf("%w: %s %s", ErrDuplicate, name, hw)
		}
	}
	l.nextVeth++
	veth := fmt.Sprintf("vh%d", l.nextVeth)
	l.mu.Unlock()

	ns := l.prefix + "-" + name
	if err := l.addNamespace(ctx, ns); err != nil {
		return nil, err
	}
	h, err := l.newHost(name, ns, HostIfName, hw)
	if err != nil {
		return nil, err
	}
	h.port = veth
	if err := h.prepare(ctx); err != nil {
		return nil, err
	}
	rtr := l.router.Namespace
	// Both ends are created directly in their namespaces (lab-recipes.md).
	if _, err := run(ctx, "ip", "link", "add", veth, "netns", rtr, "type", "veth",
		"peer", "name", HostIfName, "netns", ns, "address", hw.String()); err != nil {
		return nil, err
	}
	if _, err := run(ctx, "ip", "-n", rtr, "link", "set", veth, "master", BridgeName, "up"); err != nil {
		return nil, err
	}
	if err := h.Sysctl(ctx, "net.ipv6.conf."+HostIfName+".accept_ra", "2"); err != nil {
		return nil, err
	}
	// IPv6 stays off until the bridge forwards from the port: the
	// kernel sends its one Router Solicitation as soon as the
	// link-local address is there, and the bridge drops frames from a
	// port whose carrier change it has not processed yet (linkwatch
	// runs it asynchronously, late on a loaded machine), so that
	// solicitation could be lost, and with it the only packet of a
	// client that sends nothing itself (rdnssd).
	if err := h.Sysctl(ctx, "net.ipv6.conf."+HostIfName+".disable_ipv6", "1"); err != nil {
		return nil, err
	}
	if _, err := run(ctx, "ip", "-n", ns, "link", "set", HostIfName, "up"); err != nil {
		return nil, err
	}
	if err := l.waitForwarding(ctx, veth); err != nil {
		return nil, err
	}
	if err := h.Sysctl(ctx, "net.ipv6.conf."+HostIfName+".disable_ipv6", "0"); err != nil {
		return nil, err
	}
	// Clients such as dhclient exit at once if the link-local address is
	// not there yet; it appears shortly after the veth's carrier.
	if err := h.waitLinkLocal(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.hosts = append(l.hosts, h)
	l.mu.Unlock()
	l.log.Debug("host added", "host", name, "mac", hw.String(), "netns", ns)
	return h, nil
}

// waitForwarding waits until the bridge port port of the router
// namespace is in the forwarding state.
func (l *Lab) waitForwarding(ctx context.Context, port string) error {
	return pollBackoff(ctx, 10*time.Millisecond, linkLocalTimeout, func() (bool, error) {
		out, err := run(ctx, "ip", "-n", l.router.Namespace, "-d", "-j", "link", "show", "dev", port)
		state := ""
		if err == nil {
			state, err = parseBridgePortState(out)
		}
		if state == "forwarding" {
			return true, nil
		}
		return false, fmt.Errorf("netlab: bridge port %s not forwarding after %v (state %q, %v)", port, linkLocalTimeout, state, err)
	})
}

// Close stops every process (SIGTERM, then SIGKILL after the grace
// period), kills anything else left in the lab's namespaces, deletes the
// namespaces and their /etc/netns directories, removes the marker and,
// unless Options.KeepDir was set, the state directory. It is safe to call
// more than once and uses its own timeout, not a caller's context, so it
// also works after Ctrl-C.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := l.procs
	nss := l.namespaces
	l.mu.Unlock()

	var errs []error
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Stop()
		}()
	}
	wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Hosts first, the router (first in the list) last. Tracked processes
	// had their grace period; what is left (children such as dhcpcd's
	// privilege-separation helpers) gets a short one.
	for i := len(nss) - 1; i >= 0; i-- {
		if err := removeNamespace(ctx, nss[i], leftoverGrace); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.Remove(l.marker); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("netlab: %w", err))
		}
	}
	if !l.keep {
		if err := os.RemoveAll(l.dir); err != nil {
			errs = append(errs, fmt.Errorf("netlab: %w", err))
		}
	}
	l.log.Info("lab removed", "namespaces", len(nss), "errors", len(errs))
	return errors.Join(errs...)
}

// removeNamespace kills every process in ns, deletes it and its
// /etc/netns directory. A namespace that does not exist is not an error.
func removeNamespace(ctx context.Context, ns string, grace time.Duration) error {
	var errs []error
	if _, err := os.Stat(filepath.Join("/run/netns", ns)); err == nil {
		if err := killNamespace(ctx, ns, grace); err != nil {
			errs = append(errs, err)
		}
		if _, err := run(ctx, "ip", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(netnsEtc(ns)); err != nil {
		errs = append(errs, fmt.Errorf("netlab: %w", err))
	}
	return errors.Join(errs...)
}

// killNamespace sends SIGTERM to every process in ns, then SIGKILL to
// those still there after grace.
func killNamespace(ctx context.Context, ns string, grace time.Duration) error {
	pids, err := namespacePIDs(ctx, ns)
	if err != nil || len(pids) == 0 {
		return err
	}
	for _, pid := range pids {
		_ = signalPID(pid, false)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if pids, err = namespacePIDs(ctx, ns); err != nil || len(pids) == 0 {
			return err
		}
	}
	for _, pid := range pids {
		_ = signalPID(pid, true)
	}
	return nil
}

// namespacePIDs lists the processes in ns with "ip netns pids", except
// this process: it counts as in ns while InNamespace's f happens to run
// there on its main thread, and a lab must never signal its own process.
func namespacePIDs(ctx context.Context, ns string) ([]int, error) {
	out, err := run(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 0 && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// run runs a command and returns its standard output; on failure the
// error carries the command line and its standard error.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("netlab: %s %s: %w: %s", name, strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
