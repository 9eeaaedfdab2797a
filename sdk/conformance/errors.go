package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// testErrors checks the error codes driver.proto lists.
func (k *kit) testErrors(t *testing.T) {
	t.Run("unknown device is not found", func(t *testing.T) {
		_, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: probeDevice})
		ExpectCode(t, err, codes.NotFound)
		_, err = k.client.Hangup(k.ctx(t), &ctiv1.CallRequest{Device: probeDevice, CallId: probeCall})
		ExpectCode(t, err, codes.NotFound)
	})
	k.forEachDevice(t, func(t *testing.T, d *device) {
		d.scenario(t, "malformed requests are invalid arguments", "", d.malformed)
		d.scenario(t, "unknown call is not found", "", d.unknownCall)
		d.scenario(t, "hold on a ringing call fails its precondition", d.requires(capHold), d.holdRinging)
		d.scenario(t, "answer on a connected call fails its precondition", d.requires(capAnswer), d.answerConnected)
		d.scenario(t, "unreachable device answers unavailable and recovers", "", d.unreachable)
	})
}

// malformed sends, for each declared command, requests the proto calls
// malformed; each must answer INVALID_ARGUMENT.
func (d *device) malformed(t *testing.T) {
	c := d.k.client
	long := strings.Repeat("1", 65)
	cases := []struct {
		name string
		need ctiv1.Capability
		call func(ctx context.Context) error
	}{
		{"Dial without destination", capDial, func(ctx context.Context) error {
			return ignore(c.Dial(ctx, &ctiv1.DialRequest{Device: d.id}))
		}},
		{"Dial a 65-character destination", capDial, func(ctx context.Context) error {
			return ignore(c.Dial(ctx, &ctiv1.DialRequest{Device: d.id, Destination: long}))
		}},
		{"Dial a destination with a space", capDial, func(ctx context.Context) error {
			return ignore(c.Dial(ctx, &ctiv1.DialRequest{Device: d.id, Destination: "20 01"}))
		}},
		{"Answer without call_id", capAnswer, func(ctx context.Context) error {
			return ignore(c.Answer(ctx, &ctiv1.CallRequest{Device: d.id}))
		}},
		{"Reject without call_id", capReject, func(ctx context.Context) error {
			return ignore(c.Reject(ctx, &ctiv1.CallRequest{Device: d.id}))
		}},
		{"Hangup without call_id", capHangup, func(ctx context.Context) error {
			return ignore(c.Hangup(ctx, &ctiv1.CallRequest{Device: d.id}))
		}},
		{"Hold without call_id", capHold, func(ctx context.Context) error {
			return ignore(c.Hold(ctx, &ctiv1.CallRequest{Device: d.id}))
		}},
		{"Resume without call_id", capResume, func(ctx context.Context) error {
			return ignore(c.Resume(ctx, &ctiv1.CallRequest{Device: d.id}))
		}},
		{"SendDTMF with a letter", capSendDTMF, func(ctx context.Context) error {
			return ignore(c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: d.id, CallId: probeCall, Digits: "12a"}))
		}},
		{"SendDTMF without digits", capSendDTMF, func(ctx context.Context) error {
			return ignore(c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: d.id, CallId: probeCall}))
		}},
		{"BlindTransfer without destination", capBlindTransfer, func(ctx context.Context) error {
			return ignore(c.BlindTransfer(ctx, &ctiv1.TransferRequest{Device: d.id, CallId: probeCall}))
		}},
		{"Redirect without destination", capRedirect, func(ctx context.Context) error {
			return ignore(c.Redirect(ctx, &ctiv1.TransferRequest{Device: d.id, CallId: probeCall}))
		}},
		{"SetForward without mode", capSetForward, func(ctx context.Context) error {
			return ignore(c.SetForward(ctx, &ctiv1.SetForwardRequest{Device: d.id, Destination: "2999"}))
		}},
		{"SendKeys with a key the model does not list", capSendKeys, func(ctx context.Context) error {
			return ignore(c.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: d.id, Keys: []string{"CONFORMANCE_NO_SUCH_KEY"}}))
		}},
		{"Conference of a call with itself", ctiv1.Capability_CAPABILITY_CONFERENCE, func(ctx context.Context) error {
			return ignore(c.Conference(ctx, &ctiv1.CallPairRequest{Device: d.id, CallId: probeCall, OtherCallId: probeCall}))
		}},
		{"JoinQueue without queue", ctiv1.Capability_CAPABILITY_JOIN_QUEUE, func(ctx context.Context) error {
			return ignore(c.JoinQueue(ctx, &ctiv1.QueueRequest{Device: d.id}))
		}},
		{"Unpark without slot", ctiv1.Capability_CAPABILITY_UNPARK, func(ctx context.Context) error {
			return ignore(c.Unpark(ctx, &ctiv1.UnparkRequest{Device: d.id}))
		}},
	}
	ran := 0
	for _, tc := range cases {
		if !d.has(tc.need) || (tc.need == capSendKeys && len(d.model.GetKeys()) == 0) {
			continue
		}
		ran++
		t.Run(tc.name, func(t *testing.T) { ExpectCode(t, tc.call(d.k.ctx(t)), codes.InvalidArgument) })
	}
	// Every model gets at least this one: the device field itself.
	_, err := c.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{})
	ExpectCode(t, err, codes.InvalidArgument)
	t.Logf("%d malformed commands sent for the capabilities model %s declares", ran, d.model.GetModel())
}

