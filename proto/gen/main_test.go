package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates the Go code into a temporary folder
// and fails if any committed .pb.go file differs: run `make proto` and commit.
func TestGeneratedCodeIsFresh(t *testing.T) {
	out := t.TempDir()
	if err := Generate(context.Background(), "..", out); err != nil {
		t.Fatalf("generate: %v", err)
	}
	fresh, err := filepath.Glob(filepath.Join(out, "cti", "v1", "*.go"))
	if err != nil || len(fresh) == 0 {
		t.Fatalf("no generated files (err %v)", err)
	}
	committed, _ := filepath.Glob(filepath.Join("..", "cti", "v1", "*.go"))
	if len(committed) != len(fresh) {
		t.Errorf("committed %d generated files, regeneration gives %d: run make proto", len(committed), len(fresh))
	}
	for _, path := range fresh {
		name := filepath.Base(path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join("..", "cti", "v1", name))
		if err != nil {
			t.Errorf("%s: %v: run make proto", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("proto/cti/v1/%s is stale: run make proto and commit the result", name)
		}
	}
}
