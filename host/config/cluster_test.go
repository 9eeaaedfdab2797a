package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestClusterBlock(t *testing.T) {
	t.Setenv("IT_NATS_TOKEN", "nats-token-0123456789")
	for _, tc := range []struct {
		name, src, wantErr string
	}{
		{"minimal", "cluster {\n  nats_url = \"nats://127.0.0.1:4222\"\n}\n", ""},
		{"every setting", "cluster {\n  nats_url = \"nats://a:4222, tls://b:4222\"\n  token = env(\"IT_NATS_TOKEN\")\n  host_id = \"host-a\"\n  replicas = 3\n  max_age = \"1h\"\n}\n", ""},
		{"not nats", "cluster {\n  nats_url = \"http://127.0.0.1:4222\"\n}\n", "not a NATS server URL"},
		{"credentials in the url", "cluster {\n  nats_url = \"nats://u:p@127.0.0.1:4222\"\n}\n", "not a NATS server URL"},
		{"replicas", "cluster {\n  nats_url = \"nats://127.0.0.1:4222\"\n  replicas = 2\n}\n", "1, 3 or 5"},
		{"with an event log", "host {\n  event_log_dir = \"events\"\n}\ncluster {\n  nats_url = \"nats://127.0.0.1:4222\"\n}\n", "not in event_log_dir"},
		{"twice", "cluster {\n  nats_url = \"nats://a:4222\"\n}\ncluster {\n  nats_url = \"nats://b:4222\"\n}\n", "defined twice"},
	} {
		cfg, diags := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "config.hcl"))
		switch {
		case tc.wantErr != "":
			if !strings.Contains(diags.Error(), tc.wantErr) {
				t.Errorf("%s: diagnostics %q, want %q", tc.name, diags.Error(), tc.wantErr)
			}
		case diags.HasErrors():
			t.Errorf("%s: %v", tc.name, diags)
		case cfg.Cluster == nil || cfg.Cluster.HostID == "":
			t.Errorf("%s: %+v", tc.name, cfg.Cluster)
		case tc.name == "every setting" && (len(cfg.Cluster.URLs) != 2 || cfg.Cluster.Token != "nats-token-0123456789" || cfg.Cluster.Replicas != 3):
			t.Errorf("every setting: %+v", cfg.Cluster)
		}
	}
}
