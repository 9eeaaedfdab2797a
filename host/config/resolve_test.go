package config

import (
	"os"
	"path/filepath"
	"strings"
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

// TestIsolation checks the plugin block's isolation attribute: "site" (the
// default) gives one instance per (site, driver); "driver" gives one
// instance for every site of the driver, whose device ids are "site/device";
// any other value is an error at the value's position.
func TestIsolation(t *testing.T) {
	setTestEnv(t)
	src := func(isolation string) []byte {
		return []byte(`plugin "grandstream" {` + isolation + `}
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
site "branch" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18201"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
`)
	}
	for _, c := range []struct {
		name, attr string
		want       []string // site:sites:devices of each instance
	}{
		{"default", "", []string{"branch:branch:reception", "hq:hq:reception"}},
		{"site", `isolation = "site"`, []string{"branch:branch:reception", "hq:hq:reception"}},
		{"driver", `isolation = "driver"`, []string{":branch,hq:hq/reception,branch/reception"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, diags := Parse(src(c.attr), filepath.Join(t.TempDir(), "config.hcl"))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			inst, diags := cfg.Resolve(testSpecs())
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var got []string
			for _, in := range inst {
				var devices []string
				for _, d := range in.Request.GetDevices() {
					devices = append(devices, d.GetDevice())
				}
				if in.Request.GetSite() != in.Site || in.Shared != (in.Site == "") {
					t.Errorf("instance %q: request site %q, shared %v", in.Site, in.Request.GetSite(), in.Shared)
				}
				got = append(got, in.Site+":"+strings.Join(in.Sites, ",")+":"+strings.Join(devices, ","))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("instances %q, want %q", got, c.want)
			}
		})
	}
	t.Run("bad value", func(t *testing.T) {
		_, diags := Parse(src(`isolation = "process"`), "config.hcl")
		want := `config.hcl:1:35: error: plugin "grandstream": attribute "isolation" must be one of "site", "driver", got "process"`
		if len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
			t.Errorf("diagnostics %v, want one starting %s", diags, want)
		}
	})
}
