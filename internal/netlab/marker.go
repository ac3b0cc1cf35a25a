package netlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MarkerDir holds one marker file per running lab, "<prefix>.json",
// naming the creating process and the lab's namespaces.
const MarkerDir = "/run/ralab-lab"

// stateDirPrefix starts the base name of every lab state directory.
const stateDirPrefix = "ralab-"

// ErrMarker is wrapped by errors about an unreadable marker file.
var ErrMarker = errors.New("netlab: bad marker")

// prefixRE matches the name prefixes New generates.
var prefixRE = regexp.MustCompile(`^rl[0-9a-f]{6}$`)

// marker is the content of a marker file.
type marker struct {
	// Prefix is the lab's name prefix.
	Prefix string `json:"prefix"`
	// PID is the process that created the lab.
	PID int `json:"pid"`
	// StartTime is that process's start time in clock ticks since boot
	// (field 22 of /proc/PID/stat, proc(5)); it tells a reused PID apart.
	StartTime uint64 `json:"start_time"`
	// Created is when the lab was created.
	Created time.Time `json:"created"`
	// Dir is the lab's state directory.
	Dir string `json:"dir"`
	// Namespaces lists the lab's namespaces, router first.
	Namespaces []string `json:"namespaces"`
}

// writeMarker atomically writes the lab's marker file.
func (l *Lab) writeMarker() error {
	l.markerMu.Lock()
	defer l.markerMu.Unlock()
	st, err := processStartTime(os.Getpid())
	if err != nil {
		return err
	}
	l.mu.Lock()
	m := marker{
		Prefix:     l.prefix,
		PID:        os.Getpid(),
		StartTime:  st,
		Created:    time.Now().UTC(),
		Dir:        l.dir,
		Namespaces: append([]string{}, l.namespaces...),
	}
	l.mu.Unlock()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("netlab: marker: %w", err)
	}
	if err := os.MkdirAll(MarkerDir, 0o755); err != nil {
		return fmt.Errorf("netlab: marker: %w", err)
	}
	tmp := l.marker + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("netlab: marker: %w", err)
	}
	if err := os.Rename(tmp, l.marker); err != nil {
		return fmt.Errorf("netlab: marker: %w", err)
	}
	return nil
}

// parseMarker decodes and checks a marker: the prefix must be one New
// generates, and every namespace and the state directory must carry it,
// so that CleanStale only ever removes what a lab created.
func parseMarker(b []byte) (marker, error) {
	var m marker
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return marker{}, fmt.Errorf("%w: %w", ErrMarker, err)
	}
	if !prefixRE.MatchString(m.Prefix) {
		return marker{}, fmt.Errorf("%w: prefix %q", ErrMarker, m.Prefix)
	}
	if m.PID <= 0 {
		return marker{}, fmt.Errorf("%w: pid %d", ErrMarker, m.PID)
	}
	for _, ns := range m.Namespaces {
		rest, ok := strings.CutPrefix(ns, m.Prefix+"-")
		if !ok || (rest != "rtr" && !hostNameRE.MatchString(rest)) {
			return marker{}, fmt.Errorf("%w: namespace %q is not the lab's", ErrMarker, ns)
		}
	}
	if m.Dir != "" && (!filepath.IsAbs(m.Dir) || !strings.HasPrefix(filepath.Base(m.Dir),
		stateDirPrefix+m.Prefix+"-")) {
		return marker{}, fmt.Errorf("%w: state dir %q is not the lab's", ErrMarker, m.Dir)
	}
	return m, nil
}

// processStartTime returns field 22 of /proc/PID/stat (proc(5)).
func processStartTime(pid int) (uint64, error) {
	_, st, err := processStat(pid)
	return st, err
}

// processStat returns the state (field 3) and start time (field 22) of
// /proc/PID/stat (proc(5)).
func processStat(pid int) (byte, uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may contain spaces and parentheses: the
	// fields after the last ')' start with field 3.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("netlab: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("netlab: /proc/%d/stat: %d fields", pid, len(f))
	}
	st, err := strconv.ParseUint(f[19], 10, 64)
	return f[0][0], st, err
}

// alive reports whether the process that wrote m still runs: it exists,
// is not a zombie (a killed process whose parent has not reaped it), and
// started when the marker says.
func (m marker) alive() bool {
	state, st, err := processStat(m.PID)
	return err == nil && state != 'Z' && st == m.StartTime
}

// CleanStale removes what labs of dead processes left behind: for each
// marker in MarkerDir whose creating process is gone, it kills the
// processes in the lab's namespaces, deletes the namespaces, their
// /etc/netns directories and the state directory, then the marker. It
// returns the prefixes of the labs it removed. Markers of running labs
// are left alone; unreadable markers are reported and left in place.
func CleanStale(ctx context.Context, log *slog.Logger) ([]string, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ents, err := os.ReadDir(MarkerDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	var cleaned []string
	var errs []error
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(MarkerDir, e.Name())
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // a lab closed meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("netlab: %w", err))
			continue
		}
		m, err := parseMarker(b)
		if err == nil && m.Prefix != name {
			err = fmt.Errorf("%w: prefix %q in %s", ErrMarker, m.Prefix, path)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		if m.alive() {
			continue
		}
		log.Info("removing stale lab", "prefix", m.Prefix, "pid", m.PID, "namespaces", m.Namespaces)
		var lerrs []error
		for i := len(m.Namespaces) - 1; i >= 0; i-- {
			if err := removeNamespace(ctx, m.Namespaces[i], leftoverGrace); err != nil {
				lerrs = append(lerrs, err)
			}
		}
		if m.Dir != "" {
			if err := os.RemoveAll(m.Dir); err != nil {
				lerrs = append(lerrs, fmt.Errorf("netlab: %w", err))
			}
		}
		if len(lerrs) == 0 {
			if err := os.Remove(path); err != nil {
				lerrs = append(lerrs, fmt.Errorf("netlab: %w", err))
			}
			cleaned = append(cleaned, m.Prefix)
		}
		errs = append(errs, lerrs...)
	}
	return cleaned, errors.Join(errs...)
}
