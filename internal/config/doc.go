// Package config reads, validates and holds ralab's configuration.
//
// A configuration is a TOML file shaped like CoreRAD's: an optional [http]
// table and one [[interface]] table per served link, with
// [[interface.prefix]], [[interface.route]], [[interface.rdnss]],
// [[interface.dnssl]], [[interface.pref64]], [interface.dhcpv6] and
// [interface.dns_responder] (with [[interface.dns_responder.record]]) and
// [interface.observe] below it.
// configs/reference.toml documents every key.
//
// Parse and Load decode strictly: an unknown key, a value of the wrong
// type, a value out of range or an invalid value is an error. Every
// problem in a file is reported, not only the first, each as an *Error
// that names the file, the line, the key and the value and says what is
// allowed; errors.Is matches the sentinel errors ErrSyntax, ErrUnknownKey,
// ErrWrongType, ErrMissingKey, ErrInvalidValue, ErrOutOfRange and
// ErrDuplicate. Keys that have a computed default ("auto") are resolved,
// so a *Config holds the exact values ralab puts on the wire.
//
// Messages show at most 80 characters of a value, so that a huge value
// cannot flood a log. A file that nests keys, tables and arrays more than
// 32 levels deep is rejected as a syntax error before the TOML parser,
// which is slow on such files, sees it.
//
// Validation also guards against encoding limits of the mdlayher/ndp
// module: no single NDP option may reach 256 bytes, router lifetimes stay
// within 16 bits, PREF64 lifetimes are multiples of 8 s up to 65528 s, and
// DNSSL names lose their trailing dot.
package config
