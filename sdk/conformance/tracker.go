package conformance

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// callTracker remembers the calls the kit created on each device and has
// not yet seen end, so that they can be hung up when a scenario or the run
// ends, even after a failure. Safe for concurrent use.
type callTracker struct {
	mu   sync.Mutex
	open map[string]map[string]bool // device -> call id
}

func newCallTracker() *callTracker { return &callTracker{open: map[string]map[string]bool{}} }

func (c *callTracker) add(device, callID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[device] == nil {
		c.open[device] = map[string]bool{}
	}
	c.open[device][callID] = true
}

func (c *callTracker) ended(device, callID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open[device], callID)
}

// calls returns the open call ids of device.
func (c *callTracker) calls(device string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id := range c.open[device] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// hangUpAll ends every call on d: the ones the tracker holds and any other
// the device reports (the kit owns its devices for the run). It refuses
// ringing inbound calls with Reject, hangs up the rest with Hangup, and
// falls back to the Lab's far end when the model offers neither. It returns
// the problems it met, for the caller to report.
func (c *callTracker) hangUpAll(ctx context.Context, d *device) []string {
	var problems []string
	var calls []*ctiv1.Call
	st, err := d.k.client.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: d.id})
	if err == nil {
		calls = st.GetCalls() // tracked calls missing here are gone already
	} else {
		for _, id := range c.calls(d.id) {
			calls = append(calls, &ctiv1.Call{CallId: id})
		}
	}
	for _, call := range calls {
		if err := d.endCall(ctx, call); err != nil {
			problems = append(problems, fmt.Sprintf("end call %s: %v", call.GetCallId(), err))
		}
	}
	for _, id := range c.calls(d.id) {
		c.ended(d.id, id)
	}
	return problems
}

// endCall ends one call by the best means the model offers.
func (d *device) endCall(ctx context.Context, call *ctiv1.Call) error {
	req := &ctiv1.CallRequest{Device: d.id, CallId: call.GetCallId()}
	var err error
	switch ringing := call.GetState() == ctiv1.CallState_CALL_STATE_RINGING; {
	case ringing && d.has(ctiv1.Capability_CAPABILITY_REJECT):
		_, err = d.k.client.Reject(ctx, req)
	case !ringing && d.has(ctiv1.Capability_CAPABILITY_HANGUP):
		_, err = d.k.client.Hangup(ctx, req)
	default:
		err = d.k.cfg.Lab.RemoteHangup(ctx, d.id)
	}
	switch status.Code(err) {
	case codes.NotFound, codes.FailedPrecondition:
		return nil // already gone, or ending by itself
	}
	return err
}
