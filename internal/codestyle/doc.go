// Package codestyle holds the project's own style checks that gofmt, go vet
// and staticcheck do not make: no function longer than a screen unless its
// doc comment says why, no log key the project spells otherwise, and no
// line over 120 columns unless a long string literal (or a URL in a
// comment) that should stay greppable makes it so. Its test runs them over
// the whole module, so CI fails on a new finding.
package codestyle
