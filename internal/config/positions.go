package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxRecordedPath is the length of a rendered key path beyond which the
// scanner records nothing inside a key: no keys or elements below it.
// Every path ralab reports is far shorter (the longest schema key,
// "interface[0].dhcpv6.information_refresh_time", has 44 bytes); the cap
// bounds the bytes copied per recorded path, and so keeps the scanner's
// work linear in the document, however deep arrays or tables nest and
// however long a key is.
const maxRecordedPath = 128

// maxNesting is how many levels deep ralab reads keys, tables and arrays:
// ralab's own keys nest at most 6 levels (interface[0].rdnss[0].servers[0]).
// BurntSushi/toml v1.6.0 takes time quadratic in the depth of keys and
// inline tables (a 25 kB file nesting 5000 levels takes seconds), so Parse
// rejects deeper files before handing them to it.
const maxNesting = 32

// scan scans a TOML document, recording the line of every key path in
// lines and whether it nests too deep in deepLine.
func scan(doc string) *scanner {
	s := &scanner{doc: doc, line: 1, lines: make(map[string]int), arrays: make(map[string]int)}
	s.document()
	return s
}

// scanner walks a TOML document recording the line of each key.
// BurntSushi/toml keeps key positions private and, for arrays of tables,
// keyed without the element index, so ralab scans the document itself to
// point messages at the right line.
//
// The scanner handles valid TOML and merely stops early on anything else;
// the TOML parser then reports the syntax error.
type scanner struct {
	doc  string
	pos  int
	line int
	// lines maps the String form of every key path, array elements
	// included, to the line it starts on; it leaves out what lies below a
	// path longer than maxRecordedPath.
	lines map[string]int
	// arrays counts the elements seen so far of each array of tables,
	// by path.
	arrays map[string]int
	// work counts the bytes of the key paths built, which tests use to
	// check that the scanner stays linear.
	work int
	// deepLine is the line where the document first nests more than
	// maxNesting levels deep, or 0; deepKey is the nearest recorded path
	// there.
	deepLine int
	deepKey  string
}

// path is a rendered key path, such as interface[0].rdnss[1], of n
// pieces ("interface", "[0]", ".rdnss", "[1]"); ok is false below a path
// too long to record, where nothing is recorded and s is the nearest
// path that was.
type path struct {
	s  string
	n  int
	ok bool
}

// root is the path of the top-level table.
var root = path{ok: true}

// deep reports whether nothing is to be recorded below p.
func (p path) deep() bool { return !p.ok || len(p.s) > maxRecordedPath }

// childKey returns p extended by the table key k, rendered as keyPath.key
// renders it.
func (s *scanner) childKey(p path, k string) path {
	s.nested(p, p.n+1)
	if p.deep() {
		return path{s: p.s, n: p.n + 1}
	}
	q := quoteKey(k)
	if p.s != "" {
		q = p.s + "." + q
	}
	s.work += len(q)
	return path{q, p.n + 1, true}
}

// childIndex returns p extended by the array index i.
func (s *scanner) childIndex(p path, i int) path {
	s.nested(p, p.n+1)
	if p.deep() {
		return path{s: p.s, n: p.n + 1}
	}
	q := p.s + "[" + strconv.Itoa(i) + "]"
	s.work += len(q)
	return path{q, p.n + 1, true}
}

// nested notes that the document nests n levels deep below p at the
// cursor.
func (s *scanner) nested(p path, n int) {
	if n > maxNesting && s.deepLine == 0 {
		s.deepLine = s.line
		s.deepKey = p.s
	}
}

func (s *scanner) eof() bool { return s.pos >= len(s.doc) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.doc[s.pos]
}

func (s *scanner) advance() {
	if s.doc[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

// record notes that p starts on line; the first occurrence wins.
func (s *scanner) record(p path, line int) {
	if !p.ok {
		return
	}
	if _, ok := s.lines[p.s]; !ok {
		s.lines[p.s] = line
	}
}

// skipSpace skips blanks, and newlines and comments too when nl is set.
func (s *scanner) skipSpace(nl bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t':
			s.advance()
		case nl && (c == '\n' || c == '\r'):
			s.advance()
		case nl && c == '#':
			s.skipComment()
		default:
			return
		}
	}
}

// skipComment skips to the end of the line, leaving the newline.
func (s *scanner) skipComment() {
	for !s.eof() && s.peek() != '\n' {
		s.advance()
	}
}

func (s *scanner) document() {
	table := root
	for {
		s.skipSpace(true)
		if s.eof() {
			return
		}
		start := s.pos
		if s.peek() == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		if s.pos == start {
			return // Not valid TOML: give up.
		}
		s.skipSpace(false)
		if s.peek() == '#' {
			s.skipComment()
		}
	}
}

// header reads a [table] or [[array]] header and returns its path.
func (s *scanner) header() path {
	s.advance()
	array := s.peek() == '['
	if array {
		s.advance()
	}
	segs := s.key()
	for !s.eof() && s.peek() == ']' {
		s.advance()
	}
	// Record every prefix too: [a.b] may be where table a starts.
	p := root
	for i, seg := range segs {
		if p = s.childKey(p, seg); !p.ok {
			continue // Only count the pieces.
		}
		s.record(p, s.line)
		if i == len(segs)-1 && array {
			n := s.arrays[p.s]
			s.arrays[p.s] = n + 1
			p = s.childIndex(p, n)
			break
		}
		if n, ok := s.arrays[p.s]; ok {
			p = s.childIndex(p, n-1)
		}
	}
	s.record(p, s.line)
	return p
}

