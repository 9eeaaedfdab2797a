package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScreeningBlocks(t *testing.T) {
	t.Setenv("IT_SCREEN_SECRET", "screen-0123456789abcdef")
	const sites = "site \"hq\" {}\n"
	for _, tc := range []struct {
		name, block, wantErr string
	}{
		{"reject", "screening \"premium\" {\n  callers = [\"0900*\", \"+44900*\", \"anonymous\"]\n  action = \"reject\"\n}", ""},
		{"redirect", "screening \"vip\" {\n  sites = [\"hq\"]\n  callers = [\"+4420794600*\"]\n  action = \"redirect\"\n  destination = \"2000\"\n}", ""},
		{"ask", "screening \"crm\" {\n  callers = [\"*\"]\n  action = \"ask\"\n  url = \"https://crm.example.com/screen\"\n  secret = env(\"IT_SCREEN_SECRET\")\n  deadline = \"300ms\"\n}", ""},
		{"redirect without destination", "screening \"vip\" {\n  callers = [\"1*\"]\n  action = \"redirect\"\n}", "needs a destination"},
		{"ask without url", "screening \"crm\" {\n  callers = [\"1*\"]\n  action = \"ask\"\n  secret = env(\"IT_SCREEN_SECRET\")\n}", "needs a url"},
		{"ask without secret", "screening \"crm\" {\n  callers = [\"1*\"]\n  action = \"ask\"\n  url = \"https://crm.example.com/\"\n}", "needs a secret"},
		{"ask too slow", "screening \"crm\" {\n  callers = [\"1*\"]\n  action = \"ask\"\n  url = \"https://crm.example.com/\"\n  secret = env(\"IT_SCREEN_SECRET\")\n  deadline = \"10s\"\n}", "deadline is out of range"},
		{"bad pattern", "screening \"x\" {\n  callers = [\"09-00\"]\n  action = \"reject\"\n}", "not a caller pattern"},
		{"no callers", "screening \"x\" {\n  action = \"reject\"\n}", "callers"},
		{"unknown action", "screening \"x\" {\n  callers = [\"1*\"]\n  action = \"block\"\n}", "action"},
		{"destination on reject", "screening \"x\" {\n  callers = [\"1*\"]\n  action = \"reject\"\n  destination = \"2\"\n}", "only for redirect"},
	} {
		cfg, diags := Parse([]byte(sites+tc.block+"\n"), filepath.Join(t.TempDir(), "config.hcl"))
		switch {
		case tc.wantErr != "":
			if !strings.Contains(diags.Error(), tc.wantErr) {
				t.Errorf("%s: diagnostics %q, want %q", tc.name, diags.Error(), tc.wantErr)
			}
		case diags.HasErrors():
			t.Errorf("%s: %v", tc.name, diags)
		case len(cfg.Screenings) != 1:
			t.Errorf("%s: %d screenings", tc.name, len(cfg.Screenings))
		case tc.name == "ask" && (cfg.Screenings[0].Deadline != 300*time.Millisecond || cfg.Screenings[0].Secret == ""):
			t.Errorf("ask: %+v", cfg.Screenings[0])
		}
	}
}
