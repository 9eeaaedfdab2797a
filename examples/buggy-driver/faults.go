package buggy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// The fault keys. SendKeys with one of them, on any device, triggers the
// fault; names are case-insensitive and the keys of one request are pressed
// in order. Every other key the SDK lets through ("#", "*") does nothing.
const (
	// FaultReset clears FaultGarbage and FaultHangAll. Calls and streams
	// that already hang stay hung; leaked memory stays leaked. On a healthy
	// driver it changes nothing, so it is the first key listed: a generic
	// client (the conformance kit) presses the first key as a harmless one.
	FaultReset = "FAULT_RESET"
	// FaultPanic panics in a new goroutine, which crashes the process
	// (exit status 2, a Go stack trace on stderr). SendKeys may answer OK
	// first. A panic inside the handler would not do: the SDK's guard
	// recovers it and answers INTERNAL.
	FaultPanic = "FAULT_PANIC"
	// FaultExit writes "buggy: exiting on request" to stderr and exits
	// with status 3; SendKeys never answers.
	FaultExit = "FAULT_EXIT"
	// FaultHang makes this SendKeys never return: it blocks until the
	// process dies and ignores its context. Other RPCs keep working.
	FaultHang = "FAULT_HANG"
	// FaultHangAll wedges the driver: from now on every unary RPC that
	// reaches it, except SendKeys, hangs forever (ignoring its context),
	// and the event streams stop sending, blocked for good in their next
	// Send. For liveness probes.
	FaultHangAll = "FAULT_HANG_ALL"
	// FaultLeak allocates 64 MiB, touches every page so that it is
	// resident, and keeps it until the process dies; each press adds 64 MiB.
	FaultLeak = "FAULT_LEAK"
	// FaultFlood sends 100000 well-formed calls on every open event
	// stream, as fast as the stream takes them: for call n, a CallChanged
	// (RINGING, call id "flood-n", the pressed device) then its CallEnded.
	// SendKeys answers at once; the flood runs on.
	FaultFlood = "FAULT_FLOOD"
	// FaultGarbage makes the driver answer nonsense from now on:
	// GetDeviceState answers for another device id ("garbage-<device>")
	// with an empty model, and every event is sent with no payload and no
	// device. The host must neither crash nor forward them blindly.
	FaultGarbage = "FAULT_GARBAGE"
	// FaultLeakSecrets does what a careless driver does with a secret: it
	// logs every configured token (hclog, which the host relays), writes
	// them to its raw stderr, and answers the command with an error that
	// quotes them. The host must redact all three.
	FaultLeakSecrets = "FAULT_LEAK_SECRETS"
	// FaultDiscover does what a PBX driver does when a user is added on
	// the PBX: it discovers a new device, "<device>-found-<n>" (a BUGGY-1,
	// kind EXTENSION), and announces it with a DevicesChanged on every open
	// event stream. Its state is readable; commands to it answer NOT_FOUND
	// from the driver, as ACME does not know it.
	FaultDiscover = "FAULT_DISCOVER"
	// FaultForget removes every device FaultDiscover found from this
	// device, announced with a DevicesChanged.
	FaultForget = "FAULT_FORGET"
	// FaultDiscoverHostile announces devices the host must not accept: an
	// id with a "/" (another site's, or a path), an empty one, one with a
	// control character, one of 300 characters, and the pressing device's
	// own id (configured, never discovered).
	FaultDiscoverHostile = "FAULT_DISCOVER_HOSTILE"
)

// Keys are BUGGY-1's keys, in ModelInfo.keys order.
var Keys = []string{FaultReset, FaultPanic, FaultExit, FaultHang, FaultHangAll, FaultLeak, FaultFlood, FaultGarbage, FaultLeakSecrets,
	FaultDiscover, FaultForget, FaultDiscoverHostile}

const (
	// leakSize is what one FaultLeak press keeps.
	leakSize = 64 << 20
	// floodCalls is how many calls one FaultFlood press sends per stream.
	floodCalls = 100000
)

