package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/lab"
	"github.com/ralab/ralab/internal/netlab"
)

func init() {
	commands["lab"] = command{
		summary: "run ralab against real clients in throwaway network namespaces",
		run:     runLab,
	}
}

// runLab implements "ralab lab [-o DIR] [-c FILE] [--duration D]" and
// "ralab lab --clean".
func runLab(ctx context.Context, args []string) error {
	fs := newFlagSet("lab")
	out := fs.String("o", "", "write capture.pcapng, summary.json and logs/ to `dir`")
	file := fs.String("c", "", "configuration `file` to serve (default: the built-in lab.toml)")
	dur := fs.Duration("duration", lab.DefaultDuration, "wait at most `d` for the clients")
	clean := fs.Bool("clean", false, "remove what killed lab runs left behind, then exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ralab lab [-o DIR] [-c FILE] [--duration D]\n       ralab lab --clean\n\n"+
			"Builds a lab of network namespaces (router with bridge "+netlab.BridgeName+", one namespace per\n"+
			"client), runs \"ralab serve\" in the router namespace and the installed RA clients\n"+
			"(rdnssd, dhcpcd, systemd-networkd) in the others, and prints per client whether it\n"+
			"formed a SLAAC address and which DNS servers it holds. Needs root.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *dur <= 0 {
		fs.Usage()
		return errUsage
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *clean {
		cleaned, err := netlab.CleanStale(ctx, log)
		for _, p := range cleaned {
			fmt.Printf("removed stale lab %s\n", p)
		}
		return err
	}

	cfg, name := configs.Lab, configs.LabName
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		cfg, name = b, *file
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the ralab binary: %w", err)
	}
	start := time.Now()
	sum, err := lab.Run(ctx, lab.Options{
		Config:     cfg,
		ConfigName: name,
		Executable: exe,
		OutDir:     *out,
		Duration:   *dur,
		Logger:     log,
	})
	if sum != nil && sum.Lab != "" {
		if terr := sum.WriteTable(os.Stdout); terr != nil && err == nil {
			err = terr
		}
		if *out != "" {
			log.Info("results written", "dir", *out, "elapsed", time.Since(start).Round(time.Second))
		}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted, lab removed: %w", err)
	}
	return err
}
