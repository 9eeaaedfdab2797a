package api

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// NewGRPCServer returns the host's gRPC server with the Host and Admin
// services, server reflection (for grpcurl) and grpc.health.v1. The health
// service reports SERVING overall and, per site ("site/<name>"), SERVING
// only while every instance serving the site runs (a shared instance serves
// several).
func NewGRPCServer(ctx context.Context, host *HostServer, admin *AdminServer) *grpc.Server {
	// ForceServerCodecV2 is marked experimental in grpc-go; if it goes, the
	// build breaks here rather than the events slowing down unnoticed.
	srv := grpc.NewServer(grpc.ForceServerCodecV2(newWireCodec()))
	ctiv1.RegisterHostServer(srv, host)
	ctiv1.RegisterAdminServer(srv, admin)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	go watchHealth(ctx, hs, host.router)
	return srv
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
