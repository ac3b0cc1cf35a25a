package codestyle

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
)

// LogKeys maps a log key that must not be used to the one the project uses
// for the same thing, so that one query finds every error or source address
// in ralab's logs.
var LogKeys = map[string]string{
	"error":   "err",
	"source":  "src",
	"address": "addr",
}

// logMethods are the log/slog calls whose string arguments are keys and
// values.
var logMethods = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "With": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true, "Log": true,
}

// BadLogKey is a log call that uses a key of LogKeys.
type BadLogKey struct {
	Pos      string // file:line
	Key, Use string
}

func (b BadLogKey) String() string { return fmt.Sprintf("%s: log key %q, use %q", b.Pos, b.Key, b.Use) }

// badLogKeysIn returns the log calls of one parsed file that use a key of
// LogKeys. A key is a string literal at an even position after the message
// (With has no message).
func badLogKeysIn(fset *token.FileSet, f *ast.File, rel string) []BadLogKey {
	var found []BadLogKey
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !logMethods[sel.Sel.Name] {
			return true
		}
		for i, arg := range call.Args {
			lit, ok := arg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			key, err := strconv.Unquote(lit.Value)
			use, bad := LogKeys[key]
			if err != nil || !bad || !isKeyPosition(sel.Sel.Name, i) {
				continue
			}
			found = append(found,
				BadLogKey{Pos: fmt.Sprintf("%s:%d", rel, fset.Position(lit.Pos()).Line), Key: key, Use: use})
		}
		return true
	})
	return found
}

// isKeyPosition reports whether argument i of a log call is a key: after
// the message (and the context and level for the Context and Log forms),
// keys and values alternate.
func isKeyPosition(method string, i int) bool {
	first := 1
	switch method {
	case "With":
		first = 0
	case "DebugContext", "InfoContext", "WarnContext", "ErrorContext":
		first = 2
	case "Log":
		first = 3
	}
	return i >= first && (i-first)%2 == 0
}
