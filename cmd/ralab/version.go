package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

func init() {
	commands["version"] = command{
		summary: "print ralab's version, VCS revision and build time",
		description: "Prints the module version, the VCS revision and commit time the binary\n" +
			"was built from (\"+dirty\" when the work tree had changes) and the Go\n" +
			"version. \"ralab --version\" is the same. Reports and /metrics\n" +
			"(ralab_build_info) carry the same values.",
		examples: []example{{"ralab version", "for example: ralab v0.3.0 (revision 1a2b3c4d5e6f, 2026-12-06T23:10:00Z) go1.26.8"}},
		run:      runVersion,
	}
}

// buildInfo says which ralab this is.
type buildInfo struct {
	// Version is the module version ("(devel)" for a build from a work tree).
	Version string
	// Revision is the VCS revision, with "+dirty" for a modified work tree.
	Revision string
	// Time is the revision's commit time (RFC 3339).
	Time string
	// GoVersion is the Go toolchain's version.
	GoVersion string
}

// readBuildInfo returns the build information embedded in the binary;
// fields it does not carry are "unknown".
func readBuildInfo() buildInfo {
	b := buildInfo{Version: "unknown", Revision: "unknown", Time: "unknown", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && b.Revision != "unknown" {
		b.Revision += "+dirty"
	}
	return b
}

// String formats b as "ralab VERSION (revision R, TIME) GO".
func (b buildInfo) String() string {
	return fmt.Sprintf("ralab %s (revision %s, %s) %s", b.Version, b.Revision, b.Time, b.GoVersion)
}

// runVersion implements "ralab version".
func runVersion(_ context.Context, args []string) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "ralab version: no arguments are accepted")
		return errUsage
	}
	fmt.Println(readBuildInfo())
	return nil
}

// registerBuildInfo registers the gauge ralab_build_info, always 1, whose
// labels say which ralab serves the metrics.
func registerBuildInfo(reg prometheus.Registerer) {
	b := readBuildInfo()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ralab_build_info",
		Help: "Always 1; the labels say which ralab build serves these metrics.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "revision": b.Revision, "time": b.Time, "goversion": b.GoVersion,
		},
	})
	g.Set(1)
	reg.MustRegister(g)
}
