package ipoffice

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipoapi"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// maxTarget is the longest destination IP Office takes for BlindTransfer,
// Redirect, SetupTransfer and MakeCall (document, lines 3356, 3400, 3440,
// 3519).
const maxTarget = 78

// dialWait bounds how long Dial and Unpark wait for IP Office to report
// the new call, to answer with its id; past it the call still appears as
// an event.
const dialWait = 3 * time.Second

// target is where a command is sent: the device's user subscription on
// the current session, and the call's callid there.
type target struct {
	l      *link
	dev    *device
	sess   *ipoapi.Session
	subID  int32
	callID int32
	call   *ctiv1.Call
}

// user resolves a device to a user subscription that can take commands.
func (d *Driver) user(id string) (target, error) {
	l, dev, err := d.find(id)
	if err != nil {
		return target{}, err
	}
	if dev == nil {
		return target{}, sdk.Unavailable("device %q: IP Office has not reported this user; check its extension and the connection's scope", id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if dev.ent.queue {
		return target{}, sdk.FailedPrecondition("device %q is a hunt group: commands go to the user who has the call", id)
	}
	if l.sess == nil || dev.ent.subID == 0 {
		return target{}, sdk.Unavailable("device %q: the link to IP Office is down (%s); retry in a moment", id, l.detail)
	}
	return target{l: l, dev: dev, sess: l.sess, subID: dev.ent.subID}, nil
}

// onCall resolves a call of the device and checks that its
// featuresavailable allows need: IP Office ignores an action without its
// bit (document, lines 2623-2624), so the driver refuses it instead.
func (d *Driver) onCall(device, callID string, need ctiv1.Capability) (target, error) {
	t, err := d.user(device)
	if err != nil {
		return t, err
	}
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	t.call = t.dev.calls.Call(callID)
	v, known := t.dev.vendorCall(callID)
	if t.call == nil || !known {
		return t, sdk.NotFound("device %q has no call %q; list its calls with GetDeviceState", device, callID)
	}
	if v[0] != t.subID {
		return t, sdk.Unavailable("device %q: call %q is being resynchronised after a reconnect; retry in a moment", device, callID)
	}
	t.callID = v[1]
	if need != ctiv1.Capability_CAPABILITY_UNSPECIFIED && !slices.Contains(t.call.GetAvailableOperations(), need) {
		bit := callFeature[need]
		return t, sdk.FailedPrecondition("device %q: IP Office does not offer %s on call %q now (state %s; its featuresavailable lacks %v)",
			device, sdk.CapabilityName(need), callID, t.call.GetVendorState(), bit.Names()).
			WithVendor(Vendor, device, "featuresavailable", t.call.GetVendorState())
	}
	return t, nil
}

// function sends a CallFunction on the target's call.
func (t target) function(ctx context.Context, action mtcti.CallFunction_Action, arg1 string, insts ...int32) error {
	f := &mtcti.CallFunction{Action: action, Arg1: arg1}
	for _, id := range insts {
		f.Callinst = append(f.Callinst, &mtcti.CallInstance{Callid: id})
	}
	return t.send(ctx, &mtcti.UpdateCallControl{Callid: t.callID, Callfunction: f})
}

func (t target) send(ctx context.Context, cc *mtcti.UpdateCallControl) error {
	return t.sess.Command(ctx, &mtcti.SubscribeCmd{SubscribeId: t.subID, Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: cc}})
}

// callCommand runs one CallFunction for a call RPC.
func (d *Driver) callCommand(ctx context.Context, device, callID string, need ctiv1.Capability, action mtcti.CallFunction_Action, arg1 string, idempotent bool) (*ctiv1.CommandResponse, error) {
	t, err := d.onCall(device, callID, need)
	if err != nil {
		return nil, err
	}
	undo := t.handOn(action, callID)
	if err := commandError(device, t.function(ctx, action, arg1), idempotent); err != nil {
		undo()
		return nil, err
	}
	return received(), nil
}

// received is the answer to a command IP Office accepted: its RequestResponse
// means "received", not "done" (document, line 366; Drop may succeed
// without dropping, lines 3198-3201), so the outcome is pending until the
// notifies show it.
func received() *ctiv1.CommandResponse { return &ctiv1.CommandResponse{Pending: true} }

// handOn remembers, before the command is sent (IP Office's CallLost may
// come before its answer), calls the command sends elsewhere, so that
// their end reads TRANSFERRED. undo forgets them, for a command refused.
func (t target) handOn(action mtcti.CallFunction_Action, callIDs ...string) (undo func()) {
	switch action {
	case mtcti.CallFunction_BlindTransfer, mtcti.CallFunction_Redirect, mtcti.CallFunction_Park, mtcti.CallFunction_CompleteTransfer:
	default:
		return func() {}
	}
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	for _, id := range callIDs {
		t.dev.handedOn[id] = true
	}
	return func() {
		t.l.mu.Lock()
		defer t.l.mu.Unlock()
		for _, id := range callIDs {
			delete(t.dev.handedOn, id)
		}
	}
}

// Answer answers a ringing call.
func (d *Driver) Answer(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_ANSWER, mtcti.CallFunction_AnswerCall, "", false)
}

