package scenario

import (
	"strconv"
	"strings"
)

// keyLines maps the key paths of a TOML document, such as
// "phase[1].override.max_interval" or "impairment.drop", to their 1-based
// lines. It is a line scanner for messages, not a parser: it understands
// table headers, arrays of tables, dotted keys, comments and multi-line
// arrays and strings, which is what scenario files use; anything else is
// simply not found (line 0).
func keyLines(doc string) map[string]int {
	lines := make(map[string]int)
	arrays := make(map[string]int) // array of tables path → last index
	table := ""
	depth := 0        // open brackets of a multi-line array value
	inString := false // inside a multi-line basic or literal string
	delim := ""       // its closing delimiter
	for n, line := range strings.Split(doc, "\n") {
		lineNo := n + 1
		if inString {
			if strings.Contains(line, delim) {
				inString = false
			}
			continue
		}
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		t := strings.TrimSpace(stripComment(line))
		switch {
		case t == "":
		case strings.HasPrefix(t, "[["):
			name := joinKey(strings.TrimSuffix(strings.TrimPrefix(t, "[["), "]]"), nil)
			i, ok := arrays[name]
			if ok {
				i++
			}
			arrays[name] = i
			table = name + "[" + strconv.Itoa(i) + "]"
			lines[table] = lineNo
		case strings.HasPrefix(t, "["):
			table = joinKey(strings.TrimSuffix(strings.TrimPrefix(t, "["), "]"), arrays)
			lines[table] = lineNo
		default:
			eq := strings.IndexByte(t, '=')
			if eq < 0 {
				continue
			}
			key := joinKey(t[:eq], nil)
			if table != "" {
				key = table + "." + key
			}
			lines[key] = lineNo
			value := strings.TrimSpace(t[eq+1:])
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(value, q) && strings.Count(value, q) == 1 {
					inString, delim = true, q
				}
			}
			if strings.HasPrefix(value, "[") {
				depth = bracketDelta(value)
			}
		}
	}
	return lines
}

// joinKey normalises a dotted key: it trims spaces and quotes of each
// part and, when arrays is not nil, adds the current index after each
// prefix that names an array of tables.
func joinKey(k string, arrays map[string]int) string {
	var out string
	for part := range strings.SplitSeq(k, ".") {
		part = strings.Trim(strings.TrimSpace(part), `"'`)
		if out != "" {
			out += "."
		}
		out += part
		if i, ok := arrays[out]; ok {
			out += "[" + strconv.Itoa(i) + "]"
		}
	}
	return out
}

// stripComment removes a # comment that is not inside a string.
func stripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return line[:i]
		}
	}
	return line
}

// bracketDelta counts '[' minus ']' outside strings and comments.
func bracketDelta(line string) int {
	line = stripComment(line)
	n := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			n++
		case c == ']':
			n--
		}
	}
	return n
}
