package grandstream

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// The sdk guard has already checked, before any method here runs, that the
// device is configured, that its model declares the capability and that the
// request's required fields are well formed.

// call finds a call of the device and checks its state.
func (d *Driver) call(device, callID string, allowed ...ctiv1.CallState) (*phone, *ctiv1.Call, error) {
	p, err := d.phone(device)
	if err != nil {
		return nil, nil, err
	}
	c := p.tracker.Call(callID)
	if c == nil {
		return nil, nil, sdk.NotFound("call %q is not on device %q (it may have ended); list calls with GetDeviceState", callID, device)
	}
	for _, s := range allowed {
		if c.GetState() == s {
			return p, c, nil
		}
	}
	return nil, nil, sdk.FailedPrecondition("call %q on device %q is %s; this needs it %s", callID, device, stateWord(c.GetState()), stateWords(allowed))
}

// done finishes a command: a fresh poll follows soon so events come quickly.
func done(p *phone, op string, err error) (*ctiv1.CommandResponse, error) {
	if err != nil {
		return nil, p.deviceError(op, err)
	}
	p.requestPoll()
	return &ctiv1.CommandResponse{}, nil
}

// lineCommand sends a per-call command: api-device_operation with the
// call's line on DP, api-phone_operation on GXP, which acts on the phone's
// ringing or active call, so the call must have the phone's focus.
func (d *Driver) lineCommand(ctx context.Context, req *ctiv1.CallRequest, op, gxpCmd, dpCmd string, allowed ...ctiv1.CallState) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), allowed...)
	if err != nil {
		return nil, err
	}
	if p.family == gsapi.FamilyDP {
		return done(p, op, p.client.DeviceOperation(ctx, p.hs, int(c.GetLine()), dpCmd))
	}
	if c.GetState() != ctiv1.CallState_CALL_STATE_RINGING {
		if active := p.activeLine(); active != 0 && active != int(c.GetLine()) {
			return nil, sdk.FailedPrecondition("call %q is on line %d but line %d has the phone's focus; GXP phones act on the focused call: Resume call %q first", c.GetCallId(), c.GetLine(), active, c.GetCallId())
		}
	}
	return done(p, op, p.client.PhoneOperation(ctx, gxpCmd))
}

var (
	ringing   = ctiv1.CallState_CALL_STATE_RINGING
	dialing   = ctiv1.CallState_CALL_STATE_DIALING
	ringback  = ctiv1.CallState_CALL_STATE_RINGBACK
	connected = ctiv1.CallState_CALL_STATE_CONNECTED
	held      = ctiv1.CallState_CALL_STATE_HELD
	unmapped  = ctiv1.CallState_CALL_STATE_UNSPECIFIED
)

// Answer sends acceptcall.
func (d *Driver) Answer(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.lineCommand(ctx, req, "answer", gsapi.CmdAcceptCall, gsapi.CmdAcceptCall, ringing)
}

// Reject sends rejectcall.
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.lineCommand(ctx, req, "reject", gsapi.CmdRejectCall, gsapi.CmdRejectCall, ringing)
}

// Hangup sends endcall for an established call, cancel for one still
// being set up, and rejectcall for a ringing one: hanging up a ringing
// phone declines the call, as the proto asks of a model with REJECT.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), ringing, dialing, ringback, connected, held, unmapped)
	if err != nil {
		return nil, err
	}
	cmd := gsapi.CmdEndCall
	switch c.GetState() {
	case dialing, ringback:
		cmd = gsapi.CmdCancel
	case ringing:
		cmd = gsapi.CmdRejectCall
	}
	p.tracker.MarkLocalEnd(c.GetCallId())
	return d.lineCommand(ctx, req, "hangup", cmd, cmd, c.GetState())
}

// Hold sends holdcall; a call already held is left alone (Hold is
// idempotent).
func (d *Driver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if _, _, err := d.call(req.GetDevice(), req.GetCallId(), held); err == nil {
		return &ctiv1.CommandResponse{}, nil
	}
	return d.lineCommand(ctx, req, "hold", gsapi.CmdHoldCall, gsapi.CmdHoldCall, connected)
}