// stderr is the process's real stderr, kept before sdk.Serve runs:
// go-plugin then points os.Stderr at a pipe that it forwards over gRPC only
// to a host that asks, and a process about to exit may not get it through.
// The host reads the real one and reports its last lines when a driver dies.
var stderr = os.Stderr

// SendKeys presses the keys in order; see the Fault constants. The SDK's
// guard has already refused keys that are not in Keys.
func (d *Driver) SendKeys(_ context.Context, req *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
	for _, k := range req.GetKeys() {
		key := strings.ToUpper(strings.TrimSpace(k))
		d.press(req.GetDevice(), key)
		if key == FaultLeakSecrets {
			return nil, sdk.Unavailable("device %q refused token %q", req.GetDevice(), d.tokens())
		}
	}
	return &ctiv1.CommandResponse{}, nil
}

func (d *Driver) press(device, key string) {
	logger := d.logger.With("device", device, "key", key)
	switch key {
	case FaultReset:
		logger.Warn("fault pressed: lasting faults cleared")
		d.hangAll.Store(false)
		d.garbage.Store(false)
	case FaultPanic:
		logger.Warn("fault pressed: panicking in a new goroutine")
		go func() { panic(fmt.Sprintf("buggy: %s pressed on device %q", FaultPanic, device)) }()
	case FaultExit:
		logger.Warn("fault pressed: exiting with status 3")
		fmt.Fprintln(stderr, "buggy: exiting on request")
		os.Exit(3)
	case FaultHang:
		logger.Warn("fault pressed: this call hangs until the process dies")
		d.hang()
	case FaultHangAll:
		logger.Warn("fault pressed: every unary rpc but SendKeys hangs, event streams stall")
		d.hangAll.Store(true)
	case FaultLeak:
		logger.Warn("fault pressed: leaking memory", "bytes", leakSize, "leaked", d.leak())
	case FaultFlood:
		logger.Warn("fault pressed: flooding every event stream", "calls", floodCalls, "streams", d.flood(device))
	case FaultGarbage:
		logger.Warn("fault pressed: answering garbage")
		d.garbage.Store(true)
	case FaultLeakSecrets:
		logger.Warn("fault pressed: leaking the configured tokens", "tokens", d.tokens())
		fmt.Fprintf(stderr, "buggy: my tokens are %s\n", d.tokens())
	case FaultDiscover:
		logger.Warn("fault pressed: discovering a device", "found", d.discover(device))
	case FaultForget:
		logger.Warn("fault pressed: forgetting discovered devices", "forgotten", d.forget(device))
	case FaultDiscoverHostile:
		logger.Warn("fault pressed: announcing devices the host must refuse")
		d.announce(&ctiv1.DevicesChanged{Added: []*ctiv1.Device{
			d.foundDevice("other/site"), d.foundDevice(""), d.foundDevice("bell\a"),
			d.foundDevice(strings.Repeat("x", 300)), d.foundDevice(device),
		}})
	}
}

// leak keeps leakSize more bytes, resident, and returns the total kept.
func (d *Driver) leak() int {
	b := make([]byte, leakSize)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // a fresh page is not resident until written
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.leaked = append(d.leaked, b)
	return len(d.leaked) * leakSize
}

// flood starts one flood per open stream. It does not go through an
// sdk.Broadcaster: that ends a stream that lags 4096 events behind, so a
// flood published in a tight loop would mostly test the SDK's cut-off, not
// the host. Sent straight to the stream, at the pace gRPC flow control
// allows, every event reaches the host. It returns the number of streams.
func (d *Driver) flood(device string) int {
	first := d.floods.Add(floodCalls) - floodCalls + 1
	watchers := d.openWatchers()
	for _, w := range watchers {
		go w.flood(device, first)
	}
	return len(watchers)
}

// watcher is one open WatchEvents stream. ACME's events and floods share
// it, so Send is serialised; it applies the faults in force to each event.
type watcher struct {
	grpc.ServerStreamingServer[ctiv1.Event]
	d *Driver

	mu     sync.Mutex
	closed bool // WatchEvents returned: the gRPC stream must not be used
}

var errStreamClosed = errors.New("event stream closed")

