package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCallbackListenerAndURL(t *testing.T) {
	for _, tc := range []struct {
		host, wantURL, wantErr string
	}{
		{``, ``, ``},
		{`callback_listen = "127.0.0.1:7080"`, `http://127.0.0.1:7080/`, ``},
		{"callback_listen = \"0.0.0.0:7080\"\n  callback_url = \"https://cti.example.com/hooks\"", `https://cti.example.com/hooks/`, ``},
		{`callback_listen = "0.0.0.0:7080"`, ``, `listens on every address; say which one devices call in callback_url`},
		{"callback_listen = \"10.0.0.2:7080\"\n  callback_url = \"http://user:pw@10.0.0.2:7080/\"", ``, `is not a URL devices can call`},
		{`callback_url = "http://10.0.0.2:7080/"`, ``, `callback_url is set but callback_listen is not`},
		{`callback_listen = "nonsense"`, ``, `callback_listen`},
	} {
		cfg, diags := Parse([]byte("host {\n  "+tc.host+"\n}\n"), filepath.Join(t.TempDir(), "config.hcl"))
		switch {
		case tc.wantErr != "":
			if !strings.Contains(diags.Error(), tc.wantErr) {
				t.Errorf("%s: diagnostics %q, want %q", tc.host, diags.Error(), tc.wantErr)
			}
		case diags.HasErrors():
			t.Errorf("%s: %v", tc.host, diags)
		case cfg.Host.CallbackURL != tc.wantURL:
			t.Errorf("%s: callback URL %q, want %q", tc.host, cfg.Host.CallbackURL, tc.wantURL)
		}
	}
}
