package hoststate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultDir is the state directory when neither a flag nor systemd's
// $STATE_DIRECTORY (StateDirectory=ralab) names one.
const DefaultDir = "/var/lib/ralab"

// Dir returns the state directory: flag when not empty, else the first
// directory of $STATE_DIRECTORY, else DefaultDir.
func Dir(flag string) string {
	if flag != "" {
		return flag
	}
	if d, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	return DefaultDir
}

// maxRecordBytes bounds a record file: a record holds a few sysctls and
// the responder's addresses and routes.
const maxRecordBytes = 64 << 10

// suffix ends the name of every record file, "<interface>.host.json".
const suffix = ".host.json"

// Sysctl is a per-interface IPv6 sysctl and the value it had before
// ralab changed it.
type Sysctl struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Record is what one ralab process changed on one interface.
type Record struct {
	// Interface is the interface name.
	Interface string `json:"interface"`
	// PID, StartTime (field 22 of /proc/PID/stat) and BootID
	// (/proc/sys/kernel/random/boot_id) identify the process that wrote
	// the record, so that a reused PID or a reboot is not mistaken for it.
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	BootID    string `json:"boot_id"`
	// Sysctls hold the original values of the sysctls changed.
	Sysctls []Sysctl `json:"sysctls,omitempty"`
	// Addresses are /128 addresses added; Routes on-link routes added
	// (protocol static, through the interface).
	Addresses []netip.Addr   `json:"addresses,omitempty"`
	Routes    []netip.Prefix `json:"routes,omitempty"`
}

// empty reports whether r records no change.
func (r *Record) empty() bool {
	return len(r.Sysctls) == 0 && len(r.Addresses) == 0 && len(r.Routes) == 0
}

// self identifies the running process.
type self struct {
	pid       int
	startTime uint64
	bootID    string
}

// current returns the identity of the running process.
func current() (self, error) {
	pid := os.Getpid()
	st, err := startTime(pid)
	if err != nil {
		return self{}, err
	}
	boot, err := bootID()
	return self{pid: pid, startTime: st, bootID: boot}, err
}

// bootID returns the kernel's boot ID, which changes at every boot.
func bootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b)), err
}

// startTime returns the start time (field 22) of /proc/PID/stat, or an
// error when the process does not exist or is a zombie.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("hoststate: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, fmt.Errorf("hoststate: /proc/%d/stat: unexpected format", pid)
	}
	if f[0] == "Z" {
		return 0, fmt.Errorf("hoststate: process %d is a zombie", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// alive reports whether the process that wrote r still runs.
func (r *Record) alive() bool {
	boot, err := bootID()
	if err != nil || boot != r.BootID {
		return false
	}
	st, err := startTime(r.PID)
	return err == nil && st == r.StartTime
}

// A Journal records the changes of the running process, one file per
// interface in its directory. A nil *Journal records nothing. Its methods
// are safe for concurrent use.
type Journal struct {
	dir  string
	self self
	mu   sync.Mutex
	recs map[string]*Record
}

// Open returns a Journal writing to dir, which it creates (mode 0700)
// when missing and checks it can write to.
func Open(dir string) (*Journal, error) {
	s, err := current()
	if err != nil {
		return nil, fmt.Errorf("hoststate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hoststate: %w", err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return nil, fmt.Errorf("hoststate: state directory %s is not writable: %w", dir, err)
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return &Journal{dir: dir, self: s, recs: map[string]*Record{}}, nil
}

// path returns the record file of ifname; names with a separator are
// refused (Linux interface names never have one).
func (j *Journal) path(ifname string) (string, error) {
	return recordPath(j.dir, ifname)
}

func recordPath(dir, ifname string) (string, error) {
	if ifname == "" || ifname == "." || ifname == ".." || strings.ContainsAny(ifname, "/\x00") {
		return "", fmt.Errorf("hoststate: invalid interface name %q", ifname)
	}
	return filepath.Join(dir, ifname+suffix), nil
}

// update changes the record of ifname with f and writes it (or removes
// the file when the record is empty). f reports whether it changed
// anything.
func (j *Journal) update(ifname string, f func(r *Record) bool) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.recs[ifname]
	if !ok {
		r = &Record{Interface: ifname, PID: j.self.pid, StartTime: j.self.startTime, BootID: j.self.bootID}
		j.recs[ifname] = r
	}
	if !f(r) {
		return nil
	}
	p, err := j.path(ifname)
	if err != nil {
		return err
	}
	if r.empty() {
		delete(j.recs, ifname)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("hoststate: %w", err)
		}
		return nil
	}
	return writeRecord(p, r)
}

// writeRecord replaces the file p with r, atomically.
func writeRecord(p string, r *Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("hoststate: %w", err)
	}
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("hoststate: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("hoststate: %w", err)
	}
	return nil
}

// SaveSysctl records, before it is changed, the original value of the
// sysctl key of ifname. A key already recorded keeps its first value.
func (j *Journal) SaveSysctl(ifname, key, value string) error {
	return j.update(ifname, func(r *Record) bool {
		if slices.ContainsFunc(r.Sysctls, func(s Sysctl) bool { return s.Key == key }) {
			return false
		}
		r.Sysctls = append(r.Sysctls, Sysctl{Key: key, Value: value})
		return true
	})
}

// ForgetSysctls records that the sysctls of ifname are restored.
func (j *Journal) ForgetSysctls(ifname string) error {
	return j.update(ifname, func(r *Record) bool {
		changed := len(r.Sysctls) > 0
		r.Sysctls = nil
		return changed
	})
}

// AddAddr records, before it is added, a /128 address on ifname.
func (j *Journal) AddAddr(ifname string, a netip.Addr) error {
	return j.update(ifname, func(r *Record) bool { return addTo(&r.Addresses, a) })
}

// ForgetAddr records that the address a of ifname is gone (removed, or
// never added after all).
func (j *Journal) ForgetAddr(ifname string, a netip.Addr) error {
	return j.update(ifname, func(r *Record) bool { return removeFrom(&r.Addresses, a) })
}

// AddRoute records, before it is added, an on-link route to p through
// ifname.
func (j *Journal) AddRoute(ifname string, p netip.Prefix) error {
	return j.update(ifname, func(r *Record) bool { return addTo(&r.Routes, p) })
}

// ForgetRoute records that the route to p through ifname is gone.
func (j *Journal) ForgetRoute(ifname string, p netip.Prefix) error {
	return j.update(ifname, func(r *Record) bool { return removeFrom(&r.Routes, p) })
}

func addTo[T comparable](s *[]T, v T) bool {
	if slices.Contains(*s, v) {
		return false
	}
	*s = append(*s, v)
	return true
}

func removeFrom[T comparable](s *[]T, v T) bool {
	i := slices.Index(*s, v)
	if i < 0 {
		return false
	}
	*s = slices.Delete(*s, i, i+1)
	return true
}

// readRecord reads the record file p, at most maxRecordBytes.
func readRecord(p string) (*Record, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRecordBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxRecordBytes)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if _, err := recordPath(filepath.Dir(p), r.Interface); err != nil || filepath.Base(p) != r.Interface+suffix {
		return nil, fmt.Errorf("names interface %q", r.Interface)
	}
	return &r, nil
}

