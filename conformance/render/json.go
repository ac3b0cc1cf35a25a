package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ralab/ralab/conformance"
)

// ErrUnknownSchema is returned by DecodeJSON for a report whose schema is
// not SchemaVersion.
var ErrUnknownSchema = errors.New("unknown report schema")

// errNilReport is returned by the renderers for a nil *Report.
var errNilReport = errors.New("conformance: no report to render")

// JSON writes r as indented JSON, the ralab.report/v1 format of
// SCHEMA.md, followed by a newline.
func JSON(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNilReport
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("conformance: encoding report: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("conformance: writing JSON: %w", err)
	}
	return nil
}

// DecodeJSON reads one JSON report as JSON writes it. It rejects a
// report of another schema version with an error wrapping
// ErrUnknownSchema, before trusting any other field. Unknown fields are
// ignored, as SCHEMA.md asks of consumers.
func DecodeJSON(rd io.Reader) (*conformance.Report, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("conformance: reading report: %w", err)
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("conformance: decoding report: %w", err)
	}
	switch {
	case head.Schema == nil:
		return nil, fmt.Errorf("conformance: %w: no \"schema\" field, want %q",
			ErrUnknownSchema, conformance.SchemaVersion)
	case *head.Schema != conformance.SchemaVersion:
		return nil, fmt.Errorf("conformance: %w %q, want %q", ErrUnknownSchema, *head.Schema, conformance.SchemaVersion)
	}
	var r conformance.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("conformance: decoding report: %w", err)
	}
	return &r, nil
}
