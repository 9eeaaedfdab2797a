// Command bench-twohop is the bare two-hop floor of the benchmark
// (examples/bench): "bench-twohop forward -listen ADDR" serves cti.v1.Host's
// GetDeviceState on ADDR and forwards each call to GetInfo of a minimal
// go-plugin driver, itself run as "bench-twohop plugin" through
// sdk.ClientConfig (the same handshake, AutoMTLS and gRPC transport as the
// host's plugins). Neither side does anything else: no routing, validation
// or bookkeeping, only the two process hops ctihost cannot avoid.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "plugin" {
		servePlugin()
		return
	}
	if len(os.Args) == 4 && os.Args[1] == "forward" && os.Args[2] == "-listen" {
		if err := forward(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "bench-twohop:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: bench-twohop forward -listen ADDR | bench-twohop plugin")
	os.Exit(2)
}

// echo is the minimal driver: GetInfo answers a constant.
type echo struct {
	ctiv1.UnimplementedDriverServer
}

var info = &ctiv1.DriverInfo{Name: "echo", Version: "0", ApiVersion: sdk.APIVersion}

func (echo) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return info, nil
}

func servePlugin() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			sdk.ProtocolVersion: {sdk.PluginName: &sdk.DriverPlugin{Impl: echo{}}},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     hclog.NewNullLogger(),
	})
}

// forwarder serves GetDeviceState by calling the plugin's GetInfo.
type forwarder struct {
	ctiv1.UnimplementedHostServer
	driver ctiv1.DriverClient
}

func (f *forwarder) GetDeviceState(ctx context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	if _, err := f.driver.GetInfo(ctx, &ctiv1.GetInfoRequest{}); err != nil {
		return nil, err
	}
	return &ctiv1.DeviceState{Device: req.GetDevice()}, nil
}

func forward(listen string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := sdk.ClientConfig(self, hclog.NewNullLogger())
	env := cfg.Cmd.Env
	cfg.Cmd = exec.Command(self, "plugin")
	cfg.Cmd.Env = env
	client := plugin.NewClient(cfg)
	defer client.Kill()
	driver, err := sdk.Dispense(client)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	ctiv1.RegisterHostServer(srv, &forwarder{driver: driver})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); srv.Stop() }()
	return srv.Serve(l)
}
