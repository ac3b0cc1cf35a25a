package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestObserveDirProblem checks what ralab check says about an observe
// directory, without creating anything.
func TestObserveDirProblem(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir string
		err       error
	}{
		{"existing", tmp, nil},
		{"missing under a writable parent", filepath.Join(tmp, "a", "b"), nil},
		{"a file", file, ErrObserveDir},
		{"under a file", filepath.Join(file, "observe"), ErrObserveDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ObserveDirProblem(tt.dir)
			if !errors.Is(err, tt.err) {
				t.Errorf("ObserveDirProblem(%q) = %v, want %v", tt.dir, err, tt.err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(tmp, "a")); err == nil {
		t.Error("ObserveDirProblem created a directory")
	}
	if err := prepareObserveDir(filepath.Join(tmp, "a", "b")); err != nil {
		t.Errorf("prepareObserveDir of a missing directory: %v", err)
	}
	if err := prepareObserveDir(filepath.Join(file, "observe")); err == nil {
		t.Error("prepareObserveDir under a file succeeded")
	}
}
