package liveobserve

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/capture"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
)

// testRA is an RA with M=0 O=1, lifetime 1800 s, an RDNSS, a DNSSL and a
// PREF64 option.
func testRA(t testing.TB) []byte {
	t.Helper()
	m := &ndp.RouterAdvertisement{
		ManagedConfiguration: false,
		OtherConfiguration:   true,
		RouterLifetime:       1800 * time.Second,
		Options: []ndp.Option{
			&ndp.PrefixInformation{PrefixLength: 64, OnLink: true, AutonomousAddressConfiguration: true,
				ValidLifetime: time.Hour, PreferredLifetime: time.Hour, Prefix: netip.MustParseAddr("2001:db8:1::")},
			&ndp.RecursiveDNSServer{Lifetime: 600 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("2001:db8:1::53")}},
			&ndp.DNSSearchList{Lifetime: ndp.Infinity, DomainNames: []string{"lab.example"}},
			ndp.NewMTU(1500),
		},
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		t.Fatalf("MarshalMessage: %v", err)
	}
	return b
}

func TestSummarizeRA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, why string
		msg       []byte
		want      string
	}{
		{name: "full", why: "periodic", msg: testRA(t),
			want: "RA (periodic): M=0 O=1, router lifetime 1800s; prefix 2001:db8:1::/64; RDNSS 2001:db8:1::53 600s; DNSSL lab.example infinite; MTU 1500"},
		{name: "not an RA", msg: []byte{133, 0, 0, 0}, want: "RA: undecodable: "},
		{name: "empty", why: "final", msg: nil, want: "RA (final): undecodable: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SummarizeRA(tt.why, tt.msg)
			if !strings.HasPrefix(got, tt.want) || strings.HasSuffix(tt.want, ": ") == (got == tt.want) {
				t.Errorf("SummarizeRA = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSummarizeDHCPv6(t *testing.T) {
	t.Parallel()
	dns := append([]byte{0, 23, 0, 16}, netip.MustParseAddr("2001:db8:1::53").AsSlice()...)
	dom := []byte{0, 24, 0, 13, 3, 'l', 'a', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}
	ref := []byte{0, 32, 0, 4, 0, 0, 0x02, 0x58}
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{name: "reply", msg: concat([]byte{7, 1, 2, 3}, dns, dom, ref),
			want: "DHCPv6 Reply: DNS 2001:db8:1::53; domains lab.example; refresh 600s"},
		{name: "no DNS", msg: []byte{7, 1, 2, 3, 0, 13, 0, 2, 0, 2}, want: "DHCPv6 Reply: status 2"},
		{name: "empty reply", msg: []byte{7, 1, 2, 3}, want: "DHCPv6 Reply: no DNS"},
		{name: "advertise", msg: []byte{2, 1, 2, 3}, want: "DHCPv6 Advertise: no DNS"},
		{name: "unknown type", msg: []byte{99, 1, 2, 3}, want: "DHCPv6 type 99: no DNS"},
		{name: "truncated option", msg: []byte{7, 1, 2, 3, 0, 23, 0, 16, 1}, want: "DHCPv6 Reply: truncated option"},
		{name: "truncated", msg: []byte{7}, want: "DHCPv6: truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, SummarizeDHCPv6(tt.msg)); diff != "" {
				t.Errorf("SummarizeDHCPv6 mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func concat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func FuzzSummarizeDHCPv6(f *testing.F) {
	f.Add([]byte{7, 1, 2, 3, 0, 24, 0, 5, 3, 'l', 'a', 'b', 0})
	f.Add([]byte{7, 1, 2, 3, 0, 23, 0, 16, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s := SummarizeDHCPv6(b); !strings.HasPrefix(s, "DHCPv6") {
			t.Fatalf("summary %q", s)
		}
	})
}

func FuzzSummarizeRA(f *testing.F) {
	f.Add(testRA(f))
	f.Add([]byte{134, 0, 0, 0, 64, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 25, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s := SummarizeRA("x", b); !strings.HasPrefix(s, "RA (x)") {
			t.Fatalf("summary %q", s)
		}
	})
}

func TestEffectFindings(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	l := newEffectLog()
	l.add(impair.Effect{At: t0.Add(time.Second), Impairment: "drop-replies", FID: "F9", Action: impair.ActionDrop, Detail: "reply 1"})
	l.add(impair.Effect{At: t0, Impairment: "omit-rdnss", FID: "F6", Action: impair.ActionModify, Detail: "RA #1"})
	l.add(impair.Effect{At: t0.Add(2 * time.Second), Impairment: "drop-replies", FID: "F9", Action: impair.ActionDrop, Detail: "reply 2"})
	l.add(impair.Effect{At: t0.Add(3 * time.Second), Impairment: "custom", Action: impair.ActionDelay, Detail: "d"})
	want := []conformance.Finding{
		{ID: "F6", Severity: conformance.SeverityInfo, Time: t0, Evidence: []conformance.Evidence{}, Count: 1,
			Message: `ralab's own impairment "omit-rdnss" did "modify" 1 times (this is the lab, not the network): first RA #1`},
		{ID: "F9", Severity: conformance.SeverityInfo, Time: t0.Add(time.Second), Evidence: []conformance.Evidence{}, Count: 2,
			Message: `ralab's own impairment "drop-replies" did "drop" 2 times (this is the lab, not the network): first reply 1; last reply 2`},
		{ID: "IMPAIRMENT", Severity: conformance.SeverityInfo, Time: t0.Add(3 * time.Second), Evidence: []conformance.Evidence{}, Count: 1,
			Message: `ralab's own impairment "custom" did "delay" 1 times (this is the lab, not the network): first d`},
	}
	if diff := cmp.Diff(want, l.findings()); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}

	for i := range maxEffects + 3 {
		l.add(impair.Effect{Impairment: "many", Action: impair.Action(strings.Repeat("x", i+1))})
	}
	fs := l.findings()
	if last := fs[len(fs)-1]; len(fs) != maxEffects+1 || last.Count != 6 || !strings.Contains(last.Message, "6 further") {
		t.Errorf("capped findings: %d, last %+v", len(fs), last)
	}
}

func TestWithCaptureFindings(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	tr := conformance.NewTracker(conformance.Options{})
	if r := WithCaptureFindings(tr.Report(now), capture.Stats{Packets: 10}, now); len(r.Findings) != 0 {
		t.Fatalf("findings without drops: %+v", r.Findings)
	}
	r := WithCaptureFindings(tr.Report(now), capture.Stats{Packets: 10, KernelDrops: 3}, now)
	if len(r.Findings) != 1 || r.Findings[0].ID != conformance.CheckCapture || !strings.Contains(r.Findings[0].Message, "dropped 3 frames") {
		t.Fatalf("findings %+v, want one CAPTURE finding about 3 drops", r.Findings)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    Config
		err  error
		text string
	}{
		{name: "no interface", c: Config{}, err: ErrNoInterface},
		{name: "bad format", c: Config{Interface: "lo", Outputs: []Output{{Path: "x", Format: "xml"}}}, err: ErrFormat},
		{name: "missing interface", c: Config{Interface: "ralabno0"}, text: `interface "ralabno0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(t.Context(), tt.c)
			if err == nil || tt.err != nil && !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Start: %v, want %v containing %q", err, tt.err, tt.text)
			}
		})
	}
}

// TestWaitWithoutInterface starts an observer on an interface that does
// not exist (none is created, so nothing touches the host): it waits,
// serves an empty report, and Close writes the pcapng file and the
// reports.
func TestWaitWithoutInterface(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ifc := config.Interface{Name: "ralabno1", Observe: config.Observe{Enabled: true, Dir: dir, ReportEvery: 20 * time.Millisecond, MaxClients: 10}}
	c := FromConfig(ifc, nil)
	c.Poll = 10 * time.Millisecond
	obs, err := Start(t.Context(), c)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	obs.NoteSent(conformance.Sent{Time: time.Now(), Kind: conformance.SentRA, Destination: netip.MustParseAddr("ff02::1"), Summary: "x"})
	obs.NoteRA(time.Now(), "periodic", netip.MustParseAddr("ff02::1"), net.HardwareAddr{2, 0, 0, 0, 0, 9}, testRA(t))
	obs.NoteDHCPv6Reply(time.Now(), netip.MustParseAddr("fe80::1"), []byte{7, 1, 2, 3})
	obs.NoteEffect(impair.Effect{At: time.Now(), Impairment: "drop-replies", FID: "F9", Action: impair.ActionDrop, Detail: "d"})

	// The periodic rewrite happens while waiting for the interface.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ralabno1.report.html")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no periodic report")
		}
		time.Sleep(10 * time.Millisecond)
	}

	rec := httptest.NewRecorder()
	obs.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/report", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	r, err := render.DecodeJSON(rec.Body)
	if err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	kinds := []string{}
	for _, s := range r.Sent {
		kinds = append(kinds, s.Kind+" "+s.Summary)
	}
	want := []string{"ra x", "ra " + SummarizeRA("periodic", testRA(t)), "dhcpv6-reply DHCPv6 Reply: no DNS"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("sent mismatch (-want +got):\n%s", diff)
	}
	if len(r.Findings) != 1 || r.Findings[0].ID != "F9" {
		t.Errorf("findings %+v, want the F9 impairment", r.Findings)
	}
	for _, tt := range []struct{ target, accept, wantType, wantIn string }{
		{"/report", "text/html,*/*;q=0.8", "text/html; charset=utf-8", "ralabno1"},
		{"/report?format=md", "text/html", "text/markdown; charset=utf-8", "ralabno1"},
		{"/report?format=json", "text/html", "application/json", `"name": "ralabno1"`},
	} {
		rec = httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, tt.target, nil)
		req.Header.Set("Accept", tt.accept)
		obs.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tt.wantType || !strings.Contains(rec.Body.String(), tt.wantIn) {
			t.Errorf("GET %s (Accept %s): %d %q, body without %q", tt.target, tt.accept, rec.Code, rec.Header().Get("Content-Type"), tt.wantIn)
		}
	}
	rec = httptest.NewRecorder()
	obs.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/report?format=pdf", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("GET ?format=pdf: %d, want 400", rec.Code)
	}
	rec = httptest.NewRecorder()
	obs.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/report", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}

	final, err := obs.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err2 := obs.Close(); err2 != nil {
		t.Fatalf("second Close: %v", err2)
	}
	if final.Source.Name != "ralabno1" || len(final.Sent) != 3 {
		t.Errorf("final report source %+v, %d sent", final.Source, len(final.Sent))
	}
	for _, ext := range []string{".pcapng", ".report.json", ".report.md", ".report.html"} {
		fi, err := os.Stat(filepath.Join(dir, "ralabno1"+ext))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v, %v", ext, fi, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "ralabno1.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if r, err := render.DecodeJSON(f); err != nil || len(r.Sent) != 3 {
		t.Errorf("report file: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	r := conformance.NewTracker(conformance.Options{}).Report(time.Now())
	if err := WriteFile(path, FormatJSON, r); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if err := WriteFile(path, "xml", r); !errors.Is(err, ErrFormat) {
		t.Fatalf("WriteFile xml: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only r.json (no temporary files left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "no", "r.json"), FormatJSON, r); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}
