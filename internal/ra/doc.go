// Package ra turns one interface's configuration into the Router
// Advertisement ralab sends, and decodes Router Advertisements back.
//
// Build is pure: it validates every value it is given (it does not trust
// configuration validation), builds a github.com/mdlayher/ndp message that
// steers around the known bugs of ndp v1.1.0, marshals it, decodes the bytes
// with this package's own option walker (Decode) and compares every value on
// the wire with the configuration. A value that would reach the wire
// differently from the configuration is an error, never a silent change.
//
// Each option is one type in its own file (opt_*.go) that holds all this
// package knows about it: the checks of its values, its encoding (and the
// guard against the ndp bug that makes ralab encode it itself, if any), its
// decoding, comparison and description, and what Final and Withdrawn do
// with it. The limits of fields and options come from package limits
// (internal/ra/limits), which internal/config enforces too.
//
// The package is internal: its input is ralab's own config.Interface, whose
// shape follows ralab's TOML file, and a library for other programs would
// need input types of its own. Programs that only need to read RAs use the
// observer's decoder, conformance/wire, which is public.
//
// Final and Withdrawn derive the configuration of the RAs sent at shutdown
// and after a reload, so that clients drop what is no longer offered.
// Describe and Hex render an RA for humans, as radvdump and rdisc6 do.
package ra
