package main

// The manual page and the shell completions are generated from the
// commands' help (help.go); TestGeneratedDocs fails when they are stale.
//go:generate sh -c "go run . help --man > ../../docs/ralab.1"
//go:generate sh -c "go run . help --completion bash > ../../docs/completion/ralab.bash"
//go:generate sh -c "go run . help --completion zsh > ../../docs/completion/_ralab"
