package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/scenario"
)

func init() {
	commands["impairments"] = command{
		summary:  "list impairment profiles (F-id, what each emulates, parameters) and scenarios",
		synopsis: []string{"", "--scenarios", "--check SCENARIO.toml..."},
		description: "Without flags, lists every impairment type a scenario's [impairment.NAME]\n" +
			"table can use, with its failure id (F1-F17, see docs/field-guide.md), what\n" +
			"it emulates and its parameters with their defaults. --scenarios lists the\n" +
			"scenarios built into ralab (the names \"ralab lab --scenario\" takes);\n" +
			"--check validates scenario files and prints their phases.",
		examples: []example{
			{"ralab impairments", "the impairment types and their parameters"},
			{"ralab impairments --scenarios", "the built-in scenarios"},
			{"ralab impairments --check my-scenario.toml", "validate a scenario file before serving it"},
		},
		positional: "file",
		run:        runImpairments,
	}
}

// runImpairments prints the impairment catalogue, the shipped scenarios
// (--scenarios), or checks scenario files given as arguments (--check).
func runImpairments(_ context.Context, args []string) error {
	fs := newFlagSet("impairments")
	list := fs.Bool("scenarios", false, "list the shipped scenarios instead of the impairment types")
	check := fs.Bool("check", false, "check the scenario files given as arguments and print their phases")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *check:
		if len(pos) == 0 {
			fmt.Fprintln(os.Stderr, "ralab impairments --check: give one or more scenario files")
			return errUsage
		}
		return checkScenarios(os.Stdout, pos)
	case len(pos) > 0:
		fmt.Fprintf(os.Stderr, "ralab impairments: unexpected argument %q (use --check to check scenario files)\n", pos[0])
		return errUsage
	case *list:
		return writeScenarios(os.Stdout)
	default:
		return writeImpairments(os.Stdout)
	}
}

// writeImpairments writes every impairment type with its parameters and
// defaults, as they are written in a scenario's [impairment.NAME] table.
func writeImpairments(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for i, t := range impair.Types {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s (%s): %s\n", t.Name, t.FID, t.Emulates)
		for _, p := range t.Params {
			fmt.Fprintf(tw, "  %s = %s\t\t%s\n", p.Key, p.Default, p.Doc)
		}
	}
	fmt.Fprintln(tw, "\nThe field guide explains each F-id: docs/field-guide.md#f1 ... #f17 in ralab's source tree.")
	return tw.Flush()
}

// writeScenarios lists the scenarios embedded from configs/scenarios.
func writeScenarios(w io.Writer) error {
	names, err := fs.Glob(scenarios.Files, "*.toml")
	if err != nil {
		return err
	}
	// Baseline first, then in F-id order (F2 before F10).
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(fidNumber(a), fidNumber(b)) })
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tF-IDS\tDURATION\tPHASES")
	for _, n := range names {
		b, err := fs.ReadFile(scenarios.Files, n)
		if err != nil {
			return err
		}
		s, err := scenario.Parse(n, b)
		if err != nil {
			return fmt.Errorf("shipped scenario: %w", err)
		}
		var phases []string
		for _, p := range s.Phases {
			phases = append(phases, fmt.Sprintf("%v %s", p.Start, p.Name))
		}
		fids := strings.Join(s.FIDs, ",")
		if fids == "" {
			fids = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", s.Name, fids, s.Duration, strings.Join(phases, "; "))
	}
	return tw.Flush()
}

// fidNumber returns N of a file name "FN-...", or 0.
func fidNumber(name string) int {
	rest, ok := strings.CutPrefix(name, "F")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(rest[:strings.IndexFunc(rest+"-", func(r rune) bool { return r < '0' || r > '9' })])
	return n
}

// errInvalid reports scenario files that failed the check; the problems
// have been printed.
var errInvalid = errors.New("invalid scenario")

// checkScenarios parses each file and prints its timeline or problems.
func checkScenarios(w io.Writer, paths []string) error {
	failed := false
	for _, path := range paths {
		s, err := scenario.Load(path)
		if err != nil {
			failed = true
			for _, e := range config.Split(err) {
				fmt.Fprintln(w, e)
			}
			continue
		}
		fmt.Fprintf(w, "%s: %s (%s), %v\n", path, s.Name, strings.Join(s.FIDs, ","), s.Duration)
		for _, p := range s.Phases {
			var names []string
			for _, sp := range p.Impairments {
				names = append(names, sp.Name+" ("+sp.Type.Name+", "+sp.Type.FID+")")
			}
			if len(names) == 0 {
				names = []string{"no impairment"}
			}
			fmt.Fprintf(w, "  %v–%v %s: %s\n", p.Start, p.End, p.Name, strings.Join(names, ", "))
		}
	}
	if failed {
		return errInvalid
	}
	return nil
}