// Reject drops a ringing call: IP Office sends it on to its coverage
// (voicemail) or refuses with NOCOVERAGE (document, line 3198).
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if err := d.mustRing(req.GetDevice(), req.GetCallId(), "Reject"); err != nil {
		return nil, err
	}
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_REJECT, mtcti.CallFunction_DropCall, "", false)
}

// Hangup drops a call in any state; a ringing one is declined as Reject.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_HANGUP, mtcti.CallFunction_DropCall, "", false)
}

// Hold holds a call; ALREADYDONE (a held call) is success.
func (d *Driver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if d.inState(req.GetDevice(), req.GetCallId(), ctiv1.CallState_CALL_STATE_HELD) {
		return &ctiv1.CommandResponse{}, nil
	}
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_HOLD, mtcti.CallFunction_HoldCall, "", true)
}

// Resume takes a call off hold; ALREADYDONE (a connected call) is success.
func (d *Driver) Resume(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if d.inState(req.GetDevice(), req.GetCallId(), ctiv1.CallState_CALL_STATE_CONNECTED) {
		return &ctiv1.CommandResponse{}, nil
	}
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_RESUME, mtcti.CallFunction_UnHoldCall, "", true)
}

// BlindTransfer transfers a call. The destination may be IP Office's
// `/$type/destination` form (document, lines 2715-2726).
func (d *Driver) BlindTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_BLIND_TRANSFER, mtcti.CallFunction_BlindTransfer, req.GetDestination(), false)
}

// Redirect deflects a ringing call.
func (d *Driver) Redirect(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	if err := d.mustRing(req.GetDevice(), req.GetCallId(), "Redirect"); err != nil {
		return nil, err
	}
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_REDIRECT, mtcti.CallFunction_Redirect, req.GetDestination(), false)
}

// SendDTMF generates digits in a connected call.
func (d *Driver) SendDTMF(ctx context.Context, req *ctiv1.SendDTMFRequest) (*ctiv1.CommandResponse, error) {
	return d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_SEND_DTMF, mtcti.CallFunction_GenerateDigits, req.GetDigits(), false)
}

// ConsultTransfer sets up a transfer: IP Office holds the call (state
// ONHOLDPENDTRANSFER) and dials the destination as a new call related to
// it (document, lines 3511-3545).
func (d *Driver) ConsultTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.ConsultTransferResponse, error) {
	if _, err := d.callCommand(ctx, req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER, mtcti.CallFunction_SetupTransfer, req.GetDestination(), false); err != nil {
		return nil, err
	}
	// The consultation call cannot carry a referencecallid (line 3539):
	// find it as the call that relates to the held one.
	id := d.await(ctx, req.GetDevice(), func(c *ctiv1.Call) bool {
		return c.GetRelatedCallId() == req.GetCallId() && c.GetCallId() != req.GetCallId()
	})
	return &ctiv1.ConsultTransferResponse{ConsultCallId: id}, nil
}

// CompleteTransfer joins the held call and the consultation call.
func (d *Driver) CompleteTransfer(ctx context.Context, req *ctiv1.CallPairRequest) (*ctiv1.CommandResponse, error) {
	return d.pairCommand(ctx, req, ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER, mtcti.CallFunction_CompleteTransfer)
}

// Conference joins two calls: CompleteConf with both (document, lines
// 3582-3720).
func (d *Driver) Conference(ctx context.Context, req *ctiv1.CallPairRequest) (*ctiv1.CommandResponse, error) {
	return d.pairCommand(ctx, req, ctiv1.Capability_CAPABILITY_CONFERENCE, mtcti.CallFunction_CompleteConf)
}