// key reads a possibly dotted, possibly quoted key.
func (s *scanner) key() []string {
	var segs []string
	for {
		s.skipSpace(false)
		var b strings.Builder
		switch c := s.peek(); c {
		case '"', '\'':
			s.advance()
			for !s.eof() && s.peek() != c && s.peek() != '\n' {
				if c == '"' && s.peek() == '\\' {
					s.escape(&b)
					continue
				}
				b.WriteByte(s.peek())
				s.advance()
			}
			if !s.eof() && s.peek() == c {
				s.advance()
			}
		default:
			for !s.eof() && isBareKeyChar(rune(s.peek())) {
				b.WriteByte(s.peek())
				s.advance()
			}
		}
		segs = append(segs, b.String())
		s.skipSpace(false)
		if s.peek() != '.' {
			return segs
		}
		s.advance()
	}
}

// escapes maps the single-letter escapes of a basic string to the bytes
// they stand for (TOML 1.0 §String, and \e from TOML 1.1, which
// BurntSushi/toml v1.6.0 accepts).
var escapes = map[byte]byte{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'e': 0x1b, '"': '"', '\\': '\\'}

// escape decodes the escape sequence at the backslash under the cursor
// into b, as BurntSushi/toml does, so that quoted keys render as the
// decoder renders them.
func (s *scanner) escape(b *strings.Builder) {
	s.advance()
	if s.eof() {
		return
	}
	c := s.peek()
	if e, ok := escapes[c]; ok {
		b.WriteByte(e)
		s.advance()
		return
	}
	// \xHH (TOML 1.1), \uHHHH and \UHHHHHHHH name a Unicode code point.
	digits := 0
	switch c {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	}
	if digits > 0 && s.pos+1+digits <= len(s.doc) {
		if r, err := strconv.ParseUint(s.doc[s.pos+1:s.pos+1+digits], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
			b.WriteRune(rune(r))
			s.pos += 1 + digits
			return
		}
	}
	// Not valid TOML; keep the character.
	b.WriteByte(c)
	s.advance()
}

// keyValue reads "key = value" inside table.
func (s *scanner) keyValue(table path) {
	p := table
	line := s.line
	// Record every prefix too: a.b = 1 may be where table a starts.
	for _, seg := range s.key() {
		p = s.childKey(p, seg)
		s.record(p, line)
	}
	if s.peek() != '=' {
		return
	}
	s.advance()
	s.skipSpace(false)
	s.value(p)
}

// value skips one value, recording the keys and elements inside it.
func (s *scanner) value(p path) {
	if p.n > maxNesting {
		s.skipValue(p)
		return
	}
	switch s.peek() {
	case '"', '\'':
		s.skipString()
	case '[':
		s.advance()
		for i := 0; ; i++ {
			s.skipSpace(true)
			if s.eof() || s.peek() == ']' {
				break
			}
			e := s.childIndex(p, i)
			s.record(e, s.line)
			start := s.pos
			s.value(e)
			s.skipSpace(true)
			if s.peek() == ',' {
				s.advance()
			} else if s.pos == start {
				return
			}
		}
		if !s.eof() {
			s.advance()
		}
	case '{':
		s.advance()
		for {
			s.skipSpace(true)
			if s.eof() || s.peek() == '}' {
				break
			}
			start := s.pos
			s.keyValue(p)
			s.skipSpace(true)
			if s.peek() == ',' {
				s.advance()
			} else if s.pos == start {
				return
			}
		}
		if !s.eof() {
			s.advance()
		}
	default:
		s.skipScalar()
	}
}

// skipScalar skips a number, boolean or date.
func (s *scanner) skipScalar() {
	for !s.eof() && !strings.ContainsRune(",]}#\r\n", rune(s.peek())) {
		s.advance()
	}
}

// skipValue skips one value of any depth at p, without recording
// anything. It loops instead of recursing, so nesting costs neither time
// nor stack.
func (s *scanner) skipValue(p path) {
	depth := 0
	for !s.eof() {
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			s.skipString()
			if depth == 0 {
				return
			}
		case c == '[' || c == '{':
			depth++
			s.nested(p, p.n+depth)
			s.advance()
		case c == ']' || c == '}':
			if depth == 0 {
				return
			}
			depth--
			s.advance()
			if depth == 0 {
				return
			}
		case depth > 0 && c == '#':
			s.skipComment()
		case depth > 0:
			s.advance()
		default:
			s.skipScalar()
			return
		}
	}
}

// skipString skips a basic or literal string, single- or multi-line.
func (s *scanner) skipString() {
	if rest := s.doc[s.pos:]; strings.HasPrefix(rest, `"""`) || strings.HasPrefix(rest, `'''`) {
		q := rest[:3]
		s.pos += 3
		for !s.eof() && !strings.HasPrefix(s.doc[s.pos:], q) {
			if q[0] == '"' && s.peek() == '\\' && s.pos+1 < len(s.doc) {
				s.advance()
			}
			s.advance()
		}
		s.pos = min(s.pos+3, len(s.doc))
		// Up to two more quotes may close the string (TOML 1.0 §String).
		for i := 0; i < 2 && s.peek() == q[0]; i++ {
			s.advance()
		}
		return
	}
	c := s.peek()
	s.advance()
	for !s.eof() && s.peek() != c && s.peek() != '\n' {
		if c == '"' && s.peek() == '\\' && s.pos+1 < len(s.doc) {
			s.advance()
		}
		s.advance()
	}
	if !s.eof() && s.peek() == c {
		s.advance()
	}
}
