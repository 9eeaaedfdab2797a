package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWebhookBlocks(t *testing.T) {
	t.Setenv("IT_WEBHOOK_SECRET", "whsec-0123456789abcdef")
	const sites = "site \"hq\" {}\nsite \"cc\" {}\n"
	for _, tc := range []struct {
		name, block, wantErr string
	}{
		{"defaults", `webhook "crm" {
  url    = "https://crm.example.com/ctihost?token=abc"
  secret = env("IT_WEBHOOK_SECRET")
}`, ""},
		{"every setting", `webhook "crm" {
  url          = "http://127.0.0.1:9000/hook"
  secret       = env("IT_WEBHOOK_SECRET")
  sites        = ["hq"]
  kinds        = ["call", "queue"]
  timeout      = "2s"
  queue        = 50
  max_attempts = 3
}`, ""},
		{"http elsewhere", `webhook "crm" {
  url    = "http://crm.example.com/hook"
  secret = env("IT_WEBHOOK_SECRET")
}`, "use https"},
		{"http allowed", `webhook "crm" {
  url        = "http://crm.example.com/hook"
  secret     = env("IT_WEBHOOK_SECRET")
  allow_http = true
}`, ""},
		{"password in the url", `webhook "crm" {
  url    = "https://u:p@crm.example.com/hook"
  secret = env("IT_WEBHOOK_SECRET")
}`, "no user and password"},
		{"short secret", `webhook "crm" {
  url    = "https://crm.example.com/hook"
  secret = "short"
}`, "shorter than 16"},
		{"no secret", `webhook "crm" {
  url = "https://crm.example.com/hook"
}`, `"secret"`},
		{"unknown site", `webhook "crm" {
  url    = "https://crm.example.com/hook"
  secret = env("IT_WEBHOOK_SECRET")
  sites  = ["nowhere"]
}`, "nowhere"},
		{"unknown kind", `webhook "crm" {
  url    = "https://crm.example.com/hook"
  secret = env("IT_WEBHOOK_SECRET")
  kinds  = ["calls"]
}`, "calls"},
		{"queue out of range", `webhook "crm" {
  url    = "https://crm.example.com/hook"
  secret = env("IT_WEBHOOK_SECRET")
  queue  = 0
}`, "queue is out of range"},
		{"twice", "webhook \"crm\" {\n  url = \"https://a.example/\"\n  secret = env(\"IT_WEBHOOK_SECRET\")\n}\nwebhook \"crm\" {\n  url = \"https://b.example/\"\n  secret = env(\"IT_WEBHOOK_SECRET\")\n}", "defined twice"},
	} {
		cfg, diags := Parse([]byte(sites+tc.block+"\n"), filepath.Join(t.TempDir(), "config.hcl"))
		switch {
		case tc.wantErr != "":
			if !strings.Contains(diags.Error(), tc.wantErr) {
				t.Errorf("%s: diagnostics %q, want %q", tc.name, diags.Error(), tc.wantErr)
			}
			if strings.Contains(diags.Error(), "whsec-0123456789abcdef") {
				t.Errorf("%s: the diagnostics show the secret", tc.name)
			}
		case diags.HasErrors():
			t.Errorf("%s: %v", tc.name, diags)
		case len(cfg.Webhooks) != 1:
			t.Errorf("%s: %d webhooks", tc.name, len(cfg.Webhooks))
		case cfg.Webhooks[0].Secret != "whsec-0123456789abcdef":
			t.Errorf("%s: secret not resolved", tc.name)
		}
		if tc.name == "defaults" && cfg != nil && len(cfg.Webhooks) == 1 {
			w := cfg.Webhooks[0]
			if w.Timeout != 5*time.Second || w.Queue != 1000 || w.MaxAttempts != 8 || !slices.Equal(w.Sites, []string{"*"}) || len(w.Kinds) != 0 {
				t.Errorf("defaults: %+v", w)
			}
		}
	}
}