// unknownCall names a call the device does not have in each declared call
// command; each must answer NOT_FOUND (or FAILED_PRECONDITION).
func (d *device) unknownCall(t *testing.T) {
	for _, method := range []string{"Answer", "Reject", "Hangup", "Hold", "Resume", "SendDTMF", "BlindTransfer", "Redirect", "Park"} {
		c, _ := sdk.CapabilityFor(method)
		if !d.has(c) {
			continue
		}
		t.Run(method, func(t *testing.T) {
			err := commands[method](d.k.ctx(t), d.k.client, d.id, "1")
			ExpectCode(t, err, codes.NotFound, codes.FailedPrecondition)
		})
	}
	_, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
	mustOK(t, "GetDeviceState after unknown calls", err)
}

func (d *device) holdRinging(t *testing.T) {
	c := d.ringIn(t)
	_, err := d.k.client.Hold(d.k.ctx(t), d.callReq(c))
	ExpectCode(t, err, codes.FailedPrecondition)
}

func (d *device) answerConnected(t *testing.T) {
	c := d.answer(t, d.ringIn(t))
	_, err := d.k.client.Answer(d.k.ctx(t), d.callReq(c))
	ExpectCode(t, err, codes.FailedPrecondition)
	if d.has(capReject) {
		_, err := d.k.client.Reject(d.k.ctx(t), d.callReq(c))
		ExpectCode(t, err, codes.FailedPrecondition)
	}
}

// unreachable takes the device off the network: a command must answer
// UNAVAILABLE and the state must say reachable=false, then the device must
// come back.
func (d *device) unreachable(t *testing.T) {
	lab := d.k.cfg.Lab
	t.Cleanup(func() {
		ctx, cancel := d.k.cleanupCtx()
		defer cancel()
		if err := lab.SetReachable(ctx, d.id, true); err != nil {
			t.Errorf("lab SetReachable(true): %v", err)
		}
	})
	command, send := d.idempotentCommand(t)
	m := d.mark(t)
	mustLab(t, "SetReachable(false)", lab.SetReachable(d.k.ctx(t), d.id, false))
	if send != nil {
		ExpectCode(t, send(d.k.ctx(t)), codes.Unavailable)
	} else {
		t.Logf("model %s declares no command the kit can send harmlessly; only the state is checked", d.model.GetModel())
	}
	d.waitReachable(t, false)
	if d.has(capDeviceEvents) {
		d.waitStatus(t, m, "reachable=false", func(s *ctiv1.DeviceStatus) bool { return !s.GetReachable() })
	}

	m = d.mark(t)
	mustLab(t, "SetReachable(true)", lab.SetReachable(d.k.ctx(t), d.id, true))
	d.waitReachable(t, true)
	if d.has(capDeviceEvents) {
		d.waitStatus(t, m, "reachable=true", func(s *ctiv1.DeviceStatus) bool { return s.GetReachable() })
	}
	if send != nil {
		mustOK(t, fmt.Sprintf("%s after the device came back", command), send(d.k.ctx(t)))
	}
}

// idempotentCommand returns a declared command that changes nothing when
// the device is fine: DND set to its current value, or clearing a forward
// that is not set. nil if the model declares neither.
func (d *device) idempotentCommand(t *testing.T) (string, func(context.Context) error) {
	switch {
	case d.has(capSetDND):
		on := d.currentDND(t)
		return fmt.Sprintf("SetDND(%v)", on), func(ctx context.Context) error {
			return ignore(d.k.client.SetDND(ctx, &ctiv1.SetDNDRequest{Device: d.id, Enabled: on}))
		}
	case d.has(capSetForward):
		return "ClearForward(no_answer)", func(ctx context.Context) error {
			return ignore(d.k.client.ClearForward(ctx, &ctiv1.ClearForwardRequest{Device: d.id, Mode: ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER}))
		}
	}
	return "", nil
}
