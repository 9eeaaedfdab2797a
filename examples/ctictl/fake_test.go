package main

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// fakeHost is a cti.v1.Host server whose methods call the function fields;
// a nil field answers UNIMPLEMENTED.
type fakeHost struct {
	ctiv1.UnimplementedHostServer
	// One function per implemented method, named after it.
	listDevices    func(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error)
	getDeviceState func(context.Context, *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error)
	dial           func(context.Context, *ctiv1.DialRequest) (*ctiv1.DialResponse, error)
	sendKeys       func(context.Context, *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error)
	setDND         func(context.Context, *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error)
	lookupContact  func(context.Context, *ctiv1.LookupContactRequest) (*ctiv1.LookupContactResponse, error)
	watchEvents    func(*ctiv1.WatchEventsRequest, grpc.ServerStreamingServer[ctiv1.Event]) error
}

// ListDevices calls f.listDevices.
func (f *fakeHost) ListDevices(ctx context.Context, r *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	if f.listDevices == nil {
		return f.UnimplementedHostServer.ListDevices(ctx, r)
	}
	return f.listDevices(ctx, r)
}

// GetDeviceState calls f.getDeviceState.
func (f *fakeHost) GetDeviceState(ctx context.Context, r *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	if f.getDeviceState == nil {
		return f.UnimplementedHostServer.GetDeviceState(ctx, r)
	}
	return f.getDeviceState(ctx, r)
}

// Dial calls f.dial.
func (f *fakeHost) Dial(ctx context.Context, r *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	if f.dial == nil {
		return f.UnimplementedHostServer.Dial(ctx, r)
	}
	return f.dial(ctx, r)
}

// SendKeys calls f.sendKeys.
func (f *fakeHost) SendKeys(ctx context.Context, r *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
	if f.sendKeys == nil {
		return f.UnimplementedHostServer.SendKeys(ctx, r)
	}
	return f.sendKeys(ctx, r)
}

// SetDND calls f.setDND.
func (f *fakeHost) SetDND(ctx context.Context, r *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	if f.setDND == nil {
		return f.UnimplementedHostServer.SetDND(ctx, r)
	}
	return f.setDND(ctx, r)
}

// LookupContact calls f.lookupContact.
func (f *fakeHost) LookupContact(ctx context.Context, r *ctiv1.LookupContactRequest) (*ctiv1.LookupContactResponse, error) {
	if f.lookupContact == nil {
		return f.UnimplementedHostServer.LookupContact(ctx, r)
	}
	return f.lookupContact(ctx, r)
}

// WatchEvents calls f.watchEvents.
func (f *fakeHost) WatchEvents(r *ctiv1.WatchEventsRequest, s grpc.ServerStreamingServer[ctiv1.Event]) error {
	if f.watchEvents == nil {
		return f.UnimplementedHostServer.WatchEvents(r, s)
	}
	return f.watchEvents(r, s)
}

// fakeAdmin is a cti.v1.Admin server whose methods call the function fields.
type fakeAdmin struct {
	ctiv1.UnimplementedAdminServer
	// listPlugins implements ListPlugins.
	listPlugins func(context.Context, *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error)
	// swapPlugin implements SwapPlugin.
	swapPlugin func(context.Context, *ctiv1.SwapPluginRequest) (*ctiv1.SwapPluginResponse, error)
}

// SwapPlugin calls f.swapPlugin.
func (f *fakeAdmin) SwapPlugin(ctx context.Context, r *ctiv1.SwapPluginRequest) (*ctiv1.SwapPluginResponse, error) {
	if f.swapPlugin == nil {
		return f.UnimplementedAdminServer.SwapPlugin(ctx, r)
	}
	return f.swapPlugin(ctx, r)
}

// ListPlugins calls f.listPlugins.
func (f *fakeAdmin) ListPlugins(ctx context.Context, r *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
	if f.listPlugins == nil {
		return f.UnimplementedAdminServer.ListPlugins(ctx, r)
	}
	return f.listPlugins(ctx, r)
}

// startFake serves host and admin (either may be nil) on a loopback
// listener until the test ends and returns the address.
func startFake(t *testing.T, host *fakeHost, admin *fakeAdmin) string {
	t.Helper()
	return startFakeWith(t, host, admin)
}

// startFakeWith is startFake with server options: TLS credentials or an
// interceptor that checks credentials.
func startFakeWith(t *testing.T, host *fakeHost, admin *fakeAdmin, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	if host == nil {
		host = &fakeHost{}
	}
	if admin == nil {
		admin = &fakeAdmin{}
	}
	ctiv1.RegisterHostServer(srv, host)
	ctiv1.RegisterAdminServer(srv, admin)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

// requests records the requests a fake received, in order.
type requests struct {
	mu  sync.Mutex
	got []proto.Message
}

// add records a copy of m.
func (r *requests) add(m proto.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, proto.Clone(m))
}

// check fails the test unless exactly want were received.
func (r *requests) check(t *testing.T, want ...proto.Message) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) != len(want) {
		t.Fatalf("got %d requests %v, want %d", len(r.got), r.got, len(want))
	}
	for i := range want {
		if !proto.Equal(r.got[i], want[i]) {
			t.Errorf("request %d:\n got  %s\n want %s", i, prototext.Format(r.got[i]), prototext.Format(want[i]))
		}
	}
}

// runCLI runs ctictl against addr with args and returns its exit status,
// stdout and stderr.
func runCLI(ctx context.Context, addr string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"-addr", addr}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// expect fails the test unless the exit status and both outputs match.
func expect(t *testing.T, code int, stdout, stderr string, wantCode int, wantOut, wantErr string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit status %d, want %d (stderr %q)", code, wantCode, stderr)
	}
	if stdout != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, wantOut)
	}
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
}
