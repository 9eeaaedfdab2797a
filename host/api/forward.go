package api

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ctihost/ctihost/host/supervisor"
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
	began := time.Now()
	resp, err := forwardOnce(ctx, s, method, req, rpc)
	s.metrics.Command(method, status.Code(err), time.Since(began))
	if err != nil {
		return zero, err
	}
	return resp, nil
}

// Remote is how a host of a cluster reaches the sites other hosts run.
type Remote interface {
	// Host is the connection to the host that runs site, when that is
	// another host; false when this host runs it or nobody does.
	Host(ctx context.Context, site string) (*grpc.ClientConn, bool)
}

// forwardedHeader marks a call one host forwarded to another: it is
// served where it arrives, never forwarded again (no loops while the
// hosts disagree for a moment about who runs a site).
const forwardedHeader = "ctihost-forwarded"

// forwardRemote sends a command for a site another host of the cluster
// runs to that host's Host API, with the caller's own credentials: the
// other host checks them and audits the call as its own.
func forwardRemote[Req deviceRequest, Resp any](ctx context.Context, conn *grpc.ClientConn, method string, req Req) (Resp, error) {
	var zero Resp
	resp := reflect.New(reflect.TypeOf(zero).Elem()).Interface().(Resp)
	if err := conn.Invoke(forwardedContext(ctx), "/cti.v1.Host/"+method, req, resp); err != nil {
		return zero, err
	}
	return resp, nil
}

// forwardList asks another host of the cluster for a site's devices, with
// the caller's own credentials.
func forwardList(ctx context.Context, conn *grpc.ClientConn, req *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	resp := &ctiv1.ListDevicesResponse{}
	return resp, conn.Invoke(forwardedContext(ctx), "/cti.v1.Host/ListDevices", req, resp)
}

