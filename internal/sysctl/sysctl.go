package sysctl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultRoot is the directory that holds the kernel's sysctl files.
const DefaultRoot = "/proc/sys"

// ErrBadName reports an interface or key name that would escape the
// per-interface sysctl directory.
var ErrBadName = errors.New("sysctl: invalid name")

// Setting is one per-interface IPv6 sysctl and the value to give it.
type Setting struct {
	// Key is the file name under net/ipv6/conf/IFACE, such as "accept_ra".
	Key string
	// Value is the value to write, such as "0".
	Value string
}

// RouterSettings are the values ralab applies on a served interface so that
// the kernel does not treat ralab's own multicast RAs as configuration:
// accept_ra=0 stops it learning a default route, RDNSS or prefixes from
// them, autoconf=0 stops SLAAC addresses from our own Prefix Information.
// Forwarding is deliberately not touched.
var RouterSettings = []Setting{
	{Key: "accept_ra", Value: "0"},
	{Key: "autoconf", Value: "0"},
}

// FS reads and writes per-interface IPv6 sysctls below a root directory.
type FS struct {
	root string
}

// New returns an FS rooted at root; an empty root means DefaultRoot. Tests
// pass a temporary directory.
func New(root string) *FS {
	if root == "" {
		root = DefaultRoot
	}
	return &FS{root: root}
}

// path returns the file for key on iface, rejecting names with separators
// or dot-dot components.
func (fs *FS) path(iface, key string) (string, error) {
	for _, n := range []string{iface, key} {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
			return "", fmt.Errorf("%w: %q", ErrBadName, n)
		}
	}
	return filepath.Join(fs.root, "net", "ipv6", "conf", iface, key), nil
}

// Get returns the value of key on iface, without the trailing newline.
func (fs *FS) Get(iface, key string) (string, error) {
	p, err := fs.path(iface, key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("sysctl: reading %s: %w", p, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Set writes value to key on iface.
func (fs *FS) Set(iface, key, value string) error {
	p, err := fs.path(iface, key)
	if err != nil {
		return err
	}
	// O_TRUNC without O_CREATE: a sysctl file must already exist.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("sysctl: opening %s: %w", p, err)
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("sysctl: writing %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sysctl: writing %s: %w", p, err)
	}
	return nil
}

// Saved holds the values that Apply replaced, so that Restore can put them
// back.
type Saved struct {
	fs    *FS
	iface string
	old   []Setting
}

// Apply saves the current value of every setting on iface and then writes
// the new values. Values that already match are neither written nor
// restored. On error, whatever was already changed is restored and the
// returned Saved is nil.
func (fs *FS) Apply(iface string, settings []Setting) (*Saved, error) {
	s := &Saved{fs: fs, iface: iface}
	for _, st := range settings {
		cur, err := fs.Get(iface, st.Key)
		if err != nil {
			return nil, errors.Join(err, s.Restore())
		}
		if cur == st.Value {
			continue
		}
		if err := fs.Set(iface, st.Key, st.Value); err != nil {
			return nil, errors.Join(err, s.Restore())
		}
		s.old = append(s.old, Setting{Key: st.Key, Value: cur})
	}
	return s, nil
}

// Changed returns the settings Apply changed, with their previous values.
func (s *Saved) Changed() []Setting {
	return append([]Setting(nil), s.old...)
}

// Restore writes back the saved values, in reverse order. A value whose
// interface has disappeared meanwhile (os.ErrNotExist) is skipped silently:
// the kernel has already discarded it. Restore is idempotent.
func (s *Saved) Restore() error {
	if s == nil {
		return nil
	}
	var errs []error
	for i := len(s.old) - 1; i >= 0; i-- {
		err := s.fs.Set(s.iface, s.old[i].Key, s.old[i].Value)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.old = nil
	return errors.Join(errs...)
}
