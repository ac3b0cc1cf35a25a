package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
)

func init() {
	commands["report"] = command{
		summary:  "re-render a saved JSON report as Markdown, HTML or JSON",
		synopsis: []string{"-i REPORT.json [--format json|md|html] [-o OUT] [--fail-on VERDICT,...]"},
		description: "Re-renders a " + conformance.SchemaVersion + " JSON report written by analyze, observe,\n" +
			"serve ([interface.observe]) or lab; other schema versions are refused.\n" +
			"The format follows --format, else -o's extension, else Markdown.\n" +
			"--fail-on works as for analyze: exit status 1 when a client's verdict\n" +
			"is one of the listed ones.",
		examples: []example{
			{"ralab report -i eth1.report.json -o eth1.html", "the report as a standalone HTML page"},
			{"ralab report -i F5-rdnss-lifetime.report.json", "the report as Markdown on standard output"},
		},
		run: runReport,
	}
}

// Report output formats, as given to --format.
const (
	formatJSON     = "json"
	formatMarkdown = "md"
	formatHTML     = "html"
)

// errFormat reports an unknown --format value.
var errFormat = errors.New("unknown format")

// chooseFormat returns the output format: the --format value when given,
// else the one -o's extension names (.json, .md, .html), else Markdown.
func chooseFormat(format, out string) (string, error) {
	if format == "" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".json":
			return formatJSON, nil
		case ".html", ".htm":
			return formatHTML, nil
		}
		return formatMarkdown, nil
	}
	switch strings.ToLower(format) {
	case formatJSON:
		return formatJSON, nil
	case formatMarkdown, "markdown":
		return formatMarkdown, nil
	case formatHTML:
		return formatHTML, nil
	}
	return "", fmt.Errorf("%w %q: want json, md or html", errFormat, format)
}

// renderReport writes r to w in format.
func renderReport(w io.Writer, format string, r *conformance.Report) error {
	switch format {
	case formatJSON:
		return render.JSON(w, r)
	case formatHTML:
		return render.HTML(w, r)
	default:
		return render.Markdown(w, r)
	}
}

// writeReport renders r in format to the file out, or to stdout when out
// is empty. A regular file is replaced atomically (written beside it, then
// renamed), so a reader never sees half a report; a failure leaves the old
// file as it was. Other targets, such as /dev/stdout, are written in place.
func writeReport(stdout io.Writer, out, format string, r *conformance.Report) error {
	if out == "" {
		bw := bufio.NewWriter(stdout)
		if err := renderReport(bw, format, r); err != nil {
			return err
		}
		return bw.Flush()
	}
	if fi, err := os.Stat(out); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		bw := bufio.NewWriter(f)
		err = renderReport(bw, format, r)
		if err == nil {
			err = bw.Flush()
		}
		return errors.Join(err, f.Close())
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	bw := bufio.NewWriter(tmp)
	err = renderReport(bw, format, r)
	if err == nil {
		err = bw.Flush()
	}
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing report %s: %w", out, err)
	}
	return nil
}

// reportFlags are the output flags analyze, observe and report share.
type reportFlags struct {
	format *string
	out    *string
}

// addReportFlags defines --format and -o on fs.
func addReportFlags(fs *flag.FlagSet) reportFlags {
	return reportFlags{
		format: fs.String("format", "", "report `format`: json, md or html (default: from -o's extension, else md)"),
		out:    fs.String("o", "", "write the report to `file` instead of standard output"),
	}
}

// runReport implements "ralab report -i REPORT.json [--format F] [-o OUT]".
func runReport(_ context.Context, args []string) error {
	fs := newFlagSet("report")
	in := fs.String("i", "", "JSON report `file` written by analyze or observe (required; - for standard input)")
	rf := addReportFlags(fs)
	failOn := fs.String("fail-on", "",
		"exit with status 1 when a client's verdict is one of `verdicts` (comma-separated: dns-lost, no-dns, inconclusive)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	gate, err := parseFailOn(*failOn)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab report: --fail-on: %v\n", err)
		return errUsage
	}
	if *in == "" || fs.NArg() > 0 {
		fmt.Fprintln(fs.Output(),
			"ralab report: -i REPORT.json is required and no arguments are accepted (see ralab report --help)")
		return errUsage
	}
	format, err := chooseFormat(*rf.format, *rf.out)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab report: --format: %v\n", err)
		return errUsage
	}

	var src io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("reading report: %w", err)
		}
		defer f.Close()
		src = f
	}
	r, err := render.DecodeJSON(bufio.NewReader(&boundedReader{r: src, left: maxReportBytes}))
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := writeReport(os.Stdout, *rf.out, format, r); err != nil {
		return err
	}
	return gate.check(r)
}

// maxReportBytes bounds the report "ralab report" reads: an observer
// report of conformance.DefaultMaxClients clients is a few megabytes, so
// this leaves room for far larger ones while /dev/zero is refused.
const maxReportBytes = 64 << 20

// errReportTooLarge reports an input over maxReportBytes.
var errReportTooLarge = fmt.Errorf("larger than %d bytes (64 MiB); ralab reads reports of at most that", maxReportBytes)

// boundedReader reads from r and fails with errReportTooLarge once more
// than left bytes have come.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errReportTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errReportTooLarge
	}
	return n, err
}