// forwardedContext carries the caller's credentials to another host and
// marks the call as forwarded.
func forwardedContext(ctx context.Context) context.Context {
	md := metadata.MD{forwardedHeader: []string{"1"}}
	if auth := metadata.ValueFromIncomingContext(ctx, "authorization"); len(auth) > 0 {
		md.Set("authorization", auth...)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// forwardOnce is forward without the metrics.
func forwardOnce[Req deviceRequest, Resp any](ctx context.Context, s *HostServer, method string, req Req, rpc driverRPC[Req, Resp]) (Resp, error) {
	var zero Resp
	if r := s.Remote(); r != nil && len(metadata.ValueFromIncomingContext(ctx, forwardedHeader)) == 0 {
		site, _, _ := strings.Cut(req.GetDevice(), "/")
		if conn, ok := r.Host(ctx, site); ok {
			return forwardRemote[Req, Resp](ctx, conn, method, req)
		}
	}
	rt, err := s.router.Resolve(ctx, req.GetDevice())
	if err != nil {
		return zero, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	release, err := rt.inst.Acquire(ctx, rt.device)
	if err != nil {
		return zero, err
	}
	defer release()
	out := proto.Clone(req).(Req)
	setDevice(out, rt.device)
	for attempt := 1; ; attempt++ {
		conn, err := rt.inst.Client(ctx) // waits out a restart, up to the grace
		if err != nil {
			return zero, err
		}
		resp, err := call(ctx, s, conn, rt, method, out, rpc)
		if err == nil {
			return resp, nil
		}
		if !errors.Is(err, errDied) || !idempotent[method] || attempt > 1 {
			return zero, err
		}
		// The driver died under an idempotent command: running it again on
		// the restarted driver is safe, and the app never sees the crash.
	}
}

// call runs one attempt of a command on conn: call ids are translated both
// ways (they differ after a swap) and conn is released afterwards, so a swap
// can drain the process.
func call[Req deviceRequest, Resp any](ctx context.Context, s *HostServer, conn *supervisor.Conn, rt route, method string, req Req, rpc driverRPC[Req, Resp]) (Resp, error) {
	defer conn.Release()
	var zero Resp
	attempt := proto.Clone(req).(Req)
	conn.Request(attempt)
	start := time.Now()
	resp, err := rpc(conn.Driver, ctx, attempt)
	s.logger.Trace("command", "method", method, "device", req.GetDevice(), "code", status.Code(err).String(), "took", time.Since(start))
	if err != nil {
		_, ref := rt.inst.Ref(rt.device)
		return zero, s.driverError(rt, conn, method, appNames(err, attempt, req, rt.device, ref))
	}
	switch r := any(resp).(type) {
	case *ctiv1.DeviceState:
		conn.State(r, rt.device)
	case *ctiv1.DialResponse, *ctiv1.ConsultTransferResponse, *ctiv1.UnparkResponse:
		conn.Response(r.(proto.Message))
	}
	return resp, nil
}

// appNames puts back, in a driver's error message, the names the app used
// where the driver quotes its own: the device's "site/device" reference,
// and the call ids (they differ after a swap, and always on a host of a
// cluster). `call "1-6" is not on device "desk1"` must name what the app
// knows.
func appNames(err error, sent, asked proto.Message, driverDevice, appDevice string) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	if appDevice != "" && appDevice != driverDevice {
		msg = strings.ReplaceAll(msg, `"`+driverDevice+`"`, `"`+appDevice+`"`)
	}
	s, a := sent.ProtoReflect(), asked.ProtoReflect()
	for _, name := range []protoreflect.Name{"call_id", "other_call_id"} {
		f := s.Descriptor().Fields().ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind {
			continue
		}
		if driverID, appID := s.Get(f).String(), a.Get(f).String(); driverID != "" && driverID != appID {
			msg = strings.ReplaceAll(msg, `"`+driverID+`"`, `"`+appID+`"`)
		}
	}
	if msg == st.Message() {
		return err
	}
	p := st.Proto()
	p.Message = msg
	return status.FromProto(p).Err()
}

// idempotent lists the RPCs that are safe to run twice, so the host may
// retry them once on a restarted driver. Dial, the transfers, Conference,
// Park, SendKeys and the like are not: their outcome is reported unknown.
var idempotent = map[string]bool{
	"GetDeviceState": true, "Hold": true, "Resume": true, "SetDND": true, "SetForward": true,
	"ClearForward": true, "SetMute": true, "JoinQueue": true, "LeaveQueue": true,
	"PauseAgent": true, "UnpauseAgent": true, "SetQueueServiceMode": true,
	"SetCallData": true, "SetRecording": true, "ShowText": true,
	"LookupContact": true,
}

// errDied marks errors of commands whose driver died under them.
var errDied = errors.New("driver died during the command")

// driverError explains a failed driver call to the app. A command that was
// in flight when its driver died is reported, never retried: its outcome
// is unknown.
func (s *HostServer) driverError(rt route, conn *supervisor.Conn, method string, err error) error {
	code := status.Code(err)
	if code == codes.Unavailable || code == codes.Canceled || code == codes.Internal {
		if died := conn.DiedDuring(method, err); died != nil {
			return diedError{died}
		}
	}
	if code == codes.DeadlineExceeded {
		// gRPC's deadline timer and ctx's may fire a moment apart, so the
		// code alone decides.
		return status.Errorf(codes.DeadlineExceeded, "%s did not answer %s within %s: %s", rt.describe(), method, s.timeout, cut(rt.inst.Redact(status.Convert(err).Message()), maxDriverMessage))
	}
	return withDeviceRef(err, rt.inst)
}

// maxDriverMessage bounds the message of a driver's error passed to an
// app; a driver could answer megabytes.
const maxDriverMessage = 2048

// withDeviceRef passes a driver's error on to the app: the instance's
// secrets redacted from its message and vendor detail (a careless driver
// may quote a passcode), the message bounded, and the VendorError detail's
// device rewritten to the app's "site/device" reference, as every device
// field an app sees (a shared instance's driver already uses the
// references).
func withDeviceRef(err error, inst *supervisor.Instance) error {
	st, ok := status.FromError(err)
	if !ok {
		return status.Error(codes.Unknown, cut(inst.Redact(err.Error()), maxDriverMessage))
	}
	out := status.New(st.Code(), cut(inst.Redact(st.Message()), maxDriverMessage))
	for _, d := range st.Details() {
		m, ok := d.(protoadapt.MessageV1)
		if !ok {
			continue // a detail we cannot decode is dropped rather than passed on garbled
		}
		if v, isVendor := d.(*ctiv1.VendorError); isVendor {
			v = proto.Clone(v).(*ctiv1.VendorError)
			if v.GetDevice() != "" {
				_, v.Device = inst.Ref(v.GetDevice())
			}
			v.Code, v.Message = inst.Redact(v.GetCode()), inst.Redact(v.GetMessage())
			m = v
		}
		if withDetail, err := out.WithDetails(m); err == nil {
			out = withDetail
		}
	}
	return out.Err()
}

// cut bounds s to n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// diedError is the status error of a command whose driver died under it.
type diedError struct{ error }

func (diedError) Is(target error) bool { return target == errDied }

// GRPCStatus keeps the status code and message for grpc-go.
func (d diedError) GRPCStatus() *status.Status { return status.Convert(d.error) }

// setDevice writes the `device` field of any command request.
func setDevice(m proto.Message, device string) {
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("device"); fd != nil {
		r.Set(fd, protoreflect.ValueOfString(device))
	}
}
