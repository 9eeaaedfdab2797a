package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// FuzzParse checks that any input comes back as a Config or as errors, and
// that neither Parse, Resolve nor Format panics. Its seeds are the golden
// cases (testdata/*.hcl) and the inputs below; go test also replays
// testdata/fuzz/FuzzParse, where the fuzzer writes what fails.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.hcl"))
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("host {"))
	f.Add([]byte("\xff\x00}{\"${"))
	// Every way HCL's parser recurses, just past the nesting limit.
	for _, deep := range []string{
		"x = " + strings.Repeat("[", 65),
		"x = " + strings.Repeat("-", 70) + "1",
		"x = " + strings.Repeat("a ? b : ", 65) + "c",
		"x = a" + strings.Repeat("[*]", 65),
		"x = \"" + strings.Repeat("%{if a}", 65) + strings.Repeat("%{endif}", 65) + "\"",
		"x = <<EOT\n" + strings.Repeat("${<<EOT\n", 65) + "EOT\n",
		strings.Repeat("a {\n", 65),
	} {
		f.Add([]byte(deep + "\n"))
	}
	specs := testSpecs()
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Parse(src, filepath.Join("testdata", "fuzz.hcl"))
		if cfg == nil && !diags.HasErrors() {
			t.Fatal("Parse returned neither a Config nor an error")
		}
		diags.Format(io.Discard)
		_ = diags.Error()
		if cfg != nil {
			_, rdiags := cfg.Resolve(specs)
			rdiags.Format(io.Discard)
		}
	})
}

// FuzzFileFunc calls file() with any path, relative to a folder that holds
// a secret, a named pipe, links to /proc/self/environ, /dev/zero and to
// themselves, a folder and a file over the size limit. file() must return
// (a pipe must not block it), never read what is under /proc, /sys or /dev,
// and its errors must name the path as written and show nothing read.
func FuzzFileFunc(f *testing.F) {
	const content = "ZZ-FUZZ-CONTENT"
	dir := f.TempDir()
	must := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "secret"), []byte(content+"\r\n"), 0o600))
	must(os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "big"), nil, 0o600))
	must(os.Truncate(filepath.Join(dir, "big"), maxFileSize+1))
	for link, target := range map[string]string{"environ": "/proc/self/environ", "zero": "/dev/zero", "loop": "loop", "up": ".."} {
		must(os.Symlink(target, filepath.Join(dir, link)))
	}
	if err := mkfifo(filepath.Join(dir, "fifo")); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"secret", "./secret", "sub/../secret", "up/" + filepath.Base(dir) + "/secret", filepath.Join(dir, "secret"),
		"environ", "zero", "loop", "fifo", "big", "sub", "", ".", "/", "\x00", "secret\x00",
		"/proc/self/environ", "/proc/self/fd/0", "/dev/stdin", "/sys/kernel/mm/transparent_hugepage/enabled",
		strings.Repeat("../", 64) + "proc/self/environ", strings.Repeat("a/", 3000), strings.Repeat("x", 300),
		"~/secret", `C:\secret`, "secret\n", "\xff\xfe",
	} {
		f.Add(seed)
	}
	file := fileFunc(dir)
	f.Fuzz(func(t *testing.T, path string) {
		arg := cty.StringVal(path)
		v, err := file.Call([]cty.Value{arg})
		if err != nil {
			var fe *fileError
			if !errors.As(err, &fe) || fe.path != arg.AsString() {
				t.Fatalf("error %v does not name the path as written", err)
			}
			if strings.Contains(fe.reason, content) || strings.Contains(fe.reason, dir) {
				t.Fatalf("error shows content or the absolute path: %v", err)
			}
			return
		}
		s := v.AsString()
		if len(s) > maxFileSize || !utf8.ValidString(s) || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\r") {
			t.Fatalf("file(%q) returned %d bytes, not trimmed UTF-8 text under the limit", path, len(s))
		}
		abs := arg.AsString()
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, abs)
		}
		if resolved, err := filepath.EvalSymlinks(abs); err == nil {
			for _, sys := range systemDirs {
				if resolved == sys || strings.HasPrefix(resolved, sys+"/") {
					t.Fatalf("file(%q) read %s", path, resolved)
				}
			}
		}
	})
}
