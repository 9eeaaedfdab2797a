package api

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// ServerOptions are the host block's API settings.
type ServerOptions struct {
	// Guard authenticates, authorises and audits every call but health
	// checks and reflection. Required.
	Guard *Guard
	// TLS, when set, makes the server speak TLS only (with its ClientAuth
	// for mTLS).
	TLS *tls.Config
	// Reflection serves gRPC server reflection, without credentials.
	Reflection bool
	// Limits bound connections, streams and idle time.
	Limits Limits
}

// NewGRPCServer returns the host's gRPC server with the Host and Admin
// services, grpc.health.v1 and, if chosen, server reflection (for grpcurl).
// The health service reports SERVING overall and, per site ("site/<name>"),
// SERVING only while every instance serving the site runs (a shared
// instance serves several). Serve it with Listener, which bounds the
// connections.
func NewGRPCServer(ctx context.Context, host *HostServer, admin *AdminServer, o ServerOptions) *grpc.Server {
	o.Limits = o.Limits.withDefaults()
	host.subs.limits = o.Limits
	opts := []grpc.ServerOption{
		// ForceServerCodecV2 is marked experimental in grpc-go; if it goes,
		// the build breaks here rather than the events slowing down
		// unnoticed.
		grpc.ForceServerCodecV2(newWireCodec()),
		grpc.ChainUnaryInterceptor(o.Guard.Unary),
		grpc.ChainStreamInterceptor(o.Guard.Stream),
		grpc.InTapHandle(tapFirstMessage),
		grpc.MaxConcurrentStreams(maxStreamsPerConnection),
		grpc.MaxRecvMsgSize(maxRequestBytes),
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: o.Limits.IdleTimeout, MaxConnectionAge: maxConnectionAge, MaxConnectionAgeGrace: maxConnectionAgeGrace,
			Time: time.Minute, Timeout: 20 * time.Second,
		}),
		// Clients may ping every 10 s, even without a call (ctictl events
		// and apps with idle streams keep NATs open); faster pings end the
		// connection.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	}
	if o.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(o.TLS)))
	}
	srv := grpc.NewServer(opts...)
	ctiv1.RegisterHostServer(srv, host)
	ctiv1.RegisterAdminServer(srv, admin)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	if o.Reflection {
		reflection.Register(srv)
	}
	go watchHealth(ctx, hs, host.router)
	return srv
}

// Listener bounds l to max connections open at once; the ones beyond are
// closed at once.
func Listener(l net.Listener, max int) net.Listener {
	return newLimitListener(l, Limits{MaxConnections: max}.withDefaults().MaxConnections)
}

// watchHealth keeps the per-site health statuses current.
func watchHealth(ctx context.Context, hs *health.Server, r *Router) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		up := map[string]bool{}
		for _, inst := range r.Instances() {
			running := inst.Status().GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING
			for _, site := range inst.Sites() {
				prev, seen := up[site]
				up[site] = running && (prev || !seen)
			}
		}
		for site, ok := range up {
			st := healthpb.HealthCheckResponse_SERVING
			if !ok {
				st = healthpb.HealthCheckResponse_NOT_SERVING
			}
			hs.SetServingStatus("site/"+site, st)
		}
		select {
		case <-ctx.Done():
			hs.Shutdown()
			return
		case <-tick.C:
		}
	}
}