func (d *Driver) pairCommand(ctx context.Context, req *ctiv1.CallPairRequest, need ctiv1.Capability, action mtcti.CallFunction_Action) (*ctiv1.CommandResponse, error) {
	t, err := d.onCall(req.GetDevice(), req.GetCallId(), need)
	if err != nil {
		return nil, err
	}
	other, err := d.onCall(req.GetDevice(), req.GetOtherCallId(), ctiv1.Capability_CAPABILITY_UNSPECIFIED)
	if err != nil {
		return nil, err
	}
	undo := t.handOn(action, req.GetCallId(), req.GetOtherCallId())
	// The call the function is sent on is the first; callinst names the
	// other one ("only 0 or 1 callinst", document, line 3631).
	if err := commandError(req.GetDevice(), t.function(ctx, action, "", other.callID), false); err != nil {
		undo()
		return nil, err
	}
	return received(), nil
}

// Park parks a call in a slot; without one, in the user's own (the
// document recommends a private slot, line 3492), named by its extension.
func (d *Driver) Park(ctx context.Context, req *ctiv1.ParkRequest) (*ctiv1.ParkResponse, error) {
	t, err := d.onCall(req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_PARK)
	if err != nil {
		return nil, err
	}
	slot := req.GetSlot()
	if slot == "" {
		slot = t.dev.ent.extn
	}
	if len(slot) > 9 { // 1 to 9 characters (document, line 3479)
		return nil, sdk.InvalidArgument("slot %q is longer than IP Office's 9 characters", slot)
	}
	undo := t.handOn(mtcti.CallFunction_Park, req.GetCallId())
	if err := commandError(req.GetDevice(), t.function(ctx, mtcti.CallFunction_Park, slot), false); err != nil {
		undo()
		return nil, err
	}
	return &ctiv1.ParkResponse{Slot: slot}, nil
}

// Dial makes a call with MakeCall, then waits briefly for IP Office to
// report it, matched by the referencecallid the driver gave it.
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	t, err := d.user(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := d.userFeature(t, ctiv1.Capability_CAPABILITY_DIAL); err != nil {
		return nil, err
	}
	if len(req.GetDestination()) > maxTarget {
		return nil, sdk.InvalidArgument("destination is longer than IP Office's %d characters", maxTarget)
	}
	mc := &mtcti.MakeCall{Target: req.GetDestination()}
	if sdk.HasDialOptions(req) {
		// AdvancedMakeCall (document, lines 2270-2330).
		mc.Advanced = &mtcti.AdvancedMakeCall{Accountcode: req.GetAccountCode(), Tag: req.GetTag(),
			Withholdcli: req.GetWithholdCallerId(), Explicitcli: req.GetCallerId()}
	}
	id, err := d.referenced(ctx, t, &mtcti.UpdateCallControl{Makecall: mc}, "make the call to "+req.GetDestination())
	if err != nil {
		return nil, err
	}
	return &ctiv1.DialResponse{CallId: id}, nil
}

