package liveobserve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/httpstatus"
)

// Render writes r to w in format (FormatJSON, FormatMarkdown or
// FormatHTML).
func Render(w io.Writer, format string, r *conformance.Report) error {
	switch format {
	case FormatJSON:
		return render.JSON(w, r)
	case FormatMarkdown:
		return render.Markdown(w, r)
	case FormatHTML:
		return render.HTML(w, r)
	}
	return fmt.Errorf("%w %q: want json, md or html", ErrFormat, format)
}

// WriteFile renders r in format to the file path. A regular file is
// replaced atomically (written beside it, then renamed), so a reader never
// sees half a report, and a failure leaves the old file as it was. Other
// targets, such as /dev/stdout, are written in place.
func WriteFile(path, format string, r *conformance.Report) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		bw := bufio.NewWriter(f)
		err = Render(bw, format, r)
		if err == nil {
			err = bw.Flush()
		}
		return errors.Join(err, f.Close())
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	bw := bufio.NewWriter(tmp)
	err = Render(bw, format, r)
	if err == nil {
		err = bw.Flush()
	}
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return nil
}

// writeOutputs writes r to every configured output.
func (o *Observer) writeOutputs(r *conformance.Report) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	var errs []error
	for _, out := range o.cfg.Outputs {
		errs = append(errs, WriteFile(out.Path, out.Format, r))
	}
	return errors.Join(errs...)
}

// ServeHTTP serves the current report for the HTTP listener of "ralab
// serve" (at /report/<interface>): as HTML to a browser, as
// ralab.report/v1 JSON otherwise, and in the format the query parameter
// format names (json, html or md) when given.
func (o *Observer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	format := httpstatus.Negotiate(req)
	ctype, ok := contentTypes[format]
	if !ok {
		http.Error(w, "unknown format: want json, html or md", http.StatusBadRequest)
		return
	}
	r := o.Report(time.Now())
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Accept")
	if req.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriter(w)
	if err := Render(bw, format, r); err != nil {
		o.log.Warn("serving the report", "err", err)
		return
	}
	_ = bw.Flush()
}

// contentTypes maps a report format to its media type.
var contentTypes = map[string]string{
	FormatJSON:     "application/json",
	FormatHTML:     "text/html; charset=utf-8",
	FormatMarkdown: "text/markdown; charset=utf-8",
}
