package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// attr builds a fake schema attribute.
func attr(name string, typ ctiv1.ConfigType, desc string, opts ...func(*ctiv1.ConfigAttribute)) *ctiv1.ConfigAttribute {
	a := &ctiv1.ConfigAttribute{Name: name, Type: typ, Description: desc}
	for _, o := range opts {
		o(a)
	}
	return a
}

func required(a *ctiv1.ConfigAttribute) { a.Required = true }
func secret(a *ctiv1.ConfigAttribute)   { a.Secret = true }
func def(v string) func(*ctiv1.ConfigAttribute) {
	return func(a *ctiv1.ConfigAttribute) { a.DefaultValue = v }
}
func allowed(v ...string) func(*ctiv1.ConfigAttribute) {
	return func(a *ctiv1.ConfigAttribute) { a.AllowedValues = v }
}

const (
	tString   = ctiv1.ConfigType_CONFIG_TYPE_STRING
	tInt      = ctiv1.ConfigType_CONFIG_TYPE_INT
	tBool     = ctiv1.ConfigType_CONFIG_TYPE_BOOL
	tDuration = ctiv1.ConfigType_CONFIG_TYPE_DURATION
)

// testSpecs are the fixed fake driver specs every case resolves against.
// "snom" is missing on purpose: its plugin "could not be started".
func testSpecs() map[string]DriverSpec {
	return map[string]DriverSpec{
		"grandstream": {
			Schema: &ctiv1.ConfigSchema{
				DriverSettings: []*ctiv1.ConfigAttribute{
					attr("poll_interval", tDuration, "how often each phone is polled", def("1s")),
					attr("max_concurrent_polls", tInt, "how many phones are polled at once", def("32")),
				},
				DeviceSettings: []*ctiv1.ConfigAttribute{
					attr("host", tString, "the phone's address, host:port", required),
					attr("passcode", tString, "the phone's admin password", required, secret),
					attr("hs", tInt, "the handset number", def("1")),
				},
			},
			Models: []string{"GXP2135", "GXP1165", "DP750"},
		},
		// acme covers the types and options grandstream does not use.
		"acme": {
			Schema: &ctiv1.ConfigSchema{
				DriverSettings: []*ctiv1.ConfigAttribute{
					attr("api_key", tString, "the cloud API key", required, secret),
					attr("region", tString, "the cloud region", def("eu"), allowed("eu", "us")),
					attr("license", tString, "the license code", secret, allowed("ZZ-SECRET-ALLOWED-9")),
				},
				DeviceSettings: []*ctiv1.ConfigAttribute{
					attr("extension", tInt, "the agent's extension", required),
					attr("pin", tInt, "the agent's login PIN", secret),
					attr("mode", tString, "desk phone or softphone", def("desk"), allowed("desk", "softphone")),
					attr("auto_answer", tBool, "answer calls automatically", def("false")),
				},
			},
			Models: []string{"A100", "A200"},
		},
		"yealink": {Models: []string{"T46"}},
	}
}

// setTestEnv gives the cases a fixed environment.
func setTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv("CTIHOST_TEST_GXP_HQ", "hq-env-passcode")
	t.Setenv("CTIHOST_TEST_ACME_KEY", "acme-env-key")
	t.Setenv("CTIHOST_TEST_SECRET_PIN", "ZZ-SECRET-ENV-PIN")
	for _, name := range []string{"CTIHOST_TEST_UNSET", "CTIHOST_TEST_UNSET_HOST", "CTIHOST_TEST_UNSET_POLL"} {
		t.Setenv(name, "") // restores the old value afterwards
		os.Unsetenv(name)
	}
}

// run loads and resolves path the way the host does, both phases.
func run(t *testing.T, path string) (*Config, []Instance, Diagnostics) {
	t.Helper()
	cfg, diags := Load(path)
	if cfg == nil {
		return nil, nil, diags
	}
	inst, rdiags := cfg.Resolve(testSpecs())
	return cfg, inst, append(diags, rdiags...)
}

// render is a golden file's content: the diagnostics, then for a valid
// configuration the decoded host, plugins and instances as JSON.
func render(t *testing.T, path string) []byte {
	t.Helper()
	cfg, inst, diags := run(t, path)
	var buf bytes.Buffer
	diags.Format(&buf)
	if cfg == nil || diags.HasErrors() {
		return buf.Bytes()
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(cfg.Dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return p
	}
	type device struct {
		Device   string            `json:"device"`
		Model    string            `json:"model"`
		Settings map[string]string `json:"settings"`
	}
	type instance struct {
		Site     string            `json:"site"`
		Sites    []string          `json:"sites,omitempty"` // shown for shared instances only
		Driver   string            `json:"driver"`
		Plugin   string            `json:"plugin"`
		Settings map[string]string `json:"settings"`
		Devices  []device          `json:"devices"`
		Secrets  []string          `json:"secrets"`
	}
	type plugin struct {
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
		Path    string `json:"path"`
		SHA256  string `json:"sha256,omitempty"`
	}
	view := struct {
		Host struct {
			Listen         string `json:"listen"`
			PluginDir      string `json:"plugin_dir"`
			LogLevel       string `json:"log_level"`
			LogFormat      string `json:"log_format"`
			CommandTimeout string `json:"command_timeout"`
			EventBuffer    int    `json:"event_buffer"`
		} `json:"host"`
		Plugins   []plugin   `json:"plugins"`
		Instances []instance `json:"instances"`
	}{Plugins: []plugin{}, Instances: []instance{}}
	h := cfg.Host
	view.Host.Listen, view.Host.PluginDir, view.Host.LogLevel = h.Listen, rel(h.PluginDir), h.LogLevel
	view.Host.LogFormat, view.Host.CommandTimeout, view.Host.EventBuffer = h.LogFormat, h.CommandTimeout.String(), h.EventBuffer
	for _, p := range cfg.Plugins {
		view.Plugins = append(view.Plugins, plugin{Name: p.Name, Enabled: p.Enabled, Path: rel(p.Path), SHA256: p.SHA256})
	}
	for _, in := range inst {
		if in.Plugin == nil || in.Plugin.Name != in.Driver || in.Request.GetSite() != in.Site {
			t.Errorf("instance %s/%s: plugin or request does not match the instance", in.Site, in.Driver)
		}
		if in.Shared != (in.Site == "") || in.Shared != (in.Plugin.Isolation == IsolationDriver) || (!in.Shared && !slices.Equal(in.Sites, []string{in.Site})) {
			t.Errorf("instance %s/%s: shared %v, sites %q, isolation %q do not agree", in.Site, in.Driver, in.Shared, in.Sites, in.Plugin.Isolation)
		}
		v := instance{Site: in.Site, Driver: in.Driver, Plugin: rel(in.Plugin.Path), Settings: in.Request.GetSettings(), Secrets: in.Secrets}
		if in.Shared {
			v.Sites = in.Sites
		}
		for _, d := range in.Request.GetDevices() {
			v.Devices = append(v.Devices, device{Device: d.GetDevice(), Model: d.GetModel(), Settings: d.GetSettings()})
		}
		view.Instances = append(view.Instances, v)
	}
	b, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	setTestEnv(t)
	cases, err := filepath.Glob(filepath.Join("testdata", "*.hcl"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in testdata: %v", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".hcl")
		t.Run(name, func(t *testing.T) {
			got := render(t, path)
			golden := strings.TrimSuffix(path, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test -update if the change is intended)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
