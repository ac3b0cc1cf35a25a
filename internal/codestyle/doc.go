// Package codestyle holds the project's own style checks that gofmt, go vet
// and staticcheck do not make: no function longer than a screen unless its
// doc comment says why. Its test runs them over the whole module, so CI
// fails on a new finding.
package codestyle
