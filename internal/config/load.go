package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/BurntSushi/toml"
)

// Load reads (with ReadFile: a regular file of at most MaxFileBytes) and
// validates the configuration file at path.
func Load(path string) (*Config, error) {
	b, err := ReadFile(path)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a configuration; name is used in messages.
// On failure the error joins one *Error per problem, in line order, at
// most MaxReportedErrors of them and then one with ErrMoreProblems.
func Parse(name string, data []byte) (*Config, error) {
	tree, lines, err := DecodeDocument(name, data)
	if err != nil {
		return nil, err
	}
	v := &validator{file: name, lines: lines, failed: make(map[string]bool)}
	var raw rawConfig
	(&decoder{v: v}).table(nil, tree, reflect.ValueOf(&raw).Elem())
	c := v.convert(&raw)
	if len(raw.Interface) == 0 && !v.failed["interface"] {
		v.fail(nil, "", ErrMissingKey, "no [[interface]] table: configure at least one interface")
	}
	if err := v.errs.Err(name); err != nil {
		return nil, err
	}
	c.Warnings = v.warns.Strings(name)
	return c, nil
}

// DecodeDocument decodes a TOML document (any of ralab's files: the
// configuration, scenarios) into a generic tree, with the line of every
// key path, such as "phase[1].override.max_interval" (keys rendered as
// JoinKey does), for messages. It first scans the document, which is
// linear, and refuses nesting deeper than ralab reads, which the TOML
// parser would take quadratic time over. Each failure is an *Error with
// ErrSyntax, naming name and the line.
func DecodeDocument(name string, data []byte) (tree map[string]any, lines map[string]int, err error) {
	s := scan(string(data))
	if s.deepLine > 0 {
		return nil, nil, &Error{File: name, Line: s.deepLine, Key: shorten(s.deepKey, maxEchoKey), Err: ErrSyntax,
			Reason: fmt.Sprintf(
				"keys, tables and arrays nest more than %d levels deep here; ralab reads at most %d (its own keys nest at most 6)",
				maxNesting, maxNesting)}
	}
	if _, err := toml.Decode(string(data), &tree); err != nil {
		e := &Error{File: name, Reason: "TOML syntax error: " + shortenMiddle(err.Error(), maxEchoSyntax),
			Err: ErrSyntax}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line = pe.Position.Line
			// Position.Line is one too far when the error is at a newline;
			// the byte offset is exact.
			if st := pe.Position.Start; st >= 0 && st <= len(data) {
				e.Line = 1 + bytes.Count(data[:st], []byte("\n"))
			}
			e.Reason = "TOML syntax error: " + shortenMiddle(pe.Message, maxEchoSyntax)
		}
		return nil, nil, e
	}
	return tree, s.lines, nil
}