// Send sends ev, or blocks forever under FaultHangAll, or sends an event
// with no payload and no device under FaultGarbage.
func (w *watcher) Send(ev *ctiv1.Event) error {
	if w.d.hangAll.Load() {
		w.d.hang()
	}
	if w.d.garbage.Load() {
		ev = &ctiv1.Event{Time: ev.GetTime()}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errStreamClosed
	}
	return w.ServerStreamingServer.Send(ev)
}

// close marks the stream done, after any Send in progress.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// flood sends floodCalls calls numbered from first, until the stream ends.
func (w *watcher) flood(device string, first int64) {
	for n := first; n < first+floodCalls; n++ {
		now := timestamppb.Now()
		call := func(state ctiv1.CallState) *ctiv1.Call {
			return &ctiv1.Call{CallId: fmt.Sprintf("flood-%d", n), State: state, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: &ctiv1.Party{Number: "5550000", Name: "flood"}, VendorState: "flood", StartedAt: now}
		}
		ringing := &ctiv1.Event{Device: device, Time: now,
			Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: call(ctiv1.CallState_CALL_STATE_RINGING)}}}
		ended := &ctiv1.Event{Device: device, Time: now, Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
			Call: call(ctiv1.CallState_CALL_STATE_ENDED), Reason: ctiv1.EndReason_END_REASON_NORMAL, EndedBy: ctiv1.EndedBy_ENDED_BY_REMOTE}}}
		if err := w.Send(ringing); err != nil {
			w.d.logger.Info("flood stopped: stream ended", "device", device, "calls_sent", n-first, "error", err)
			return
		}
		if err := w.Send(ended); err != nil {
			w.d.logger.Info("flood stopped: stream ended", "device", device, "calls_sent", n-first, "error", err)
			return
		}
	}
	w.d.logger.Info("flood sent", "device", device, "calls_sent", floodCalls)
}

// The start-up faults, for BeforeServe. They are chosen when the binary is
// built (-ldflags "-X main.startFault=MODE"): the host scrubs a plugin's
// environment and passes it nothing before the handshake.
const (
	// StartStdout prints "hello from a chatty plugin" to stdout, then
	// serves. go-plugin reads the handshake from stdout, so the host must
	// fail the start and name the stray line.
	StartStdout = "stdout"
	// StartNoHandshake never serves. It sleeps until its parent is gone
	// (so a killed host or test leaves no process behind); the host must
	// give up after its start timeout and kill it.
	StartNoHandshake = "nohandshake"
	// StartExit writes "buggy: cannot start: missing licence" to stderr and
	// exits with status 2 before serving.
	StartExit = "exit"
	// StartSlow sleeps slowStart, then serves normally: it starts under a
	// start timeout longer than that and fails under a shorter one.
	StartSlow = "slowstart"
)

const slowStart = 3 * time.Second

// BeforeServe misbehaves as the start-up fault mode says; main calls it
// just before sdk.Serve. It returns at once for "" (normal), after slowStart
// for StartSlow and after printing for StartStdout; it never returns for
// StartNoHandshake and StartExit. An unknown mode is a build mistake: it
// says so on stderr and exits with status 2.
func BeforeServe(mode string) {
	switch mode {
	case "":
	case StartStdout:
		fmt.Println("hello from a chatty plugin")
	case StartNoHandshake:
		parent := os.Getppid()
		for os.Getppid() == parent {
			time.Sleep(200 * time.Millisecond)
		}
		os.Exit(1)
	case StartExit:
		fmt.Fprintln(os.Stderr, "buggy: cannot start: missing licence")
		os.Exit(2)
	case StartSlow:
		time.Sleep(slowStart)
	default:
		fmt.Fprintf(os.Stderr, "buggy: unknown start fault %q: build with -X main.startFault= one of %s, %s, %s, %s or empty\n",
			mode, StartStdout, StartNoHandshake, StartExit, StartSlow)
		os.Exit(2)
	}
}

var _ grpc.ServerStreamingServer[ctiv1.Event] = (*watcher)(nil)

// tokens returns every configured device token, joined.
func (d *Driver) tokens() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.configured, ",")
}
