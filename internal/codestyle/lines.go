package codestyle

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"strings"
	"unicode/utf8"
)

// MaxLineColumns is the widest a line may be, with tabs counted as
// TabWidth columns, unless it holds a long string literal or, in a
// comment, a long URL.
const MaxLineColumns = 120

// TabWidth is how many columns a tab counts for: tabs stop every TabWidth
// columns, as `expand -t4` prints them.
const TabWidth = 4

// MinGreppableString is the shortest string literal (quotes left out) or
// URL in a comment that makes a long line acceptable: a log message, an
// error text, a help text or a template piece stays whole so that grep
// finds it, and a URL cannot be broken.
const MinGreppableString = 40

// LongLine is a line over MaxLineColumns without a long string literal or
// URL.
type LongLine struct {
	Pos     string // file:line
	Columns int
}

func (l LongLine) String() string {
	return fmt.Sprintf("%s: line is %d columns (limit %d)", l.Pos, l.Columns, MaxLineColumns)
}

// longLinesIn returns the lines of one file's source over MaxLineColumns
// that hold no string literal, and no URL in a comment, of
// MinGreppableString characters or more.
func longLinesIn(src []byte, rel string) []LongLine {
	exempt := linesWithLongStrings(src)
	var found []LongLine
	for i, line := range bytes.Split(src, []byte("\n")) {
		n := columns(line)
		if n > MaxLineColumns && !exempt[i+1] {
			found = append(found, LongLine{Pos: fmt.Sprintf("%s:%d", rel, i+1), Columns: n})
		}
	}
	return found
}

// columns is the width of a line with tabs expanded to stops every
// TabWidth columns; every other rune is one column.
func columns(line []byte) int {
	n := 0
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
		line = line[size:]
		switch r {
		case '\t':
			n += TabWidth - n%TabWidth
		case '\r':
		default:
			n++
		}
	}
	return n
}

// linesWithLongStrings returns the line numbers covered by a string
// literal of at least MinGreppableString characters (a raw string over
// several lines covers each of them) and those of the URLs in comments
// that long.
func linesWithLongStrings(src []byte) map[int]bool {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	lines := map[int]bool{}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return lines
		}
		first := file.Line(pos)
		if tok == token.COMMENT {
			for _, l := range longURLLines(lit) {
				lines[first+l] = true
			}
		}
		if tok != token.STRING || utf8.RuneCountInString(lit)-2 < MinGreppableString {
			continue
		}
		last := first + bytes.Count([]byte(lit), []byte("\n"))
		for l := first; l <= last; l++ {
			lines[l] = true
		}
	}
}

// longURLLines returns the lines, counted from 0, of a comment's text that
// hold an http or https URL of at least MinGreppableString characters.
func longURLLines(comment string) []int {
	var found []int
	for i, line := range strings.Split(comment, "\n") {
		for _, word := range strings.Fields(line) {
			word = strings.Trim(word, "()<>[].,;\"'")
			long := utf8.RuneCountInString(word) >= MinGreppableString
			if long && (strings.HasPrefix(word, "https://") || strings.HasPrefix(word, "http://")) {
				found = append(found, i)
				break
			}
		}
	}
	return found
}
