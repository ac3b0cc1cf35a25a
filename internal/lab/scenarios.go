package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/matrix"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/scenario"
)

// ErrUnknownScenario is returned for a scenario name that is not
// embedded.
var ErrUnknownScenario = errors.New("lab: unknown scenario")

// embeddedScenario is one scenario file of configs/scenarios.
type embeddedScenario struct {
	sc   *scenario.Scenario
	data []byte
}

// Scenarios returns the embedded scenarios: baseline first, then F1 to
// F17 in numeric order.
func Scenarios() ([]*scenario.Scenario, error) {
	all, err := loadScenarios()
	if err != nil {
		return nil, err
	}
	out := make([]*scenario.Scenario, len(all))
	for i, e := range all {
		out[i] = e.sc
	}
	return out, nil
}

// scenarioRank orders scenario names: no F-id first, then by F number.
func scenarioRank(name string) int {
	if !strings.HasPrefix(name, "F") {
		return 0
	}
	n, _ := strconv.Atoi(strings.SplitN(name[1:], "-", 2)[0])
	return n
}

func loadScenarios() ([]embeddedScenario, error) {
	ents, err := fs.ReadDir(scenarios.Files, ".")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	var out []embeddedScenario
	for _, e := range ents {
		b, err := fs.ReadFile(scenarios.Files, e.Name())
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		sc, err := scenario.Parse(e.Name(), b)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		out = append(out, embeddedScenario{sc: sc, data: b})
	}
	slices.SortFunc(out, func(a, b embeddedScenario) int {
		if d := scenarioRank(a.sc.Name) - scenarioRank(b.sc.Name); d != 0 {
			return d
		}
		return strings.Compare(a.sc.Name, b.sc.Name)
	})
	return out, nil
}

// selectScenarios returns the scenarios of all named by names, in the
// order given and without duplicates; every one of all when names is
// empty.
func selectScenarios(all []embeddedScenario, names []string) ([]embeddedScenario, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []embeddedScenario
	for _, name := range names {
		i := slices.IndexFunc(all, func(e embeddedScenario) bool { return e.sc.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%w %q", ErrUnknownScenario, name)
		}
		if !slices.ContainsFunc(out, func(e embeddedScenario) bool { return e.sc.Name == name }) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// scenarioInfo returns the matrix row header of sc.
func scenarioInfo(sc *scenario.Scenario) matrix.Scenario {
	return matrix.Scenario{Name: sc.Name, FIDs: append([]string{}, sc.FIDs...), Description: sc.Description,
		DurationSeconds: sc.Duration.Seconds()}
}

// durationLine matches a scenario file's top-level duration key.
var durationLine = regexp.MustCompile(`(?m)^duration\s*=\s*"[^"\n]*"`)

// withTail returns scenario file data, parsed as sc, with its duration
// extended by tail (see serveTail), checked by parsing it again.
func withTail(data []byte, sc *scenario.Scenario, tail time.Duration) ([]byte, error) {
	want := sc.Duration + tail
	out := durationLine.ReplaceAll(data, []byte(fmt.Sprintf("duration = %q", want.String())))
	got, err := scenario.Parse(sc.Name+".toml", out)
	if err != nil {
		return nil, fmt.Errorf("lab: scenario %s with a tail: %w", sc.Name, err)
	}
	if got.Duration != want {
		return nil, fmt.Errorf("lab: scenario %s: duration %v with a tail, want %v", sc.Name, got.Duration, want)
	}
	return out, nil
}

// addLinkLocalServers adds the link-local RDNSS address of each
// rdnss-link-local impairment (F14) of sc to the router's bridge, as the
// scenario asks ("a DNS server must listen on fe80::53"): then a client
// that holds it resolves the address and its queries reach the wire,
// where the observer sees them.
func addLinkLocalServers(ctx context.Context, rtr *netlab.Host, sc *scenario.Scenario) error {
	var addrs []string
	for _, spec := range sc.Impairments {
		if spec.Type == nil || spec.Type.Name != "rdnss-link-local" {
			continue
		}
		// The default address is that of the impairment catalogue.
		a := "fe80::53"
		if v, ok := spec.Params["address"]; ok {
			a = strings.Trim(v, `"`)
		}
		if _, err := netip.ParseAddr(a); err != nil {
			return fmt.Errorf("lab: scenario %s, impairment %s: %w", sc.Name, spec.Name, err)
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		if _, err := rtr.Run(ctx, "ip", "-6", "addr", "add", a+"/64", "dev", rtr.IfName, "nodad"); err != nil {
			return fmt.Errorf("lab: adding %s to the router: %w", a, err)
		}
	}
	return nil
}
