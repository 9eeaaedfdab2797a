package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Driver is what a vendor driver implements: the cti.v1 Driver service. The
// proto (proto/cti/v1/driver.proto) documents every method; the Go methods
// take the caller's context first. Embed ctiv1.UnimplementedDriverServer so
// that operations the driver does not offer fail with UNIMPLEMENTED, and
// declare per model only the capabilities that work.
type Driver interface {
	ctiv1.DriverServer
}

// DriverPlugin is the go-plugin GRPCPlugin for a Driver. The host side uses
// it with a nil Impl to get a ctiv1.DriverClient.
type DriverPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the driver being served; nil on the host side.
	Impl Driver
}

// GRPCServer registers the driver. Serve puts the SDK's guard in front of
// it as interceptors (guard.go).
func (p *DriverPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	ctiv1.RegisterDriverServer(s, p.Impl)
	return nil
}

// GRPCClient returns a ctiv1.DriverClient on the plugin's connection.
func (p *DriverPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return ctiv1.NewDriverClient(c), nil
}

var _ plugin.GRPCPlugin = (*DriverPlugin)(nil)
