package acme

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	"github.com/ctihost/ctihost/examples/driver-template/acmeapi"
)

// The SDK's guard has already checked the device, the capability and the
// request's fields before any of these methods runs.

// Dial places a call and returns its id, read back from the phone at once.
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	dev, err := d.device(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if req.GetLine() != 0 {
		// ACME API §3: /dial always takes the first idle line.
		return nil, sdk.InvalidArgument("line: the %s chooses its own line; send line 0", Model)
	}
	line, err := dev.client.Dial(ctx, req.GetDestination())
	if err != nil {
		return nil, dev.fail("dial", err)
	}
	dev.refresh(ctx)
	resp := &ctiv1.DialResponse{}
	for _, c := range dev.tracker.Calls() {
		if int(c.GetLine()) == line {
			resp.CallId = c.GetCallId()
		}
	}
	return resp, nil
}

// Answer answers a ringing call.
func (d *Driver) Answer(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.onCall(ctx, req, "answer", nil, (*acmeapi.Client).Answer)
}

// Reject declines a ringing call. ACME API §4: there is no reject command;
// /hangup on a ringing line declines it, so Reject checks the state itself.
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	mustRing := func(c *ctiv1.Call) error {
		if c.GetState() != ctiv1.CallState_CALL_STATE_RINGING {
			return sdk.FailedPrecondition("call %q on device %q is %s, not ringing: use Hangup", c.GetCallId(), req.GetDevice(), stateName(c))
		}
		return nil
	}
	return d.onCall(ctx, req, "reject", mustRing, (*acmeapi.Client).Hangup)
}

// Hangup ends a call in any state. On a ringing call it declines it, as
// Reject does (what a user who hangs up a ringing phone means, and what
// the proto asks of a model with REJECT): ACME's /hangup does both.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.onCall(ctx, req, "hangup", nil, (*acmeapi.Client).Hangup)
}

// Hold holds a connected call; the phone answers 409 for other states.
func (d *Driver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.onCall(ctx, req, "hold", nil, (*acmeapi.Client).Hold)
}

// Resume takes a held call off hold; the phone holds any other call.
func (d *Driver) Resume(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.onCall(ctx, req, "resume", nil, (*acmeapi.Client).Resume)
}

// SetDND switches do-not-disturb.
func (d *Driver) SetDND(ctx context.Context, req *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	dev, err := d.device(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := dev.client.SetDND(ctx, req.GetEnabled()); err != nil {
		return nil, dev.fail("set dnd", err)
	}
	dev.refresh(ctx)
	return &ctiv1.CommandResponse{}, nil
}

// onCall runs a line command on the call's line: it finds the call, lets
// check refuse it, sends the command and refreshes the device.
func (d *Driver) onCall(ctx context.Context, req *ctiv1.CallRequest, op string, check func(*ctiv1.Call) error,
	send func(*acmeapi.Client, context.Context, int) error) (*ctiv1.CommandResponse, error) {
	dev, err := d.device(req.GetDevice())
	if err != nil {
		return nil, err
	}
	call := dev.tracker.Call(req.GetCallId())
	if call == nil {
		return nil, sdk.NotFound("call %q is not on device %q; GetDeviceState lists its calls", req.GetCallId(), dev.id)
	}
	if check != nil {
		if err := check(call); err != nil {
			return nil, err
		}
	}
	if err := send(dev.client, ctx, int(call.GetLine())); err != nil {
		return nil, dev.fail(op, err)
	}
	if op == "hangup" || op == "reject" {
		dev.tracker.MarkLocalEnd(call.GetCallId()) // before the refresh that sees it end
	}
	dev.refresh(ctx)
	return &ctiv1.CommandResponse{}, nil
}

// fail is the one place ACME errors become sdk errors: the phone's refusals
// by HTTP status (ACME API §6), anything else as unreachable. Every message
// names the device and is redacted, since the phone quotes tokens (§1).
func (dev *device) fail(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the caller's own deadline or cancellation
	}
	var refused *acmeapi.StatusError
	if !errors.As(err, &refused) {
		e := sdk.Unavailable("device %q is unreachable, %s not sent: %s; retry later", dev.id, op, dev.redact.Redact(err.Error()))
		e.Err = err
		return e.WithVendor(Name, dev.id, "", dev.redact.Redact(err.Error()))
	}
	text := dev.redact.Redact(refused.Message)
	var e *sdk.Error
	switch refused.StatusCode {
	case 401, 403:
		e = sdk.PermissionDenied("device %q refused the configured token: fix its token in config.hcl", dev.id)
	case 400:
		e = sdk.InvalidArgument("device %q refused the %s request: %s", dev.id, op, text)
	case 404:
		e = sdk.NotFound("device %q: %s", dev.id, text)
	case 409:
		e = sdk.FailedPrecondition("device %q cannot %s now: %s; refresh with GetDeviceState", dev.id, op, text)
	default:
		e = sdk.Aborted("device %q refused %s: %s", dev.id, op, text)
	}
	e.Err = err
	return e.WithVendor(Name, dev.id, fmt.Sprintf("http %d", refused.StatusCode), text)
}

func stateName(c *ctiv1.Call) string {
	return strings.ToLower(strings.TrimPrefix(c.GetState().String(), "CALL_STATE_"))
}