// Unpark retrieves a parked call to the user: UnParkCall with a
// referencecallid, which the call it creates carries (a new callid,
// document, lines 2256-2269, 2473-2476).
func (d *Driver) Unpark(ctx context.Context, req *ctiv1.UnparkRequest) (*ctiv1.UnparkResponse, error) {
	t, err := d.user(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if len(req.GetSlot()) > 9 {
		return nil, sdk.InvalidArgument("slot %q is longer than IP Office's 9 characters", req.GetSlot())
	}
	id, err := d.referenced(ctx, t, &mtcti.UpdateCallControl{Unparkcall: &mtcti.UnParkCall{Parkid: req.GetSlot()}}, "unpark the call in slot "+req.GetSlot())
	if err != nil {
		return nil, err
	}
	return &ctiv1.UnparkResponse{CallId: id}, nil
}

// referenced sends a command that creates a call (MakeCall, UnParkCall)
// with a fresh referencecallid and waits briefly for IP Office to report
// the call, to answer with its id ("" when it is not reported in time:
// the call then appears as an event).
func (d *Driver) referenced(ctx context.Context, t target, cc *mtcti.UpdateCallControl, what string) (string, error) {
	ref := nextReference()
	cc.Referencecallid = ref
	ch := make(chan string, 1)
	t.l.mu.Lock()
	t.dev.dials[ref] = ch
	t.l.mu.Unlock()
	defer func() {
		t.l.mu.Lock()
		delete(t.dev.dials, ref)
		t.l.mu.Unlock()
	}()
	if err := commandError(t.dev.id, t.send(ctx, cc), false); err != nil {
		return "", err
	}
	wait, cancel := context.WithTimeout(ctx, dialWait)
	defer cancel()
	select {
	case id, ok := <-ch:
		if !ok {
			return "", sdk.Aborted("device %q: IP Office could not %s (it reported only the call's loss)", t.dev.id, what).
				WithVendor(Vendor, t.dev.id, "CallLost", what+" failed at once")
		}
		return id, nil
	case <-wait.Done():
		return "", nil
	}
}

// references are MakeCall's referencecallids, unique in the process.
var references atomic.Int32

func nextReference() int32 {
	for {
		if r := references.Add(1); r > 0 {
			return r
		}
		references.Store(0)
	}
}

// SetDND sets the user's do-not-disturb (UpdateUser sac).
func (d *Driver) SetDND(ctx context.Context, req *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	t, err := d.user(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := d.userFeature(t, ctiv1.Capability_CAPABILITY_SET_DND); err != nil {
		return nil, err
	}
	set := int32(0)
	if req.GetEnabled() {
		set = 1
	}
	return d.updateUser(ctx, t, &mtcti.UpdateUser{Sac: &mtcti.UpdateUserSAC{Set: set}})
}

// SetForward sets forward unconditional (UpdateUser fwdu). IP Office's
// CTI sets only that one rule; busy and no-answer forwarding are set on
// the phone or in IP Office Manager.
func (d *Driver) SetForward(ctx context.Context, req *ctiv1.SetForwardRequest) (*ctiv1.CommandResponse, error) {
	if req.GetMode() != ctiv1.ForwardMode_FORWARD_MODE_ALWAYS {
		return nil, sdk.InvalidArgument("IP Office's CTI sets only forward unconditional (mode ALWAYS); set busy and no-answer forwarding in IP Office Manager")
	}
	t, err := d.user(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := d.userFeature(t, ctiv1.Capability_CAPABILITY_SET_FORWARD); err != nil {
		return nil, err
	}
	if len(req.GetDestination()) > maxTarget {
		return nil, sdk.InvalidArgument("destination is longer than IP Office's %d characters", maxTarget)
	}
	return d.updateUser(ctx, t, &mtcti.UpdateUser{Fwdu: &mtcti.UpdateUserFwdU{Set: true, FwduNumber: req.GetDestination()}})
}

// ClearForward clears forward unconditional.
func (d *Driver) ClearForward(ctx context.Context, req *ctiv1.ClearForwardRequest) (*ctiv1.CommandResponse, error) {
	switch req.GetMode() {
	case ctiv1.ForwardMode_FORWARD_MODE_UNSPECIFIED, ctiv1.ForwardMode_FORWARD_MODE_ALWAYS:
	default:
		return nil, sdk.InvalidArgument("IP Office's CTI clears only forward unconditional (mode ALWAYS or UNSPECIFIED)")
	}
	t, err := d.user(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := d.userFeature(t, ctiv1.Capability_CAPABILITY_SET_FORWARD); err != nil {
		return nil, err
	}
	return d.updateUser(ctx, t, &mtcti.UpdateUser{Fwdu: &mtcti.UpdateUserFwdU{Set: false}})
}

func (d *Driver) updateUser(ctx context.Context, t target, u *mtcti.UpdateUser) (*ctiv1.CommandResponse, error) {
	err := t.sess.Command(ctx, &mtcti.SubscribeCmd{SubscribeId: t.subID, Payload: &mtcti.SubscribeCmd_User{User: u}})
	if err := commandError(t.dev.id, err, true); err != nil {
		return nil, err
	}
	return received(), nil
}

// userFeature refuses a command the user's featuresavailable withholds.
func (d *Driver) userFeature(t target, need ctiv1.Capability) error {
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	if slices.Contains(unavailable(t.dev.ent.user.Features()), need) {
		return sdk.FailedPrecondition("device %q: IP Office does not let this user %s (its featuresavailable lacks %v)",
			t.dev.id, sdk.CapabilityName(need), userFeature[need].Names()).WithVendor(Vendor, t.dev.id, "featuresavailable", "")
	}
	return nil
}

// inState reports whether the device's call is in state now.
func (d *Driver) inState(device, callID string, state ctiv1.CallState) bool {
	l, dev, err := d.find(device)
	if err != nil || dev == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return dev.calls.Call(callID).GetState() == state
}

// mustRing refuses method on a call that is not ringing.
func (d *Driver) mustRing(device, callID, method string) error {
	l, dev, err := d.find(device)
	if err != nil || dev == nil {
		return nil // the command reports it
	}
	l.mu.Lock()
	c := dev.calls.Call(callID)
	l.mu.Unlock()
	if c != nil && c.GetState() != ctiv1.CallState_CALL_STATE_RINGING {
		return sdk.FailedPrecondition("device %q: %s needs a ringing call; call %q is %s", device, method, callID, c.GetVendorState())
	}
	return nil
}

// await waits up to dialWait for a call of the device that match finds.
func (d *Driver) await(ctx context.Context, device string, match func(*ctiv1.Call) bool) string {
	wait, cancel := context.WithTimeout(ctx, dialWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if l, dev, err := d.find(device); err == nil && dev != nil {
			l.mu.Lock()
			calls := dev.calls.Calls()
			l.mu.Unlock()
			for _, c := range calls {
				if match(c) {
					return c.GetCallId()
				}
			}
		}
		select {
		case <-wait.Done():
			return ""
		case <-tick.C:
		}
	}
}

// SetCallData sets a call's tag (SetTag) and account code
// (SetAccountCode), each checked against its own featuresavailable bit.
// Tags are limited to 127 characters and account codes to 15 (document,
// lines 3835-3875): the SDK's guard refuses longer ones, where IP Office
// would cut a tag silently.
func (d *Driver) SetCallData(ctx context.Context, req *ctiv1.SetCallDataRequest) (*ctiv1.CommandResponse, error) {
	t, err := d.onCall(req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_SET_CALL_DATA)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		set    bool
		action mtcti.CallFunction_Action
		bit    mtcti.CallFeatures
		value  string
	}{
		{req.Tag != nil, mtcti.CallFunction_SetTag, mtcti.CallFeatureSetTag, req.GetTag()},
		{req.AccountCode != nil, mtcti.CallFunction_SetAccountCode, mtcti.CallFeatureSetAccountCode, req.GetAccountCode()},
	}
	for _, st := range steps {
		if !st.set {
			continue
		}
		if err := t.needs(st.bit); err != nil {
			return nil, err
		}
		if err := commandError(req.GetDevice(), t.function(ctx, st.action, st.value), true); err != nil {
			return nil, err
		}
	}
	return received(), nil
}

// SetRecording starts (CallRecordingOn), stops (CallRecordingOff), pauses
// or resumes (AgentRecordingControl) a call's recording.
func (d *Driver) SetRecording(ctx context.Context, req *ctiv1.SetRecordingRequest) (*ctiv1.CommandResponse, error) {
	t, err := d.onCall(req.GetDevice(), req.GetCallId(), ctiv1.Capability_CAPABILITY_SET_RECORDING)
	if err != nil {
		return nil, err
	}
	now := t.call.GetRecording()
	f := &mtcti.CallFunction{}
	var bit mtcti.CallFeatures
	switch req.GetAction() {
	case ctiv1.RecordingAction_RECORDING_ACTION_START:
		f.Action, bit = mtcti.CallFunction_CallRecordingOn, mtcti.CallFeatureCallRecordingOn
	case ctiv1.RecordingAction_RECORDING_ACTION_STOP:
		if now == ctiv1.RecordingState_RECORDING_STATE_UNSPECIFIED || now == ctiv1.RecordingState_RECORDING_STATE_OFF {
			return &ctiv1.CommandResponse{}, nil // not recorded: nothing to stop
		}
		f.Action, bit = mtcti.CallFunction_CallRecordingOff, mtcti.CallFeatureCallRecordingOff
	case ctiv1.RecordingAction_RECORDING_ACTION_PAUSE, ctiv1.RecordingAction_RECORDING_ACTION_RESUME:
		pause := req.GetAction() == ctiv1.RecordingAction_RECORDING_ACTION_PAUSE
		f.Action, bit = mtcti.CallFunction_AgentRecordingControl, mtcti.CallFeatureRecordingPauseControl
		f.Agentrecording = &mtcti.AgentRecordingControl{Pause: pause, Resume: !pause}
	}
	if err := t.needs(bit); err != nil {
		return nil, err
	}
	err = t.send(ctx, &mtcti.UpdateCallControl{Callid: t.callID, Callfunction: f})
	if err := commandError(req.GetDevice(), err, true); err != nil {
		return nil, err
	}
	return received(), nil
}

// needs refuses an action whose featuresavailable bit the call lacks.
func (t target) needs(bit mtcti.CallFeatures) error {
	t.l.mu.Lock()
	ci, ok := t.dev.features[t.call.GetCallId()]
	t.l.mu.Unlock()
	if ok && !ci.Has(bit) {
		return sdk.FailedPrecondition("device %q: IP Office does not offer %v on call %q now (state %s)",
			t.dev.id, bit.Names(), t.call.GetCallId(), t.call.GetVendorState()).WithVendor(Vendor, t.dev.id, "featuresavailable", t.call.GetVendorState())
	}
	return nil
}
