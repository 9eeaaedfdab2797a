package sdk

import (
	"github.com/hashicorp/go-plugin"
)

// APIVersion is the CTI API version this SDK speaks; DriverInfo.api_version
// MUST carry it.
const APIVersion = "cti.v1"

// ProtocolVersion is the go-plugin protocol version of cti.v1. A future
// incompatible seam gets a new number and both are offered side by side
// through VersionedPlugins.
const ProtocolVersion = 1

// PluginName is the name the driver is dispensed under.
const PluginName = "driver"

// Handshake is shared by the host and every driver. The magic cookie only
// stops a driver binary from being run by hand by mistake; it is not a
// security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "CTIHOST_PLUGIN",
	MagicCookieValue: "c7f0a2b4-cti.v1-driver",
}

// versionedPlugins returns the plugin sets offered for each protocol version.
func versionedPlugins(impl Driver) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &DriverPlugin{Impl: impl}},
	}
}
