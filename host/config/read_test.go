package config

import (
	"os"
	"path/filepath"
	"runtime"
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

// fifo makes a named pipe in a new folder, and a func that frees a reader
// blocked opening it.
func fifo(t *testing.T) (path string, unblock func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "pipe")
	if err := mkfifo(path); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	return path, func() {
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}
}

// TestLoadRefusesFIFO checks that -config naming a named pipe is refused at
// once; os.Open of a FIFO waits for a writer, forever.
func TestLoadRefusesFIFO(t *testing.T) {
	path, unblock := fifo(t)
	within(t, func() {
		cfg, diags := Load(path)
		want := path + ": error: cannot read the config file: not a regular file"
		if cfg != nil || len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
			t.Errorf("diagnostics %v, want one starting %s", diags, want)
		}
	}, unblock)
}

// TestFileRefusesFIFO checks that file() of a named pipe fails at once
// instead of blocking the reload that evaluates it.
func TestFileRefusesFIFO(t *testing.T) {
	path, unblock := fifo(t)
	src := []byte(`host { listen = file("pipe") }`)
	within(t, func() {
		_, diags := Parse(src, filepath.Join(filepath.Dir(path), "config.hcl"))
		want := `error: host: attribute "listen": cannot read file "pipe": not a regular file`
		if len(diags) != 1 || !strings.Contains(diags[0].String(), want) {
			t.Errorf("diagnostics %v, want one with %s", diags, want)
		}
	}, unblock)
}

// TestSystemFilesRefused checks that neither -config nor file() reads from
// /dev, /proc or /sys, directly or through a link: /proc/self/environ is a
// "regular" file holding the host's whole environment, and /dev/zero has no
// end. Errors name the path as written and nothing read.
func TestSystemFilesRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/environ is Linux's")
	}
	t.Setenv("CTIHOST_TEST_ENVIRON_MARKER", "ZZ-SECRET-ENVIRON")
	dir := t.TempDir()
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "environ-link")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/null", "/proc/self/environ", "/sys/kernel/mm/transparent_hugepage/enabled"} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		cfg, diags := Load(path)
		want := path + ": error: cannot read the config file: it is in /proc, /sys or /dev, which are not read"
		if cfg != nil || len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
			t.Errorf("Load(%s): diagnostics %v, want one starting %s", path, diags, want)
		}
	}
	for _, path := range []string{"/proc/self/environ", "environ-link", "../../../../../../../proc/self/environ", "/dev/stdin"} {
		src := []byte(`host { listen = file("` + path + `") }`)
		_, diags := Parse(src, filepath.Join(dir, "config.hcl"))
		want := `error: host: attribute "listen": cannot read file "` + path + `": it is in /proc, /sys or /dev`
		if len(diags) != 1 || !strings.Contains(diags[0].String(), want) {
			t.Errorf("file(%q): diagnostics %v, want one with %s", path, diags, want)
		}
		if strings.Contains(diags.Error(), "ZZ-SECRET") {
			t.Errorf("file(%q): the environment shows in %v", path, diags)
		}
	}
}

// TestOnSystemFS checks the Linux check by file system type, which also
// catches /proc mounted elsewhere.
func TestOnSystemFS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checked on Linux only")
	}
	for path, want := range map[string]bool{"/proc/self/status": true, "/sys/kernel/mm/transparent_hugepage/enabled": true, "read_test.go": false} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if got := onSystemFS(f); got != want {
			t.Errorf("onSystemFS(%s) = %v, want %v", path, got, want)
		}
		f.Close()
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
