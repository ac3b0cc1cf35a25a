package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Messages echo what the file says, but never more than a few dozen
// characters of it, so that a mistyped 1 MB value cannot turn into a 1 MB
// log line.
const (
	// maxEcho is the most characters of a value a message shows.
	maxEcho = 80
	// maxEchoKey is the most characters of a key path a message shows;
	// every key ralab knows fits in far fewer.
	maxEchoKey = 120
	// maxEchoSyntax is the most characters of a TOML syntax error a
	// message shows; the TOML parser quotes the offending text in it.
	maxEchoSyntax = 240
)

// ellipsis marks text cut short.
const ellipsis = "…"

// quote renders s as a quoted string for messages, like strconv.Quote,
// but cut after maxEcho characters with "…" before the closing quote.
func quote(s string) string {
	// A character is at most 4 bytes, and escaping only lengthens it.
	if len(s) <= 4*maxEcho {
		if q := strconv.Quote(s); utf8.RuneCountInString(q) <= maxEcho {
			return q
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	n := 1 // Characters written so far.
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		// Quote each rune alone, so that an invalid byte is escaped just
		// as strconv.Quote escapes it in the whole string.
		e := strconv.Quote(s[i : i+size])
		e = e[1 : len(e)-1]
		// Keep room for "…" and the closing quote.
		if n+utf8.RuneCountInString(e) > maxEcho-2 {
			b.WriteString(ellipsis)
			break
		}
		b.WriteString(e)
		n += utf8.RuneCountInString(e)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// shorten cuts s after max characters, marking the cut with "…".
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + ellipsis
		}
		n++
	}
	return s // Not reached: s has more than max characters.
}

// shortenMiddle cuts characters out of the middle of s so that at most
// max remain, marking the cut with "…"; the end of a message often says
// what is wrong, so it keeps both ends.
func shortenMiddle(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	head := max / 2
	tail := max - head - 1
	r := []rune(s)
	return string(r[:head]) + ellipsis + string(r[len(r)-tail:])
}
