package config

import (
	"strconv"
	"strings"
)

// keyPath is a key path such as interface[0].rdnss[1].lifetime, kept as
// rendered pieces ("interface", "[0]", ".rdnss", ...) so that a parent is
// a prefix slice.
type keyPath []string

// key returns p extended by the table key k.
func (p keyPath) key(k string) keyPath {
	piece := quoteKey(k)
	if len(p) > 0 {
		piece = "." + piece
	}
	return append(p[:len(p):len(p)], piece)
}

// index returns p extended by the array index i.
func (p keyPath) index(i int) keyPath {
	return append(p[:len(p):len(p)], "["+strconv.Itoa(i)+"]")
}

// String returns the path as written in messages.
func (p keyPath) String() string { return strings.Join(p, "") }

// JoinKey returns the key path prefix extended by the table key k, as
// messages and DecodeDocument's lines render it: k quoted when it is not
// a TOML bare key.
func JoinKey(prefix, k string) string {
	if prefix == "" {
		return quoteKey(k)
	}
	return prefix + "." + quoteKey(k)
}

// quoteKey quotes a key that is not a TOML bare key.
func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !isBareKeyChar(r) {
			return strconv.Quote(k)
		}
	}
	return k
}

// isBareKeyChar reports whether r may appear in a TOML bare key.
func isBareKeyChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}
