package config

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestManyErrorsAtOnce checks that one file with many problems reports each
// of them, at its own line and column, in a single Load+Resolve run.
func TestManyErrorsAtOnce(t *testing.T) {
	setTestEnv(t)
	_, inst, diags := run(t, filepath.Join("testdata", "many_errors.hcl"))
	if inst != nil {
		t.Errorf("Resolve returned %d instances despite errors; want none", len(inst))
	}
	var buf bytes.Buffer
	diags.Format(&buf)
	out := buf.String()
	want := []string{
		`:3:21: error: host: attribute "listen" must be host:port`,
		`:4:21: error: host: attribute "log_level" must be one of "trace", "debug", "info", "warn", "error", got "verbose"`,
		`:5:21: error: host: attribute "log_format" must be one of "text", "json", got "xml"`,
		`:6:21: error: host: attribute "command_timeout" must be a duration`,
		`:7:21: error: host: attribute "event_buffer" must be between 1 and 10000000, got -1`,
		`:8:3: error: host: unknown attribute "pluginn_dir" (did you mean "plugin_dir"?)`,
		`:12:12: error: plugin "grandstream": attribute "sha256" must be 64 hexadecimal digits`,
		`:14:27: error: plugin "grandstream" config: attribute "poll_interval" must be a duration`,
		`:15:5: error: plugin "grandstream" config: unknown attribute "max_concurent_polls" (did you mean "max_concurrent_polls"?)`,
		`:19:1: error: plugin "grandstream" is defined twice`,
		`:27:1: error: config file: unknown block "sites" (did you mean "site"?)`,
		`:29:1: error: config file: attribute "listen" is outside any block`,
		`:32:3: error: site "hq": unknown attribute "location"`,
		`:34:3: error: device "hq/reception": missing required attribute "passcode" (grandstream: the phone's admin password)`,
		`:36:15: error: device "hq/reception": model "GXP9999" is not supported by driver "grandstream" (use one of: DP750, GXP1165, GXP2135)`,
		`:38:15: error: device "hq/reception": attribute "hs" must be a whole number`,
		`:39:5: error: device "hq/reception": unknown attribute "passcod" (did you mean "passcode"?)`,
		`:41:3: error: device "reception" is defined twice in site "hq"`,
		`:48:14: error: device "hq/desk": driver "yealink" is disabled`,
		`:52:14: error: device "hq/lobby": driver "polycom" has no plugin block`,
		`:55:3: error: device "hq/phone": missing required attribute "driver"`,
		`:59:14: error: device "hq/ext": driver "snom" did not report its configuration schema`,
		`:65:16: error: device "hq/hall": attribute "host": cannot read file "secrets/missing.txt"`,
		`:66:16: error: device "hq/hall": attribute "passcode": environment variable "CTIHOST_TEST_UNSET" is not set`,
		`:67:5: error: device "hq/hall": unknown block "button"`,
		`:71:1: error: site "hq" is defined twice`,
	}
	for _, w := range want {
		if !strings.Contains(out, "testdata/many_errors.hcl"+w) {
			t.Errorf("missing diagnostic %q in:\n%s", w, out)
		}
	}
	if n := strings.Count(out, "\n"); n != len(want) {
		t.Errorf("got %d diagnostics, want %d:\n%s", n, len(want), out)
	}
}

// TestSecretNeverInDiagnostics makes secrets fail in every way a value can
// fail and checks that no diagnostic text contains any of them.
func TestSecretNeverInDiagnostics(t *testing.T) {
	setTestEnv(t)
	const marker = "ZZ-SECRET"
	_, _, diags := run(t, filepath.Join("testdata", "secret_redaction.hcl"))
	if !diags.HasErrors() {
		t.Fatal("secret_redaction.hcl: want errors, got none")
	}
	// Each secret attribute must really have failed, or the test proves nothing.
	failed := map[string]int{}
	for _, d := range diags {
		if d.Severity == Error {
			failed[d.Attribute]++
		}
		for _, field := range []string{d.File, d.Attribute, d.Summary, d.Detail, d.String()} {
			if strings.Contains(field, marker) {
				t.Errorf("diagnostic shows a secret: %s", d)
			}
		}
	}
	for attr, n := range map[string]int{"api_key": 1, "license": 1, "pin": 2, "passcode": 2} {
		if failed[attr] != n {
			t.Errorf("attribute %q: %d errors, want %d (diagnostics: %v)", attr, failed[attr], n, diags)
		}
	}
	var buf bytes.Buffer
	diags.Format(&buf)
	if strings.Contains(buf.String(), marker) || strings.Contains(diags.Error(), marker) {
		t.Errorf("formatted diagnostics show a secret:\n%s", buf.String())
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	cfg, diags := Load(filepath.Join(t.TempDir(), "missing.hcl"))
	if cfg != nil {
		t.Errorf("Load of a missing file returned a Config")
	}
	if len(diags) != 1 || !diags.HasErrors() {
		t.Fatalf("want one error, got %v", diags)
	}
	if d := diags[0]; d.Line != 0 || !strings.Contains(d.String(), "missing.hcl: error: cannot read the config file: no such file or directory") {
		t.Errorf("unexpected diagnostic %q", d)
	}
}

func TestDiagnosticsFormatSortsAndErrorSkipsWarnings(t *testing.T) {
	ds := Diagnostics{
		{Severity: Warning, File: "b.hcl", Line: 1, Column: 1, Summary: "w"},
		{Severity: Error, File: "a.hcl", Line: 9, Column: 2, Summary: "late", Detail: "fix it"},
		{Severity: Error, File: "a.hcl", Line: 9, Column: 1, Summary: "early"},
		{Severity: Error, File: "a.hcl", Line: 2, Column: 7, Summary: "first"},
	}
	var buf bytes.Buffer
	ds.Format(&buf)
	want := "a.hcl:2:7: error: first\na.hcl:9:1: error: early\na.hcl:9:2: error: late (fix it)\nb.hcl:1:1: warning: w\n"
	if buf.String() != want {
		t.Errorf("Format:\n%s\nwant:\n%s", buf.String(), want)
	}
	if got := ds.Error(); got != strings.TrimSuffix(strings.TrimSuffix(want, "b.hcl:1:1: warning: w\n"), "\n") {
		t.Errorf("Error() = %q", got)
	}
	var err error = ds
	var target Diagnostics
	if !errors.As(err, &target) || len(target) != 4 {
		t.Errorf("Diagnostics is not usable as an error")
	}
	if (Diagnostics{{Severity: Warning}}).HasErrors() || Diagnostics(nil).HasErrors() {
		t.Error("HasErrors true without errors")
	}
}

func TestSuggest(t *testing.T) {
	valid := []string{"driver", "model", "host", "passcode", "hs"}
	for name, want := range map[string]string{
		"pasword":  "",
		"passcod":  "passcode",
		"Passcode": "passcode",
		"drivr":    "driver",
		"color":    "",
		"h":        "hs",
	} {
		if got := suggest(name, valid); got != want {
			t.Errorf("suggest(%q) = %q, want %q", name, got, want)
		}
	}
}
