package config

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by every *Error, for use with errors.Is.
var (
	// ErrSyntax reports a file that is not valid TOML, or that nests keys,
	// tables and arrays deeper than ralab reads.
	ErrSyntax = errors.New("TOML syntax error")
	// ErrUnknownKey reports a key that ralab does not know.
	ErrUnknownKey = errors.New("unknown key")
	// ErrWrongType reports a value of the wrong TOML type, such as an
	// integer where a duration string is expected.
	ErrWrongType = errors.New("wrong type")
	// ErrMissingKey reports a required key that is absent.
	ErrMissingKey = errors.New("missing key")
	// ErrInvalidValue reports a value that is malformed or not allowed.
	ErrInvalidValue = errors.New("invalid value")
	// ErrOutOfRange reports a value outside its allowed range.
	ErrOutOfRange = errors.New("value out of range")
	// ErrDuplicate reports a value that may appear only once.
	ErrDuplicate = errors.New("duplicate value")
)

// Split returns the problems joined in err (as Parse, Load and
// impair.NewSpec join them), one error each; an error that joins nothing
// is its own only problem.
func Split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Error is one problem found in a configuration file. Parse returns all
// problems of a file joined with errors.Join.
type Error struct {
	// File is the file name given to Parse.
	File string
	// Line is the 1-based line of the key, or 0 when unknown.
	Line int
	// Interface is the name of the interface the key belongs to, when it
	// has a valid name.
	Interface string
	// Key is the full key path, such as "interface[0].rdnss[1].lifetime";
	// empty for most syntax errors. A path longer than 120 characters is
	// cut short, ending in "…".
	Key string
	// Value is the offending value as TOML, such as `"2s"`; empty when the
	// problem is not about a value. A string longer than 80 characters is
	// cut short with "…" before its closing quote, and an array after its
	// first elements with ", ...".
	Value string
	// Reason says what is wrong and what is allowed.
	Reason string
	// Err is one of the sentinel errors of this package.
	Err error
}

// Error formats e as "file:line: interface "eth0": key = value: reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if k := e.displayKey(); k != "" {
		b.WriteString(k)
		if e.Value != "" {
			b.WriteString(" = ")
			b.WriteString(e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// displayKey renders Key relative to its interface when the interface has
// a name: `interface "eth0": rdnss[1].lifetime`.
func (e *Error) displayKey() string {
	if e.Interface == "" || !strings.HasPrefix(e.Key, "interface[") {
		return e.Key
	}
	i := strings.IndexByte(e.Key, ']')
	head := "interface " + strconv.Quote(e.Interface)
	rest := strings.TrimPrefix(e.Key[i+1:], ".")
	if rest == "" {
		return head
	}
	return head + ": " + rest
}