// Host is what Recover changes: tests substitute a fake.
type Host interface {
	// SetSysctl writes value to the per-interface IPv6 sysctl key.
	SetSysctl(ifname, key, value string) error
	// DelAddr removes the /128 address a from ifname; DelRoute the
	// static on-link route to p through ifname. Both return an error
	// wrapping fs.ErrNotExist when there is nothing to remove.
	DelAddr(ifname string, a netip.Addr) error
	DelRoute(ifname string, p netip.Prefix) error
}

// Recover undoes the records in dir whose process no longer runs, logging
// each change it undoes, and removes them. Records of running processes
// (another ralab serving other interfaces) are left alone. A missing dir
// holds no records. It returns the problems it met; each record is
// removed even if part of it could not be undone, so that a change that
// cannot be undone is reported once, not at every start.
func Recover(dir string, h Host, log *slog.Logger) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		return fmt.Errorf("hoststate: %w", err)
	}
	var errs []error
	for _, p := range paths {
		r, err := readRecord(p)
		if err != nil {
			log.Warn("unreadable host state record; removing it", "file", p, "err", err)
			errs = append(errs, fmt.Errorf("hoststate: %s: %w", p, err))
			_ = os.Remove(p)
			continue
		}
		if r.alive() {
			continue
		}
		errs = append(errs, undo(r, h, log)...)
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("hoststate: %w", err))
		}
	}
	return errors.Join(errs...)
}

// undo reverts what r records, routes before addresses, and logs it.
func undo(r *Record, h Host, log *slog.Logger) []error {
	log = log.With("interface", r.Interface, "pid", r.PID)
	log.Warn("a previous ralab run ended without restoring the host; restoring",
		"sysctls", len(r.Sysctls), "addresses", len(r.Addresses), "routes", len(r.Routes))
	var errs []error
	note := func(what string, v any, err error) {
		switch {
		case err == nil:
			log.Info("restored after unclean exit", what, v)
		case errors.Is(err, fs.ErrNotExist):
			log.Info("already gone after unclean exit", what, v)
		default:
			log.Warn("cannot restore after unclean exit", what, v, "err", err)
			errs = append(errs, fmt.Errorf("hoststate: %s %v on %s: %w", what, v, r.Interface, err))
		}
	}
	for _, p := range r.Routes {
		note("route", p, h.DelRoute(r.Interface, p))
	}
	for _, a := range r.Addresses {
		note("address", a, h.DelAddr(r.Interface, a))
	}
	for i := len(r.Sysctls) - 1; i >= 0; i-- {
		s := r.Sysctls[i]
		note("sysctl", s.Key+"="+s.Value, h.SetSysctl(r.Interface, s.Key, s.Value))
	}
	return errs
}
