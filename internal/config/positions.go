package config

import "strings"

// keyLines maps the String form of every key path in a TOML document,
// array elements included, to the line it starts on. BurntSushi/toml keeps
// key positions private and, for arrays of tables, keyed without the
// element index, so ralab scans the document itself to point messages at
// the right line.
//
// The scanner runs only on documents the TOML parser accepted, so it
// handles valid TOML and merely stops early on anything else.
func keyLines(doc string) map[string]int {
	s := &scanner{doc: doc, line: 1, lines: make(map[string]int), arrays: make(map[string]int)}
	s.document()
	return s.lines
}

// scanner walks a TOML document recording the line of each key.
type scanner struct {
	doc   string
	pos   int
	line  int
	lines map[string]int
	// arrays counts the elements seen so far of each array of tables,
	// by path.
	arrays map[string]int
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

// record notes the line of p; the first occurrence wins.
func (s *scanner) record(p keyPath) {
	k := p.String()
	if _, ok := s.lines[k]; !ok {
		s.lines[k] = s.line
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
			for !s.eof() && s.peek() != '\n' {
				s.advance()
			}
		default:
			return
		}
	}
}

// skipLine skips to the start of the next line.
func (s *scanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.advance()
	}
	if !s.eof() {
		s.advance()
	}
}

func (s *scanner) document() {
	var table keyPath
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
			s.skipLine()
		}
	}
}

// header reads a [table] or [[array]] header and returns its path.
func (s *scanner) header() keyPath {
	s.advance()
	array := s.peek() == '['
	if array {
		s.advance()
	}
	segs := s.key()
	for !s.eof() && s.peek() == ']' {
		s.advance()
	}
	var p keyPath
	for i, seg := range segs {
		p = p.key(seg)
		last := i == len(segs)-1
		if last && array {
			s.record(p)
			n := s.arrays[p.String()]
			s.arrays[p.String()] = n + 1
			p = p.index(n)
			break
		}
		if n, ok := s.arrays[p.String()]; ok {
			p = p.index(n - 1)
		}
	}
	s.record(p)
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
				if c == '"' && s.peek() == '\\' && s.pos+1 < len(s.doc) {
					s.advance()
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

// keyValue reads "key = value" inside table.
func (s *scanner) keyValue(table keyPath) {
	p := table
	line := s.line
	for _, seg := range s.key() {
		p = p.key(seg)
	}
	if s.peek() != '=' {
		return
	}
	s.advance()
	s.skipSpace(false)
	if _, ok := s.lines[p.String()]; !ok {
		s.lines[p.String()] = line
	}
	s.value(p)
}

// value skips one value, recording the keys and elements inside it.
func (s *scanner) value(p keyPath) {
	switch {
	case strings.HasPrefix(s.doc[s.pos:], `"""`), strings.HasPrefix(s.doc[s.pos:], `'''`):
		q := s.doc[s.pos : s.pos+3]
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
	case s.peek() == '"' || s.peek() == '\'':
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
	case s.peek() == '[':
		s.advance()
		for i := 0; ; i++ {
			s.skipSpace(true)
			if s.eof() || s.peek() == ']' {
				break
			}
			e := p.index(i)
			s.record(e)
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
	case s.peek() == '{':
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
		for !s.eof() && !strings.ContainsRune(",]}#\r\n", rune(s.peek())) {
			s.advance()
		}
	}
}
