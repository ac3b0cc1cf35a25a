// Package limits holds the limits of the Router Advertisement fields and
// options that ralab sends, each with its source: those of the RFCs and
// the narrower ones of github.com/mdlayher/ndp v1.1.0. Package ra enforces
// them on what it puts on the wire and internal/config on configuration
// files, from this one source.
//
// The package is separate from ra because ra imports internal/config.
package limits
