package sdk

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Logger returns the logger a driver should use: JSON on stderr, which the
// host parses and re-logs under the plugin instance's name. name becomes the
// logger's name, e.g. "grandstream".
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Trace, // the host filters by its own level
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Serve serves d as a ctihost driver plugin and returns when the host is
// done with it. Call it from main and nothing after it; it exits the process
// if it is run by hand rather than by the host, and when the host process
// disappears (see watchParent).
func Serve(d Driver) {
	logger := Logger("sdk")
	watchParent(logger)
	g := newGuard(d, logger)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(d),
		Logger:           logger,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts,
				grpc.ChainUnaryInterceptor(g.unary),
				grpc.ChainStreamInterceptor(g.stream))
			return grpc.NewServer(opts...)
		},
	})
}
