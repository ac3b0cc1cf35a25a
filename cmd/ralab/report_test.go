package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
)

func TestChooseFormat(t *testing.T) {
	tests := []struct {
		format, out string
		want        string
		err         bool
	}{
		{want: formatMarkdown},
		{out: "r.json", want: formatJSON},
		{out: "R.HTML", want: formatHTML},
		{out: "r.htm", want: formatHTML},
		{out: "r.md", want: formatMarkdown},
		{out: "report", want: formatMarkdown},
		{format: "json", out: "r.html", want: formatJSON},
		{format: "markdown", want: formatMarkdown},
		{format: "HTML", want: formatHTML},
		{format: "pdf", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.out, func(t *testing.T) {
			got, err := chooseFormat(tt.format, tt.out)
			if diff := cmp.Diff(tt.err, errors.Is(err, errFormat)); diff != "" {
				t.Fatalf("error %v (-want +got):\n%s", err, diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("format (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		pos    []string
		format string
		err    bool
	}{
		{name: "file first", args: []string{"a.pcap", "--format", "json"}, pos: []string{"a.pcap"}, format: "json"},
		{name: "flags first", args: []string{"-format=html", "a.pcap"}, pos: []string{"a.pcap"}, format: "html"},
		{name: "two files", args: []string{"a", "-format", "md", "b"}, pos: []string{"a", "b"}, format: "md"},
		{name: "dash file after terminator", args: []string{"--", "-odd.pcap"}, pos: []string{"-odd.pcap"}},
		{name: "unknown flag", args: []string{"a", "--bogus"}, err: true},
		{name: "none", args: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(new(bytes.Buffer))
			format := fs.String("format", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if diff := cmp.Diff(tt.err, err != nil); diff != "" {
				t.Fatalf("error %v (-want +got):\n%s", err, diff)
			}
			if tt.err {
				return
			}
			if diff := cmp.Diff(tt.pos, pos); diff != "" {
				t.Fatalf("positional (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.format, *format); diff != "" {
				t.Fatalf("format (-want +got):\n%s", diff)
			}
		})
	}
}

// testReport is a small report with a hostile hostname.
func testReport() *conformance.Report {
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	return &conformance.Report{
		Schema: conformance.SchemaVersion, GeneratedAt: t0, Start: t0, End: t0.Add(time.Minute), DurationSeconds: 60,
		Source:  conformance.Source{Kind: conformance.SourceFile, Name: "x.pcapng"},
		Packets: 3, Summary: conformance.Summary{NoDNS: 1},
		Clients: []conformance.Client{{
			MAC: "02:00:00:00:02:01", Hostname: "<b>evil</b>", Verdict: conformance.VerdictNoDNS, Reason: "no offer (F9)",
			Counts:   conformance.ClientCounts{InformationRequests: 3},
			Timeline: []conformance.Event{{Kind: conformance.EventInfoRequest, Time: t0, Packet: 1}},
		}},
	}
}

// writeJSONReport writes r as JSON into dir and returns the path.
func writeJSONReport(t *testing.T, dir string, r *conformance.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.JSON(&b, r); err != nil {
		t.Fatalf("render.JSON: %v", err)
	}
	path := filepath.Join(dir, "in.json")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	in := writeJSONReport(t, dir, testReport())
	future := testReport()
	future.Schema = "ralab.report/v9"
	var fb bytes.Buffer
	if err := render.JSON(&fb, future); err != nil {
		t.Fatalf("render.JSON: %v", err)
	}
	futurePath := filepath.Join(dir, "future.json")
	if err := os.WriteFile(futurePath, fb.Bytes(), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}

	tests := []struct {
		name  string
		args  []string
		out   string
		want  []string
		err   error
		isErr bool
	}{
		{name: "markdown", args: []string{"-i", in, "--format", "md"}, out: "r.md", want: []string{"# ralab report", "| 02:00:00:00:02:01 |", `\<b\>evil\</b\>`}},
		{name: "html from extension", args: []string{"-i", in}, out: "r.html", want: []string{"<!DOCTYPE html>", "&lt;b&gt;evil&lt;/b&gt;", "<svg"}},
		{name: "json", args: []string{"-i", in, "--format", "json"}, out: "r.out", want: []string{`"schema": "ralab.report/v1"`, `"hostname": "\u003cb\u003eevil\u003c/b\u003e"`}},
		{name: "unknown schema", args: []string{"-i", futurePath, "--format", "md"}, out: "never.md", err: render.ErrUnknownSchema},
		{name: "missing file", args: []string{"-i", filepath.Join(dir, "nope.json")}, out: "never.md", err: os.ErrNotExist},
		{name: "no -i", args: []string{}, err: errUsage},
		{name: "bad format", args: []string{"-i", in, "--format", "pdf"}, err: errUsage},
		{name: "stray argument", args: []string{"-i", in, "extra"}, err: errUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			out := ""
			if tt.out != "" {
				out = filepath.Join(dir, tt.out)
				args = append(args, "-o", out)
			}
			err := runReport(context.Background(), args)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				if out != "" {
					if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
						t.Fatalf("output %s exists after a failure", out)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("runReport: %v", err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}

func TestReportUnknownSchemaMessage(t *testing.T) {
	dir := t.TempDir()
	r := testReport()
	r.Schema = "ralab.report/v2"
	var b bytes.Buffer
	if err := render.JSON(&b, r); err != nil {
		t.Fatalf("render.JSON: %v", err)
	}
	path := filepath.Join(dir, "v2.json")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	err := runReport(context.Background(), []string{"-i", path, "-o", filepath.Join(dir, "x.md")})
	if err == nil {
		t.Fatal("runReport accepted schema v2")
	}
	for _, want := range []string{path, `"ralab.report/v2"`, `want "ralab.report/v1"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	if err := os.WriteFile(out, []byte("old report"), 0o600); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}

	// A report that cannot be encoded leaves the old file alone.
	bad := testReport()
	bad.DurationSeconds = math.NaN()
	if err := writeReport(nil, out, formatJSON, bad); err == nil {
		t.Fatal("writeReport encoded NaN")
	}
	if b, _ := os.ReadFile(out); string(b) != "old report" {
		t.Fatalf("old report changed to %q", b)
	}

	// A good one replaces it.
	if err := writeReport(nil, out, formatJSON, testReport()); err != nil {
		t.Fatalf("writeReport: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if !strings.Contains(string(b), conformance.SchemaVersion) {
		t.Fatalf("report not replaced: %q", b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if diff := cmp.Diff(os.FileMode(0o644), fi.Mode().Perm()); diff != "" {
		t.Errorf("mode (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	// A device is written in place, never renamed over.
	if err := writeReport(nil, os.DevNull, formatMarkdown, testReport()); err != nil {
		t.Fatalf("writeReport(%s): %v", os.DevNull, err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi, err)
	}

	// Standard output when no file is named.
	var buf bytes.Buffer
	if err := writeReport(&buf, "", formatMarkdown, testReport()); err != nil {
		t.Fatalf("writeReport to stdout: %v", err)
	}
	if !strings.HasPrefix(buf.String(), "# ralab report") {
		t.Errorf("stdout got %q", buf.String())
	}
}

// TestReportEndlessInput checks that "ralab report" refuses an endless
// input after maxReportBytes instead of reading until memory runs out.
func TestReportEndlessInput(t *testing.T) {
	t.Parallel()
	err := runReport(context.Background(), []string{"-i", "/dev/zero", "-o", filepath.Join(t.TempDir(), "x.md")})
	if !errors.Is(err, errReportTooLarge) {
		t.Errorf("report of /dev/zero: %v, want %v", err, errReportTooLarge)
	}
}
