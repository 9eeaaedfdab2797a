package sdk

import (
	"context"
	"fmt"
	"path"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// methodCapability maps each command RPC to the capability it needs.
var methodCapability = map[string]ctiv1.Capability{
	"Dial":             ctiv1.Capability_CAPABILITY_DIAL,
	"Answer":           ctiv1.Capability_CAPABILITY_ANSWER,
	"Reject":           ctiv1.Capability_CAPABILITY_REJECT,
	"Hangup":           ctiv1.Capability_CAPABILITY_HANGUP,
	"Hold":             ctiv1.Capability_CAPABILITY_HOLD,
	"Resume":           ctiv1.Capability_CAPABILITY_RESUME,
	"BlindTransfer":    ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
	"ConsultTransfer":  ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER,
	"CompleteTransfer": ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER,
	"Conference":       ctiv1.Capability_CAPABILITY_CONFERENCE,
	"SendDTMF":         ctiv1.Capability_CAPABILITY_SEND_DTMF,
	"Redirect":         ctiv1.Capability_CAPABILITY_REDIRECT,
	"Park":             ctiv1.Capability_CAPABILITY_PARK,
	"Unpark":           ctiv1.Capability_CAPABILITY_UNPARK,
	"SetDND":           ctiv1.Capability_CAPABILITY_SET_DND,
	"SetForward":       ctiv1.Capability_CAPABILITY_SET_FORWARD,
	"ClearForward":     ctiv1.Capability_CAPABILITY_SET_FORWARD,
	"SetMute":          ctiv1.Capability_CAPABILITY_SET_MUTE,
	"EnableSpeaker":    ctiv1.Capability_CAPABILITY_SPEAKER,
	"Reboot":           ctiv1.Capability_CAPABILITY_REBOOT,
	"FactoryReset":     ctiv1.Capability_CAPABILITY_FACTORY_RESET,
	"JoinQueue":        ctiv1.Capability_CAPABILITY_JOIN_QUEUE,
	"LeaveQueue":       ctiv1.Capability_CAPABILITY_LEAVE_QUEUE,
	"PauseAgent":       ctiv1.Capability_CAPABILITY_PAUSE_AGENT,
	"UnpauseAgent":     ctiv1.Capability_CAPABILITY_PAUSE_AGENT,
	"SendKeys":         ctiv1.Capability_CAPABILITY_SEND_KEYS,

	"SetQueueServiceMode": ctiv1.Capability_CAPABILITY_SET_QUEUE_SERVICE_MODE,
	"SetCallData":         ctiv1.Capability_CAPABILITY_SET_CALL_DATA,
	"ShowText":            ctiv1.Capability_CAPABILITY_SHOW_TEXT,
	"LookupContact":       ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT,
	"SetRecording":        ctiv1.Capability_CAPABILITY_SET_RECORDING,
}

// CapabilityFor returns the capability a Driver (or Host) RPC needs, by
// method name such as "Hold". ok is false for RPCs that need none.
func CapabilityFor(method string) (c ctiv1.Capability, ok bool) {
	c, ok = methodCapability[method]
	return c, ok
}

// CapabilityName is the short lower-case name of c, e.g. "blind_transfer".
func CapabilityName(c ctiv1.Capability) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "CAPABILITY_"))
}

// guard sits in front of a Driver: it recovers panics, converts errors to
// statuses once, and answers NOT_FOUND, UNIMPLEMENTED and INVALID_ARGUMENT
// for requests the driver must never see, so every driver behaves alike.
type guard struct {
	impl   Driver
	logger hclog.Logger

	mu      sync.RWMutex
	models  map[string]*ctiv1.ModelInfo // lower-case model name -> info
	devices map[string]string           // configured device -> lower-case model
	open    bool                        // some model discovers devices
	// discovered are the devices the driver announced on its event
	// streams (DevicesChanged), learnt as they are sent: the host knows
	// discovered devices the same way.
	discovered map[string]*ctiv1.Device
}

func newGuard(impl Driver, logger hclog.Logger) *guard {
	return &guard{impl: impl, logger: logger}
}

// unary is the unary server interceptor.
func (g *guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	method := path.Base(info.FullMethod)
	defer g.recoverInto(method, &err)
	if err := g.check(ctx, method, req); err != nil {
		return nil, err.GRPCStatus().Err()
	}
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, Status(err).Err()
	}
	if method == "Configure" {
		g.configured(req.(*ctiv1.ConfigureRequest))
	}
	return resp, nil
}

// stream is the stream server interceptor: panics become INTERNAL, and the
// devices a driver announces on WatchEvents are learnt.
func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer g.recoverInto(path.Base(info.FullMethod), &err)
	if err := handler(srv, announcements{ServerStream: ss, g: g}); err != nil {
		return Status(err).Err()
	}
	return nil
}

// announcements watches the events a driver sends for DevicesChanged.
type announcements struct {
	grpc.ServerStream
	g *guard
}

func (a announcements) SendMsg(m any) error {
	if ev, ok := m.(*ctiv1.Event); ok && ev.GetDevicesChanged() != nil {
		a.g.announced(ev.GetDevicesChanged())
	}
	return a.ServerStream.SendMsg(m)
}

