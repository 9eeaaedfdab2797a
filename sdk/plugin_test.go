package sdk

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// TestDriverPluginAdapters runs the go-plugin adapters over go-plugin's
// in-memory gRPC pair: the host side gets a DriverClient that reaches Impl.
func TestDriverPluginAdapters(t *testing.T) {
	d := newFake()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{PluginName: &DriverPlugin{Impl: d}})
	// Close asks the server to shut down (go-plugin's controller); stopping
	// the server again here would race with that inside go-plugin.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatalf("Dispense: %v", err)
	}
	dc, ok := raw.(ctiv1.DriverClient)
	if !ok {
		t.Fatalf("dispensed %T, want a ctiv1.DriverClient", raw)
	}
	info, err := dc.GetInfo(t.Context(), &ctiv1.GetInfoRequest{})
	if err != nil || info.GetName() != "fake" {
		t.Fatalf("GetInfo = %v, %v", info, err)
	}
}

func TestClientConfigScrubsTheEnvironment(t *testing.T) {
	t.Setenv("CTIHOST_SECRET", "hunter2")
	t.Setenv("TMPDIR", "/tmp/x")
	cfg := ClientConfig("/bin/driver", nil)
	if !cfg.AutoMTLS || !cfg.SkipHostEnv || len(cfg.AllowedProtocols) != 1 || cfg.AllowedProtocols[0] != plugin.ProtocolGRPC {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.Cmd.Env) != 1 || cfg.Cmd.Env[0] != "TMPDIR=/tmp/x" {
		t.Errorf("driver environment %v, want only TMPDIR", cfg.Cmd.Env)
	}
}