// Resume sends unholdcall on DP; on GXP, which has no unhold command, it
// presses the held call's LINEn key (see gxpCapabilities). A connected
// call is left alone (Resume is idempotent).
func (d *Driver) Resume(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if _, _, err := d.call(req.GetDevice(), req.GetCallId(), connected); err == nil {
		return &ctiv1.CommandResponse{}, nil // already connected: Resume is idempotent
	}
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), held)
	if err != nil {
		return nil, err
	}
	if p.family == gsapi.FamilyDP {
		return done(p, "resume", p.client.DeviceOperation(ctx, p.hs, int(c.GetLine()), gsapi.CmdUnholdCall))
	}
	if c.GetLine() < 1 || c.GetLine() > 8 {
		return nil, sdk.FailedPrecondition("call %q is on line %d, which has no LINE key to resume it with", c.GetCallId(), c.GetLine())
	}
	return done(p, "resume", p.client.SendKeys(ctx, 0, []string{fmt.Sprintf("LINE%d", c.GetLine())}))
}

// Dial uses api-make_call on DP; GXP phones have no make_call, so the number
// is typed on the keypad and sent with SEND (optionally after selecting a
// line with LINEn). It answers with the new call's id when the next poll
// already shows it.
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	number := req.GetDestination()
	if strings.Trim(number, "0123456789*#") != "" {
		return nil, sdk.InvalidArgument("destination %q: Grandstream phones dial keypad digits 0-9, * and # only", number)
	}
	// The guide names no outbound progress state, and on a fast network
	// the first poll after the dial can already show the call connected:
	// the call that appears on the dialled line now is this dial's.
	dial := p.tracker.ExpectDial(int(req.GetLine()), time.Now().Add(dialClaimWindow))
	if p.family == gsapi.FamilyDP {
		if req.GetLine() != 0 {
			return nil, sdk.InvalidArgument("line: DP api-make_call chooses the line itself; leave line 0")
		}
		err = p.client.MakeCall(ctx, p.hs, number)
	} else {
		// On the GXP keypad # sends the number at once (the FLASH thread:
		// "end with # for immediate reaction"), so it may only end one.
		if i := strings.IndexByte(number, '#'); i >= 0 && i != len(number)-1 {
			return nil, sdk.InvalidArgument("destination %q: on GXP phones # sends the number, so it may only stand last", number)
		}
		var keys []string
		if req.GetLine() > 0 {
			keys = append(keys, fmt.Sprintf("LINE%d", req.GetLine()))
		}
		for _, r := range number {
			keys = append(keys, string(r))
		}
		if !strings.HasSuffix(number, "#") {
			keys = append(keys, "SEND")
		}
		err = p.client.SendKeys(ctx, 0, keys)
	}
	if err != nil {
		p.tracker.ForgetDial(dial)
		return nil, p.deviceError("dial", err)
	}
	p.poll(ctx)
	return &ctiv1.DialResponse{CallId: p.tracker.DialedCall(dial)}, nil
}

// dialClaimWindow is how long after a dial a new call on the dialled line
// is taken for that dial: the poll right after the dial, or a few regular
// polls if the phone is slow to show it.
const dialClaimWindow = 5 * time.Second

// BlindTransfer (GXP) presses XFER, types the destination and presses SEND,
// the phone's blind transfer (the FLASH thread: "Blind TRN number TRN/SEND").
func (d *Driver) BlindTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), connected)
	if err != nil {
		return nil, err
	}
	if active := p.activeLine(); active != 0 && active != int(c.GetLine()) {
		return nil, sdk.FailedPrecondition("call %q does not have the phone's focus: Resume it first", c.GetCallId())
	}
	dest := req.GetDestination()
	if strings.Trim(dest, "0123456789*#") != "" {
		return nil, sdk.InvalidArgument("destination %q: Grandstream phones dial keypad digits 0-9, * and # only", dest)
	}
	if i := strings.IndexByte(dest, '#'); i >= 0 && i != len(dest)-1 {
		return nil, sdk.InvalidArgument("destination %q: on GXP phones # completes the transfer, so it may only stand last", dest)
	}
	keys := []string{"XFER"}
	for _, r := range dest {
		keys = append(keys, string(r))
	}
	if !strings.HasSuffix(dest, "#") {
		keys = append(keys, "SEND")
	}
	return done(p, "blind transfer", p.client.SendKeys(ctx, 0, keys))
}