// announced records discovered devices that came or went.
func (g *guard) announced(dc *ctiv1.DevicesChanged) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.discovered == nil || dc.GetSnapshot() {
		g.discovered = map[string]*ctiv1.Device{}
	}
	for _, d := range dc.GetAdded() {
		g.discovered[d.GetDevice()] = d
	}
	for _, id := range dc.GetRemoved() {
		delete(g.discovered, id)
	}
}

func (g *guard) recoverInto(method string, err *error) {
	if r := recover(); r != nil {
		g.logger.Error("driver panicked", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "driver panicked in %s: %v (see the plugin log)", method, r)
	}
}

// configured records which model each device has, after a successful
// Configure, and refreshes the model table from GetInfo.
func (g *guard) configured(req *ctiv1.ConfigureRequest) {
	info, err := g.impl.GetInfo(context.Background(), &ctiv1.GetInfoRequest{})
	if err != nil {
		g.logger.Error("get info after configure failed", "error", err)
		return
	}
	models := map[string]*ctiv1.ModelInfo{}
	open := false
	for _, m := range info.GetModels() {
		models[strings.ToLower(m.GetModel())] = m
		open = open || hasCapability(m.GetCapabilities(), ctiv1.Capability_CAPABILITY_DISCOVERY)
	}
	devices := map[string]string{}
	for _, d := range req.GetDevices() {
		devices[d.GetDevice()] = strings.ToLower(d.GetModel())
	}
	g.mu.Lock()
	g.models, g.devices, g.open = models, devices, open
	g.mu.Unlock()
}

type deviceRequest interface{ GetDevice() string }

// check answers for requests that must not reach the driver.
func (g *guard) check(ctx context.Context, method string, req any) *Error {
	want, isCommand := methodCapability[method]
	dr, addressed := req.(deviceRequest)
	if !isCommand && !(addressed && method == "GetDeviceState") {
		return nil
	}
	device := dr.GetDevice()
	if device == "" {
		return InvalidArgument("device is required")
	}
	g.mu.RLock()
	models, devices, open := g.models, g.devices, g.open
	found := g.discovered[device]
	g.mu.RUnlock()
	if devices == nil {
		return FailedPrecondition("driver is not configured yet: the host must call Configure first")
	}
	model, known := devices[device]
	caps := models[model].GetCapabilities()
	switch {
	case known:
	case found != nil:
		// An announced discovered device: its own capabilities where it
		// lists them (one PBX user may lack what its kind offers), else
		// its model's.
		model = strings.ToLower(found.GetModel())
		caps = models[model].GetCapabilities()
		if len(found.GetCapabilities()) > 0 {
			caps = found.GetCapabilities()
		}
	case open:
		// Discovered but not announced yet (no event stream is open): the
		// driver itself knows it or answers NOT_FOUND. Malformed requests
		// are still refused alike.
		if isCommand {
			return validate(method, req)
		}
		return nil
	default:
		return NotFound("device %q is not configured for this driver", device)
	}
	if !isCommand {
		return nil
	}
	info := models[model]
	if info == nil || !hasCapability(caps, want) {
		return unsupported(method, info, model)
	}
	if err := validate(method, req); err != nil {
		return err
	}
	if r, ok := req.(*ctiv1.SendKeysRequest); ok {
		if TimedKeys(r) && !info.GetTimedKeys() {
			return TimedKeysUnsupported(info.GetModel())
		}
		return knownKeys(info, r.GetKeys())
	}
	if r, ok := req.(*ctiv1.DialRequest); ok && HasDialOptions(r) && !hasCapability(caps, ctiv1.Capability_CAPABILITY_DIAL_OPTIONS) {
		return DialOptionsUnsupported(info.GetModel())
	}
	return nil
}

func unsupported(method string, info *ctiv1.ModelInfo, model string) *Error {
	var names []string
	for _, c := range info.GetCapabilities() {
		if _, isOp := reverseOps[c]; isOp {
			names = append(names, reverseOps[c])
		}
	}
	sort.Strings(names)
	msg := fmt.Sprintf("%s is not supported by model %s; it supports: %s", method, info.GetModel(), strings.Join(names, ", "))
	if info == nil {
		msg = fmt.Sprintf("%s is not supported: model %q is unknown to the driver", method, model)
	}
	if hint := info.GetDescription(); hint != "" {
		msg += " (" + hint + ")"
	}
	return Unimplemented("%s", msg)
}

// reverseOps maps a capability to the RPC names that need it, for messages.
var reverseOps = func() map[ctiv1.Capability]string {
	m := map[ctiv1.Capability]string{}
	for method, c := range methodCapability {
		if prev, ok := m[c]; ok {
			names := []string{prev, method}
			sort.Strings(names)
			method = strings.Join(names, "/")
		}
		m[c] = method
	}
	return m
}()

func hasCapability(caps []ctiv1.Capability, want ctiv1.Capability) bool {
	for _, c := range caps {
		if c == want {
			return true
		}
	}
	return false
}
