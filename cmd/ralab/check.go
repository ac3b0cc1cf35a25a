package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dhcpv6"
	"github.com/ralab/ralab/internal/ra"
	"github.com/ralab/ralab/internal/supervisor"
)

func init() {
	commands["check"] = command{
		summary:  "validate a configuration and print the RAs and DHCPv6 Replies it would send",
		synopsis: []string{"-c FILE [--hex]"},
		description: "Validates FILE and prints, per interface, the Router Advertisement and\n" +
			"the DHCPv6 Replies ralab would send, without sending anything. Exits 0\n" +
			"only when every interface's RA can be sent exactly as configured; a bad\n" +
			"file is reported with the file, line, key, value and what is allowed.",
		examples: []example{
			{"ralab check -c /etc/ralab/ralab.toml", "validate the configuration before (re)starting the daemon"},
			{"ralab check -c configs/lab.toml --hex", "show each RA's bytes, annotated, to compare with a capture"},
		},
		run: runCheck,
	}
}

// placeholderMAC stands in for the link-layer address of an interface that
// does not exist on this host (a locally administered, all-zero address).
var placeholderMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x00}

// runCheck implements "ralab check -c FILE [--hex]".
func runCheck(_ context.Context, args []string) error {
	return checkMain(os.Stdout, args)
}

// checkMain is runCheck writing its report to stdout.
func checkMain(stdout io.Writer, args []string) error {
	fs := newFlagSet("check")
	file := fs.String("c", "", "configuration `file` (required)")
	hex := fs.Bool("hex", false, "also print each RA's bytes as an annotated hex dump")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr,
			"ralab check: -c FILE is required and no arguments are accepted (see ralab check --help)")
		return errUsage
	}
	cfg, err := loadConfig(*file)
	if err != nil {
		return err
	}
	return check(stdout, cfg, *hex, hostMAC)
}

// hostMAC returns the Ethernet address of the interface called name on
// this host, or nil when there is none.
func hostMAC(name string) net.HardwareAddr {
	ifi, err := net.InterfaceByName(name)
	if err != nil || len(ifi.HardwareAddr) != 6 {
		return nil
	}
	return ifi.HardwareAddr
}

// check writes, for every interface of cfg, the RA that would be sent (and
// with hex its bytes) and the DHCPv6 Replies. macOf returns an interface's
// MAC or nil; the placeholder is used then. It returns every interface's
// error, joined.
func check(w io.Writer, cfg *config.Config, hex bool, macOf func(string) net.HardwareAddr) error {
	var errs []error
	for i, ifc := range cfg.Interfaces {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := checkInterface(w, ifc, hex, macOf); err != nil {
			fmt.Fprintf(w, "  ERROR: %v\n", err)
			errs = append(errs, fmt.Errorf("interface %s: %w", ifc.Name, err))
		}
	}
	return errors.Join(errs...)
}

// checkInterface writes one interface's part of check's output.
func checkInterface(w io.Writer, ifc config.Interface, hex bool, macOf func(string) net.HardwareAddr) error {
	fmt.Fprintf(w, "interface %s\n", ifc.Name)
	mac := macOf(ifc.Name)
	if mac == nil {
		mac = placeholderMAC
		fmt.Fprintf(w, "  %s has no Ethernet address on this host: using placeholder MAC %s\n", ifc.Name, mac)
	} else {
		fmt.Fprintf(w, "  MAC %s (from this host)\n", mac)
	}
	_, b, err := ra.Build(ifc, mac)
	if err != nil {
		return err
	}
	if err := ra.Describe(w, b); err != nil {
		return err
	}
	if hex {
		fmt.Fprint(w, ra.Hex(b))
	}
	// The final RA at shutdown must be sendable too.
	if _, _, err := ra.Build(ra.Final(ifc), mac); err != nil {
		return fmt.Errorf("final RA: %w", err)
	}

	if ifc.Observe.Enabled {
		if err := supervisor.ObserveDirProblem(ifc.Observe.Dir); err != nil {
			fmt.Fprintf(w, "  WARNING: the observer will not start: %v\n", err)
		} else {
			fmt.Fprintf(w, "  observer writes to %s\n", ifc.Observe.Dir)
		}
	}

	// DHCPv6 hook: the stateless Replies come from package dhcpv6.
	if ifc.DHCPv6.Enabled {
		fmt.Fprintln(w)
		if err := dhcpv6.DescribeReply(w, ifc, mac); err != nil {
			return err
		}
	}
	return nil
}
