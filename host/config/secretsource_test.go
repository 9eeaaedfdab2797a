package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// secretSourceConfig is a valid config whose every setting may be replaced.
func secretSourceConfig(host, device string) []byte {
	return []byte(`host {` + host + `}
plugin "grandstream" {}
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
` + device + `
  }
}
`)
}

// TestSecretSourceNeverShown checks that a value read by env() or file()
// for a setting the driver did not declare secret (host, hs, listen) is
// never shown: a whole file (/etc/passwd) or a value with control characters
// is refused, and a wrong value is described by its type alone.
func TestSecretSourceNeverShown(t *testing.T) {
	setTestEnv(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"passwd":  "root:x:0:0:ZZ-SECRET-ROOT:/root:/bin/sh\ndaemon:x:1:1:ZZ-SECRET-DAEMON:/usr/sbin\n",
		"escapes": "10.0.0.1\x1b[2JZZ-SECRET-ESCAPE",
		"word":    "ZZ-SECRET-WORD",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CTIHOST_TEST_TAB", "10.0.0.1\tZZ-SECRET-TAB")
	t.Setenv("CTIHOST_TEST_WORD", "ZZ-SECRET-ENV-WORD")
	const oneLine = "a value read by file() or env() for a non-secret setting must be one line of text without control characters"
	passcode := `passcode = env("CTIHOST_TEST_GXP_HQ")`
	for _, c := range []struct {
		name, host, device, want string
	}{
		{"whole file in a device setting", "", `host = file("passwd")` + "\n" + passcode,
			`device "hq/reception": attribute "host": ` + oneLine},
		{"whole file in a host setting", `listen = file("passwd")`, `host = "127.0.0.1:80"` + "\n" + passcode,
			`host: attribute "listen": ` + oneLine},
		{"escape sequence", "", `host = file("escapes")` + "\n" + passcode,
			`device "hq/reception": attribute "host": ` + oneLine},
		{"tab in a template", "", `host = "${env("CTIHOST_TEST_TAB")}:80"` + "\n" + passcode,
			`device "hq/reception": attribute "host": ` + oneLine},
		{"wrong type from a file", "", `host = "127.0.0.1:80"` + "\n" + passcode + "\n" + `hs = file("word")`,
			`device "hq/reception": attribute "hs" must be a whole number, written without quotes, got a string`},
		{"wrong type from env", `command_timeout = env("CTIHOST_TEST_WORD")`, `host = "127.0.0.1:80"` + "\n" + passcode,
			`host: attribute "command_timeout" must be a duration with a unit, such as "1s" or "250ms", got a string`},
		{"not an allowed value", `log_level = env("CTIHOST_TEST_WORD")`, `host = "127.0.0.1:80"` + "\n" + passcode,
			`host: attribute "log_level" must be one of "trace", "debug", "info", "warn", "error", got a string`},
		{"computed file path", "", `host = "127.0.0.1:80"` + "\n" + `passcode = file(env("CTIHOST_TEST_WORD"))`,
			`device "hq/reception": attribute "passcode": the argument of file() must be a quoted string`},
		{"computed variable name", "", `host = env(file("word"))` + "\n" + passcode,
			`device "hq/reception": attribute "host": the argument of env() must be a quoted string`},
		{"computed variable name in a template", "", `host = env("${file("word")}")` + "\n" + passcode,
			`device "hq/reception": attribute "host": the argument of env() must be a quoted string`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, diags := Parse(secretSourceConfig(c.host, c.device), filepath.Join(dir, "config.hcl"))
			if !diags.HasErrors() {
				_, diags = cfg.Resolve(testSpecs())
			}
			if len(diags) != 1 || !strings.Contains(diags[0].Summary, c.want) {
				t.Errorf("diagnostics %v, want one with %s", diags, c.want)
			}
			for _, d := range diags {
				if strings.Contains(d.String(), "ZZ-SECRET") {
					t.Errorf("diagnostic shows what was read: %s", d)
				}
			}
		})
	}
}

// TestSecretSourceIsRedacted checks that Resolve lists the values read by
// env() or file() among the instance's secrets, so that the host redacts
// them, and that a secret setting may hold several lines.
func TestSecretSourceIsRedacted(t *testing.T) {
	setTestEnv(t)
	dir := t.TempDir()
	const pem = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----"
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), []byte(pem+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CTIHOST_TEST_PHONE", "10.9.8.7")
	t.Setenv("CTIHOST_TEST_POLL", "750ms")
	src := []byte(`plugin "grandstream" {
  config { poll_interval = env("CTIHOST_TEST_POLL") }
}
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "${env("CTIHOST_TEST_PHONE")}:80"
    passcode = file("key.pem")
    hs       = 2
  }
}
`)
	cfg, diags := Parse(src, filepath.Join(dir, "config.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	inst, diags := cfg.Resolve(testSpecs())
	if len(diags) != 0 || len(inst) != 1 {
		t.Fatalf("Resolve: %d instances, %v", len(inst), diags)
	}
	// Sorted; not "2", written inline, nor "750ms", a duration from env()
	// that passed its check and so reveals nothing.
	want := []string{pem, "10.9.8.7:80"}
	if !slices.Equal(inst[0].Secrets, want) {
		t.Errorf("Secrets %q, want %q", inst[0].Secrets, want)
	}
	if got := inst[0].Request.GetDevices()[0].GetSettings()["passcode"]; got != pem {
		t.Errorf("passcode %q, want the key's lines", got)
	}
}
