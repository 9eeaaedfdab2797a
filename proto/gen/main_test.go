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
	out, gw := t.TempDir(), t.TempDir()
	if err := Generate(context.Background(), "..", out, gw); err != nil {
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

// TestGatewayIsFresh does the same for the HTTP/JSON gateway and its
// OpenAPI document in host/gateway.
func TestGatewayIsFresh(t *testing.T) {
	gw := t.TempDir()
	if err := Generate(context.Background(), "..", t.TempDir(), gw); err != nil {
		t.Fatalf("generate: %v", err)
	}
	fresh, _ := filepath.Glob(filepath.Join(gw, "*"))
	if len(fresh) != 3 {
		t.Fatalf("the gateway generators wrote %d files, want host.pb.gw.go, admin.pb.gw.go and ctihost.swagger.json", len(fresh))
	}
	for _, path := range fresh {
		name := filepath.Base(path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join("..", "..", "host", "gateway", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("host/gateway/%s is stale or missing: run make proto and commit the result", name)
		}
	}
}
