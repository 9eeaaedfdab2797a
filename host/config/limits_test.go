package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nestingError is the start of the diagnostic for a file nested too deeply.
const nestingError = "error: syntax error: nested more than 64 levels deep"

// TestNestingBomb checks that 70,000 nested brackets (140 KB), which crash
// HCL's parser with a fatal stack overflow, are refused before parsing by
// both Parse and Load, quickly, at the bracket that is one too many.
func TestNestingBomb(t *testing.T) {
	src := []byte("host { listen = " + strings.Repeat("[", 70_000) + "\n}\n")
	path := filepath.Join(t.TempDir(), "bomb.hcl")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() (*Config, Diagnostics){
		"Parse": func() (*Config, Diagnostics) { return Parse(src, path) },
		"Load":  func() (*Config, Diagnostics) { return Load(path) },
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			cfg, diags := load()
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			if cfg == nil {
				t.Fatal("no Config")
			}
			// The host block's brace is level 1, so the 64th "[" (column
			// 17+63) is level 65.
			want := fmt.Sprintf("%s:1:80: %s", path, nestingError)
			if len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
				t.Errorf("diagnostics %v, want one starting %s", diags, want)
			}
			if cfg.Host.Listen != "127.0.0.1:7070" {
				t.Errorf("host defaults not applied: listen %q", cfg.Host.Listen)
			}
		})
	}
}

// TestNestingEveryKind checks each construct that makes HCL's parser
// recurse once per repetition: repeated some 100,000 times or more, each of
// them overflows the stack, a fatal error.
func TestNestingEveryKind(t *testing.T) {
	const n = 10_000
	rep := strings.Repeat
	for name, src := range map[string]string{
		"brackets":      "x = " + rep("[", n) + rep("]", n),
		"parentheses":   "x = " + rep("(", n) + "1" + rep(")", n),
		"objects":       "x = " + rep("{a = ", n) + "1" + rep("}", n),
		"blocks":        rep("a {\n", n) + rep("}\n", n),
		"calls":         "x = " + rep("env(", n) + `"A"` + rep(")", n),
		"negations":     "x = " + rep("-", n) + "1",
		"nots":          "x = " + rep("!", n) + "true",
		"negations/nl":  "x = [" + rep("-\n", n) + "1]",
		"conditions":    "x = " + rep("a ? b : ", n) + "c",
		"conditions/in": "x = " + rep("a ? ", n) + "b" + rep(" : c", n),
		"sums":          "x = 1" + rep(" + 1", n),
		"splats":        "x = a" + rep("[*]", n),
		"interpolation": "x = " + rep(`"${`, n) + "1" + rep(`}"`, n),
		"directives":    `x = "` + rep("%{if a}", n) + rep("%{endif}", n) + `"`,
		"directives/c":  `x = "` + rep("%{/**/if a}", n) + rep("%{endif}", n) + `"`,
		"splats/c":      "x = a" + rep("[\n/**/*]", n),
		"heredocs":      "x = <<EOT\n" + rep("${<<EOT\n", n) + "EOT\n",
		"unclosed":      "x = \"" + rep("${", n),
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := Parse([]byte(src+"\n"), "deep.hcl")
			if len(diags) != 1 || !strings.Contains(diags[0].String(), nestingError) {
				t.Errorf("diagnostics %.300v, want one %q", diags, nestingError)
			}
		})
	}
}

// TestNestingWithinLimit checks that what a config may hold is not taken
// for nesting: 64 levels exactly, and many operators, directives and
// interpolations that follow one another rather than nest.
func TestNestingWithinLimit(t *testing.T) {
	rep := strings.Repeat
	for name, src := range map[string]string{
		"64 levels":         "x = " + rep("[", 64) + rep("]", 64),
		"64 negations":      "x = " + rep("-", 63) + "1", // the "x = " line is level 0
		"negative numbers":  "plugin \"p\" {\n  config {\n" + rep("    a = -1 # a comment\n", 500) + "  }\n}",
		"list of negatives": "x = [" + rep("-1, ", 1000) + "]",
		"object":            "x = {\n" + rep("  a = -1\n  b: -2,\n", 200) + "}",
		"interpolations":    `x = "` + rep(`${env("A")}-`, 500) + `"`,
		"directives":        `x = "` + rep("%{if a}x%{endif}", 500) + `"`,
		"heredoc":           "x = <<EOT\n" + rep("%{for a in b}${a}%{endfor}\n", 500) + "EOT",
		"closed splats":     "x = [" + rep("a[*].b, ", 500) + "]",
	} {
		t.Run(name, func(t *testing.T) {
			if at := tooDeep([]byte(src+"\n"), "ok.hcl"); at != nil {
				t.Errorf("nesting reported at %s", at)
			}
		})
	}
	if at := tooDeep([]byte("x = "+rep("[", 65)+rep("]", 65)+"\n"), "deep.hcl"); at == nil || at.Start.Column != 5+64 {
		t.Errorf("65 levels: reported at %v, want column %d", at, 5+64)
	}
}

// TestBenchConfigFitsTheLimits generates the config examples/bench writes
// for 10,000 polled phones: it must fit MaxConfigSize with room for
// comments, and be nowhere near maxNesting.
func TestBenchConfigFitsTheLimits(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "host {\n  listen = %q\n  plugin_dir = %q\n  log_level = \"warn\"\n}\n", "127.0.0.1:40000", "/tmp/ctihost-bench-1234567890/plugins")
	b.WriteString("plugin \"grandstream\" {\n  config {\n    poll_interval = \"1s\"\n  }\n}\nsite \"fleet\" {\n")
	for k := range 10_000 {
		fmt.Fprintf(&b, "  device %q {\n    driver = %q\n    model = %q\n    host = %q\n    %s\n  }\n",
			fmt.Sprintf("p%05d", k), "grandstream", "GXP2135", fmt.Sprintf("127.1.%d.%d:8080", k/250, k%250+1), `passcode = env("BENCH_PASSCODE")`)
	}
	b.WriteString("}\n")
	if n := b.Len(); n > MaxConfigSize*3/4 {
		t.Errorf("10,000 devices take %d bytes, more than 3/4 of MaxConfigSize (%d)", n, MaxConfigSize)
	}
	if at := tooDeep([]byte(b.String()), "bench.hcl"); at != nil {
		t.Errorf("nesting reported at %s", at)
	}
}

// TestSizeLimit checks that Parse and Load refuse a file over MaxConfigSize
// before parsing it.
func TestSizeLimit(t *testing.T) {
	// One comment: parsing it would be quick.
	src := []byte("#" + strings.Repeat("x", MaxConfigSize-1) + "\n")
	big := filepath.Join(t.TempDir(), "big.hcl")
	if err := os.WriteFile(big, src, 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := Parse(src, big)
	if want := big + ": error: the config file is larger than 2 MiB"; len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
		t.Errorf("Parse: diagnostics %v, want one starting %s", diags, want)
	}
	cfg, diags := Load(big)
	if want := big + ": error: cannot read the config file: larger than 2 MiB"; cfg != nil || len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
		t.Errorf("Load: diagnostics %v, want one starting %s", diags, want)
	}
}
