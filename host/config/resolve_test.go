package config

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestResolveReadsEnvironmentEachCall checks that Resolve does not cache
// secrets from an earlier call.
func TestResolveReadsEnvironmentEachCall(t *testing.T) {
	setTestEnv(t)
	src := []byte(`
plugin "grandstream" {}
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
`)
	cfg, diags := Parse(src, filepath.Join(t.TempDir(), "config.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, pass := range []string{"first", "second"} {
		t.Setenv("CTIHOST_TEST_GXP_HQ", pass)
		inst, diags := cfg.Resolve(testSpecs())
		if diags.HasErrors() || len(inst) != 1 {
			t.Fatalf("Resolve: %d instances, %v", len(inst), diags)
		}
		if got := inst[0].Request.GetDevices()[0].GetSettings()["passcode"]; got != pass {
			t.Errorf("passcode = %q, want %q", got, pass)
		}
		if len(inst[0].Secrets) != 1 || inst[0].Secrets[0] != pass {
			t.Errorf("Secrets = %q, want [%q]", inst[0].Secrets, pass)
		}
	}
}

// TestFileIsRelativeToConfigFolder checks file() and plugin paths against a
// config in another folder than the working directory.
func TestFileIsRelativeToConfigFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("p4ss\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := []byte(`
host { plugin_dir = "drivers" }
plugin "grandstream" { path = "custom/gs" }
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = file("pass")
  }
}
`)
	cfg, diags := Parse(src, filepath.Join(dir, "config.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if cfg.Dir != dir || cfg.Host.PluginDir != filepath.Join(dir, "drivers") || cfg.Plugins[0].Path != filepath.Join(dir, "custom", "gs") {
		t.Errorf("Dir %q, PluginDir %q, Path %q: not relative to %q", cfg.Dir, cfg.Host.PluginDir, cfg.Plugins[0].Path, dir)
	}
	inst, diags := cfg.Resolve(testSpecs())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := inst[0].Request.GetDevices()[0].GetSettings()["passcode"]; got != "p4ss" {
		t.Errorf("passcode = %q, want %q", got, "p4ss")
	}
}

// TestResolveConcurrent runs Resolve from several goroutines on one Config
// (run with -race).
func TestResolveConcurrent(t *testing.T) {
	setTestEnv(t)
	cfg, diags := Load(filepath.Join("testdata", "valid_two_sites.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	specs := testSpecs()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			inst, diags := cfg.Resolve(specs)
			if diags.HasErrors() || len(inst) != 3 {
				t.Errorf("Resolve: %d instances, %v", len(inst), diags)
			}
		})
	}
	wg.Wait()
}
