package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/ctihost/ctihost/host/auth"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// TestHostConnPresentsToken checks that a connection from runningHost.dial
// sends the host's token on every call, unary and streaming.
func TestHostConnPresentsToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	record := func(ctx context.Context) {
		md, _ := metadata.FromIncomingContext(ctx)
		mu.Lock()
		seen = append(seen, strings.Join(md.Get("authorization"), ","))
		mu.Unlock()
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			record(ctx)
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			record(ss.Context())
			return h(srv, ss)
		}))
	ctiv1.RegisterAdminServer(srv, stubAdmin{})
	ctiv1.RegisterHostServer(srv, ctiv1.UnimplementedHostServer{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Stop()

	rh := &runningHost{listen: l.Addr().String(), token: "cti_bench-test"}
	conn, err := rh.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := ctiv1.NewAdminClient(conn).ListPlugins(ctx, &ctiv1.ListPluginsRequest{}); err != nil {
		t.Fatal(err)
	}
	stream, err := ctiv1.NewHostClient(conn).WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	stream.Recv() // unimplemented: the stream ends once the server has seen it
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "Bearer cti_bench-test" || seen[1] != "Bearer cti_bench-test" {
		t.Errorf("authorization received: %q, want the token twice", seen)
	}
}

// TestWaitToken checks that waitToken returns the token once the host
// writes it, and gives up when the host exits or the wait runs out.
func TestWaitToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens", "127.0.0.1_7070")
	running := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		auth.WriteLocalToken(path, "cti_later")
	}()
	if got, err := waitToken(context.Background(), path, running, 5*time.Second); err != nil || got != "cti_later" {
		t.Errorf("waitToken = %q, %v; want the token written", got, err)
	}

	missing := filepath.Join(t.TempDir(), "none")
	if _, err := waitToken(context.Background(), missing, running, 100*time.Millisecond); err == nil ||
		!strings.Contains(err.Error(), "no local token file "+missing) {
		t.Errorf("waitToken without a file: %v", err)
	}
	exited := make(chan struct{})
	close(exited)
	if _, err := waitToken(context.Background(), missing, exited, 5*time.Second); err == nil ||
		!strings.Contains(err.Error(), "exited") {
		t.Errorf("waitToken after the host exited: %v", err)
	}
}
