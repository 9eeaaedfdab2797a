package config

// The tests of named pipes, /proc, /sys and /dev, which are Linux's (the
// host's platform); the file name builds them on Linux only.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fifo makes a named pipe in a new folder, and a func that frees a reader
// blocked opening it.
func fifo(t *testing.T) (path string, unblock func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "pipe")
	if err := mkfifo(path); err != nil {
		t.Fatal(err)
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
