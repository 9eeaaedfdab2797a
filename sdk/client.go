package sdk

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// DefaultStartTimeout bounds how long a driver may take to complete the
// go-plugin handshake: seconds, not go-plugin's default minute.
const DefaultStartTimeout = 10 * time.Second

// ClientConfig returns the go-plugin client configuration that launches the
// driver binary at path: the cti.v1 handshake, gRPC only, AutoMTLS, and a
// scrubbed environment (only TMPDIR, which go-plugin's sockets need, plus
// go-plugin's own variables), so a driver never inherits the host's
// secrets. Callers may add SecureConfig, Stderr or a different StartTimeout.
func ClientConfig(path string, logger hclog.Logger) *plugin.ClientConfig {
	cmd := exec.Command(path)
	cmd.Env = []string{}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	}
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     DefaultStartTimeout,
		Logger:           logger,
	}
}

// Dispense starts the plugin process of c if needed and returns its Driver
// client.
func Dispense(c *plugin.Client) (ctiv1.DriverClient, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, fmt.Errorf("start driver: %w", err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense driver: %w", err)
	}
	dc, ok := raw.(ctiv1.DriverClient)
	if !ok {
		return nil, fmt.Errorf("dispense driver: unexpected client type %T", raw)
	}
	return dc, nil
}