// SendDTMF types the digits on the keypad during the connected call.
func (d *Driver) SendDTMF(ctx context.Context, req *ctiv1.SendDTMFRequest) (*ctiv1.CommandResponse, error) {
	p, _, err := d.call(req.GetDevice(), req.GetCallId(), connected)
	if err != nil {
		return nil, err
	}
	keys := strings.Split(req.GetDigits(), "")
	return done(p, "send dtmf", p.client.SendKeys(ctx, p.handset(), keys))
}

// SendKeys presses raw keys; gsapi checks them against the model's table.
func (d *Driver) SendKeys(ctx context.Context, req *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if _, err := gsapi.NormalizeKeys(p.family, req.GetKeys()); err != nil {
		return nil, sdk.InvalidArgument("keys: %v", err)
	}
	return done(p, "send keys", p.client.SendKeys(ctx, p.handset(), req.GetKeys()))
}

// SetDND (DP) sends setdnd or unsetdnd and records the state, which the DP
// does not report.
func (d *Driver) SetDND(ctx context.Context, req *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	cmd := gsapi.CmdUnsetDND
	if req.GetEnabled() {
		cmd = gsapi.CmdSetDND
	}
	if err := p.client.DeviceOperation(ctx, p.hs, 0, cmd); err != nil {
		return nil, p.deviceError("set dnd", err)
	}
	p.setDND(req.GetEnabled())
	return &ctiv1.CommandResponse{}, nil
}

// SetMute (DP) sends mute; the guide has no unmute command.
func (d *Driver) SetMute(ctx context.Context, req *ctiv1.SetMuteRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if !req.GetMuted() {
		return nil, sdk.Unimplemented("device %q: DP models can be muted but not unmuted by command; SendKeys MUTE toggles mute", p.id)
	}
	return done(p, "mute", p.client.DeviceOperation(ctx, p.hs, 0, gsapi.CmdMute))
}

// EnableSpeaker (DP) sends speaker.
func (d *Driver) EnableSpeaker(ctx context.Context, req *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	return done(p, "speaker", p.client.DeviceOperation(ctx, p.hs, 0, gsapi.CmdSpeaker))
}

// Reboot sends api-sys_operation REBOOT.
func (d *Driver) Reboot(ctx context.Context, req *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	return d.sysOperation(ctx, req.GetDevice(), "REBOOT")
}

// FactoryReset sends api-sys_operation RESET; the sdk guard has already
// refused requests without confirm=true.
func (d *Driver) FactoryReset(ctx context.Context, req *ctiv1.FactoryResetRequest) (*ctiv1.CommandResponse, error) {
	return d.sysOperation(ctx, req.GetDevice(), "RESET")
}

func (d *Driver) sysOperation(ctx context.Context, device, request string) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(device)
	if err != nil {
		return nil, err
	}
	if _, err := p.client.SysOperation(ctx, request); err != nil {
		return nil, p.deviceError(strings.ToLower(request), err)
	}
	p.logger.Info("system operation sent", "request", request)
	return &ctiv1.CommandResponse{}, nil
}

// handset is the hs= argument of api-send_key: the handset on DP, none on GXP.
func (p *phone) handset() int {
	if p.family == gsapi.FamilyDP {
		return p.hs
	}
	return 0
}

func stateWord(s ctiv1.CallState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CALL_STATE_"))
}

func stateWords(states []ctiv1.CallState) string {
	words := make([]string, len(states))
	for i, s := range states {
		words[i] = stateWord(s)
	}
	return strings.Join(words, " or ")
}
