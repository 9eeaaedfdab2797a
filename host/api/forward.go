package api

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// deviceRequest is every command request: it names a device.
type deviceRequest interface {
	proto.Message
	GetDevice() string
}

// driverRPC is a Driver client method, e.g. ctiv1.DriverClient.Hold.
type driverRPC[Req deviceRequest, Resp any] func(ctiv1.DriverClient, context.Context, Req, ...grpc.CallOption) (Resp, error)

// forward sends one command to the driver serving req's device: it resolves
// the reference, rewrites it to the driver's device id, applies the host's
// deadline and turns a driver that died mid-call into an UNAVAILABLE that
// says so.
func forward[Req deviceRequest, Resp any](ctx context.Context, s *HostServer, method string, req Req, rpc driverRPC[Req, Resp]) (Resp, error) {
	var zero Resp
	rt, err := s.router.Resolve(req.GetDevice())
	if err != nil {
		return zero, err
	}
	dc, err := rt.inst.Client()
	if err != nil {
		return zero, err
	}
	out := proto.Clone(req).(Req)
	setDevice(out, rt.device)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	resp, err := rpc(dc, ctx, out)
	s.logger.Trace("command", "method", method, "device", req.GetDevice(), "code", status.Code(err).String(), "took", time.Since(start))
	if err != nil {
		return zero, s.driverError(ctx, rt, method, err)
	}
	return resp, nil
}

// driverError explains a failed driver call to the app.
func (s *HostServer) driverError(ctx context.Context, rt route, method string, err error) error {
	code := status.Code(err)
	if code == codes.Unavailable || code == codes.Canceled || code == codes.Internal {
		if died := rt.inst.DiedDuring(method); died != nil {
			return died
		}
	}
	if code == codes.DeadlineExceeded && ctx.Err() != nil {
		return status.Errorf(codes.DeadlineExceeded, "%s did not answer %s within %s", rt.describe(), method, s.timeout)
	}
	return err
}

// setDevice writes the `device` field of any command request.
func setDevice(m proto.Message, device string) {
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("device"); fd != nil {
		r.Set(fd, protoreflect.ValueOfString(device))
	}
}
