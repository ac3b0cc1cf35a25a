package hoststate

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeHost records what Recover undoes; gone lists what is already gone.
type fakeHost struct {
	did  []string
	gone map[string]bool
}

func (h *fakeHost) do(s string) error {
	if h.gone[s] {
		return fmt.Errorf("%s: %w", s, fs.ErrNotExist)
	}
	h.did = append(h.did, s)
	return nil
}

func (h *fakeHost) SetSysctl(ifname, key, value string) error {
	return h.do(ifname + " sysctl " + key + "=" + value)
}
func (h *fakeHost) DelAddr(ifname string, a netip.Addr) error {
	return h.do(ifname + " del addr " + a.String())
}
func (h *fakeHost) DelRoute(ifname string, p netip.Prefix) error {
	return h.do(ifname + " del route " + p.String())
}

// files returns the record files in dir with their records.
func files(t *testing.T, dir string) map[string]*Record {
	t.Helper()
	out := map[string]*Record{}
	ps, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range ps {
		r, err := readRecord(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = r
	}
	return out
}

// TestJournal checks that the journal writes each change before it is
// made and removes the file once everything is undone.
func TestJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, p := netip.MustParseAddr("2001:db8::53"), netip.MustParsePrefix("2001:db8:1::/64")
	for _, err := range []error{
		j.SaveSysctl("lab0", "accept_ra", "1"),
		j.SaveSysctl("lab0", "autoconf", "1"),
		j.SaveSysctl("lab0", "accept_ra", "0"), // the first value stays
		j.AddAddr("lab0", a),
		j.AddRoute("lab0", p),
		j.SaveSysctl("eth1", "accept_ra", "2"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := files(t, dir)
	want := &Record{Interface: "lab0", PID: j.self.pid, StartTime: j.self.startTime, BootID: j.self.bootID,
		Sysctls:   []Sysctl{{"accept_ra", "1"}, {"autoconf", "1"}},
		Addresses: []netip.Addr{a}, Routes: []netip.Prefix{p}}
	if diff := cmp.Diff(want, got["lab0.host.json"], cmp.Comparer(func(x, y netip.Addr) bool { return x == y }), cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); diff != "" {
		t.Errorf("lab0 record (-want +got):\n%s", diff)
	}
	if len(got) != 2 {
		t.Errorf("files %v, want lab0 and eth1", got)
	}
	for _, err := range []error{j.ForgetRoute("lab0", p), j.ForgetAddr("lab0", a), j.ForgetSysctls("lab0"), j.ForgetSysctls("eth1")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files left after everything was undone: %v", got)
	}
	var nilJournal *Journal
	if err := nilJournal.AddAddr("lab0", a); err != nil {
		t.Errorf("nil Journal: %v", err)
	}
}

// TestRecover checks that Recover undoes the records of processes that
// are gone, and only those.
func TestRecover(t *testing.T) {
	dir := t.TempDir()
	me, err := current()
	if err != nil {
		t.Fatal(err)
	}
	write := func(r Record) {
		b, _ := json.Marshal(r)
		if err := os.WriteFile(filepath.Join(dir, r.Interface+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := netip.MustParseAddr("2001:db8::53")
	p := netip.MustParsePrefix("2001:db8:1::/64")
	// A crashed run: a PID with another start time.
	write(Record{Interface: "dead0", PID: me.pid, StartTime: me.startTime + 1, BootID: me.bootID,
		Sysctls: []Sysctl{{"accept_ra", "1"}, {"autoconf", "1"}}, Addresses: []netip.Addr{a}, Routes: []netip.Prefix{p}})
	// A run before the last boot.
	write(Record{Interface: "boot0", PID: me.pid, StartTime: me.startTime, BootID: "another-boot",
		Sysctls: []Sysctl{{"accept_ra", "2"}}, Addresses: []netip.Addr{a}})
	// A running ralab (this process).
	write(Record{Interface: "live0", PID: me.pid, StartTime: me.startTime, BootID: me.bootID, Sysctls: []Sysctl{{"accept_ra", "1"}}})
	if err := os.WriteFile(filepath.Join(dir, "junk0"+suffix), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{gone: map[string]bool{"boot0 del addr 2001:db8::53": true}}
	err = Recover(dir, h, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Error("Recover reported no problem with the unreadable record")
	}
	want := []string{
		"boot0 sysctl accept_ra=2",
		"dead0 del route 2001:db8:1::/64",
		"dead0 del addr 2001:db8::53",
		"dead0 sysctl autoconf=1",
		"dead0 sysctl accept_ra=1",
	}
	if diff := cmp.Diff(want, h.did); diff != "" {
		t.Errorf("undone (-want +got):\n%s", diff)
	}
	left := files(t, dir)
	if len(left) != 1 || left["live0"+suffix] == nil {
		t.Errorf("records left: %v, want only live0's", left)
	}
}

// TestDir checks the choice of the state directory.
func TestDir(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "/run/x/ralab:/run/y")
	if got := Dir(""); got != "/run/x/ralab" {
		t.Errorf("Dir with $STATE_DIRECTORY = %q", got)
	}
	if got := Dir("/srv/ralab"); got != "/srv/ralab" {
		t.Errorf("Dir with a flag = %q", got)
	}
	t.Setenv("STATE_DIRECTORY", "")
	if got := Dir(""); got != DefaultDir {
		t.Errorf("Dir by default = %q", got)
	}
}

// FuzzReadRecord checks that any record file is read without panicking
// and that what it accepts names a valid interface.
func FuzzReadRecord(f *testing.F) {
	f.Add([]byte(`{"interface":"lab0","pid":1,"start_time":2,"boot_id":"b","sysctls":[{"key":"accept_ra","value":"1"}],"addresses":["2001:db8::53"],"routes":["2001:db8::/64"]}`))
	f.Add([]byte(`{"interface":"../x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "lab0"+suffix)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := readRecord(p)
		if err == nil && r.Interface != "lab0" {
			t.Errorf("accepted a record of %q in lab0's file", r.Interface)
		}
	})
}
