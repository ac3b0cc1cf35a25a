package lab

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := writeFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "matrix"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "matrix" {
		t.Errorf("file holds %q, %v; want \"matrix\"", b, err)
	}
	errWrite := errors.New("render failed")
	if err := writeFile(path, func(io.Writer) error { return errWrite }); err != errWrite {
		t.Errorf("write error: got %v, want it as is", err)
	}
	if err := writeFile(filepath.Join(dir, "none", "out.txt"), func(io.Writer) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("create error: got %v, want os.ErrNotExist", err)
	}
}
