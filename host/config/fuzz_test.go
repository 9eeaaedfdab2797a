package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that any input comes back as a Config or as errors, and
// that neither Parse, Resolve nor Format panics.
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
