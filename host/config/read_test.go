package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// within runs f, failing the test if it has not returned after 10s (a read
// that blocks). unblock, if not nil, is called then to free f.
func within(t *testing.T, f func(), unblock func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		if unblock != nil {
			unblock()
		}
		t.Fatal("blocked for 10s")
	}
}

// TestReadRegularLimit checks the size cap at its edge, and that the error
// holds neither the path nor the content.
func TestReadRegularLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	for size, wantErr := range map[int]string{10: "", 11: "larger than 10 bytes"} {
		if err := os.WriteFile(path, []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := readRegular(path, 10)
		switch {
		case wantErr == "" && (err != nil || len(b) != size):
			t.Errorf("%d bytes: %d read, error %v", size, len(b), err)
		case wantErr != "" && (err == nil || err.Error() != wantErr):
			t.Errorf("%d bytes: error %v, want %q", size, err, wantErr)
		}
	}
	_, err := readSecretFile(t.TempDir(), "missing")
	if err == nil || err.Error() != "no such file or directory" {
		t.Errorf("missing file: error %v, want only the reason", err)
	}
}

// TestFileSizeLimit checks file()'s 1 MiB cap.
func TestFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := Parse([]byte(`host { listen = file("big") }`), filepath.Join(dir, "config.hcl"))
	want := `error: host: attribute "listen": cannot read file "big": larger than 1 MiB`
	if len(diags) != 1 || !strings.Contains(diags[0].String(), want) {
		t.Errorf("diagnostics %v, want one with %s", diags, want)
	}
}
