package sysctl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeRoot creates a sysctl tree for iface with the given initial values.
func fakeRoot(t *testing.T, iface string, values map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "net", "ipv6", "conf", iface)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func readAll(t *testing.T, fs *FS, iface string, keys ...string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, k := range keys {
		v, err := fs.Get(iface, k)
		if err != nil {
			t.Fatalf("Get(%q): %v", k, err)
		}
		got[k] = v
	}
	return got
}

func TestApplyRestore(t *testing.T) {
	tests := []struct {
		name        string
		initial     map[string]string
		wantApplied map[string]string
		wantChanged []Setting
	}{
		{
			name:        "host defaults",
			initial:     map[string]string{"accept_ra": "1", "autoconf": "1", "forwarding": "0"},
			wantApplied: map[string]string{"accept_ra": "0", "autoconf": "0", "forwarding": "0"},
			wantChanged: []Setting{{Key: "accept_ra", Value: "1"}, {Key: "autoconf", Value: "1"}},
		},
		{
			name:        "accept_ra 2 on a router",
			initial:     map[string]string{"accept_ra": "2", "autoconf": "0", "forwarding": "1"},
			wantApplied: map[string]string{"accept_ra": "0", "autoconf": "0", "forwarding": "1"},
			wantChanged: []Setting{{Key: "accept_ra", Value: "2"}},
		},
		{
			name:        "already off",
			initial:     map[string]string{"accept_ra": "0", "autoconf": "0", "forwarding": "1"},
			wantApplied: map[string]string{"accept_ra": "0", "autoconf": "0", "forwarding": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := New(fakeRoot(t, "eth0", tt.initial))
			s, err := fs.Apply("eth0", RouterSettings)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(tt.wantApplied, readAll(t, fs, "eth0", "accept_ra", "autoconf", "forwarding")); diff != "" {
				t.Errorf("after Apply (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantChanged, s.Changed()); diff != "" {
				t.Errorf("Changed (-want +got):\n%s", diff)
			}
			if err := s.Restore(); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if diff := cmp.Diff(tt.initial, readAll(t, fs, "eth0", "accept_ra", "autoconf", "forwarding")); diff != "" {
				t.Errorf("after Restore (-want +got):\n%s", diff)
			}
			// Idempotent.
			if err := s.Restore(); err != nil {
				t.Fatalf("second Restore: %v", err)
			}
		})
	}
}

func TestApplyMissingKeyRollsBack(t *testing.T) {
	fs := New(fakeRoot(t, "eth0", map[string]string{"accept_ra": "1"}))
	_, err := fs.Apply("eth0", RouterSettings)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Apply error = %v, want os.ErrNotExist", err)
	}
	if diff := cmp.Diff(map[string]string{"accept_ra": "1"}, readAll(t, fs, "eth0", "accept_ra")); diff != "" {
		t.Errorf("accept_ra not rolled back (-want +got):\n%s", diff)
	}
}

func TestRestoreAfterInterfaceRemoved(t *testing.T) {
	root := fakeRoot(t, "eth0", map[string]string{"accept_ra": "1", "autoconf": "1"})
	fs := New(root)
	s, err := fs.Apply("eth0", RouterSettings)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "net", "ipv6", "conf", "eth0")); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(); err != nil {
		t.Fatalf("Restore after removal: %v", err)
	}
}

func TestBadNames(t *testing.T) {
	fs := New(t.TempDir())
	for _, n := range []string{"", ".", "..", "a/b", "x\x00"} {
		if _, err := fs.Get(n, "accept_ra"); !errors.Is(err, ErrBadName) {
			t.Errorf("Get(%q) error = %v, want ErrBadName", n, err)
		}
		if err := fs.Set("eth0", n, "0"); !errors.Is(err, ErrBadName) {
			t.Errorf("Set key %q error = %v, want ErrBadName", n, err)
		}
	}
}

func TestDefaultRoot(t *testing.T) {
	if got := New("").root; got != DefaultRoot {
		t.Errorf("New(\"\").root = %q, want %q", got, DefaultRoot)
	}
}
