package mirta

import (
	"context"
	"errors"
	"strings"

	"github.com/ctihost/ctihost/plugins/mirta/mirtaapi"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// extTarget finds an extension device's tenant and number.
func (d *Driver) extTarget(id string) (*tenant, *extDev, error) {
	t, err := d.tenantOf(id)
	if err != nil {
		return nil, nil, err
	}
	e := t.ext(id)
	if e == nil {
		return nil, nil, sdk.FailedPrecondition("device %q is a queue: agents join, leave and pause on their extension's device", id)
	}
	return t, e, nil
}

// leg finds a call's leg on an extension: the call id is the leg's
// uniqueid.
func (t *tenant) leg(e *extDev, callID string) (leg, []leg, *ctiv1.Call, error) {
	c := e.calls.Call(callID)
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.legs[callID]
	if c == nil || !ok || peerOf(l.channel, t.cfg.tenant) != e.number {
		return leg{}, nil, nil, sdk.NotFound("call %q is not on device %q (it may have ended; refresh with GetDeviceState)", callID, e.id)
	}
	var others []leg
	for _, o := range t.legs {
		if o.uniqueid != l.uniqueid && o.linkedid != "" && o.linkedid == l.linkedid {
			others = append(others, o)
		}
	}
	return l, others, c, nil
}

// Dial asks the PBX to originate: it rings the extension first (or has
// its phone answer by itself with auto_answer), then calls the
// destination. The call shows as the extension's OUTBOUND call, RINGING
// until picked up; the answer carries no call id (the next poll has it).
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	switch {
	case req.GetWithholdCallerId():
		return nil, sdk.InvalidArgument("MiRTA's DIAL cannot withhold the caller id; set caller_id to the number to present, or use a route that withholds")
	case req.GetAccountCode() != "":
		return nil, sdk.InvalidArgument("MiRTA's DIAL takes no account code; tag the call instead (tag)")
	case req.GetLine() > 1:
		return nil, sdk.InvalidArgument("an extension has one line for Dial; leave line 0 or 1")
	}
	opts := dialOptions{autoAnswer: t.cfg.autoAnswer, dialTimeout: t.cfg.dialTimeout, recording: t.cfg.recording, destCLID: req.GetCallerId()}
	if tag := req.GetTag(); tag != "" {
		// DIAL's var reaches the dial plan as TENANT-ctitag (the wiki's
		// var example); the driver also keeps it for Call.tag.
		opts.vars = append(opts.vars, "ctitag="+tag)
	}
	t.mu.Lock()
	t.originates[e.number] = &originate{dest: req.GetDestination(), tag: req.GetTag(), until: nowPlus(t.cfg.dialTimeout + 2*t.cfg.poll)}
	t.mu.Unlock()
	if _, err := t.api.dial(ctx, e.number, req.GetDestination(), opts); err != nil {
		t.mu.Lock()
		delete(t.originates, e.number)
		t.mu.Unlock()
		return nil, commandError(t.cfg.label, e.id, err, false)
	}
	t.poke()
	return &ctiv1.DialResponse{}, nil
}

// Hangup hangs up the extension's leg of the call.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.drop(ctx, req, false)
}

// Reject hangs up a ringing leg: the PBX goes on with the call as its
// dial plan says (voicemail, the next queue member).
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return d.drop(ctx, req, true)
}

func (d *Driver) drop(ctx context.Context, req *ctiv1.CallRequest, ringing bool) (*ctiv1.CommandResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	l, _, c, err := t.leg(e, req.GetCallId())
	if err != nil {
		return nil, err
	}
	if ringing && c.GetState() != ctiv1.CallState_CALL_STATE_RINGING {
		return nil, sdk.FailedPrecondition("call %q is %s, not ringing: use Hangup", req.GetCallId(), strings.ToLower(strings.TrimPrefix(c.GetState().String(), "CALL_STATE_")))
	}
	e.calls.MarkLocalEnd(req.GetCallId())
	if err := t.api.hangup(ctx, l.channel); err != nil {
		return nil, commandError(t.cfg.label, e.id, err, true)
	}
	t.poke()
	return &ctiv1.CommandResponse{Pending: true}, nil
}

// BlindTransfer sends the far party of a connected call to destination
// (TRANSFER of the far party's channel); the extension's leg ends.
func (d *Driver) BlindTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	return d.transfer(ctx, req, false)
}

// Redirect sends a ringing call's caller to destination instead.
func (d *Driver) Redirect(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	return d.transfer(ctx, req, true)
}

func (d *Driver) transfer(ctx context.Context, req *ctiv1.TransferRequest, ringing bool) (*ctiv1.CommandResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	_, others, c, err := t.leg(e, req.GetCallId())
	if err != nil {
		return nil, err
	}
	state := c.GetState()
	switch {
	case ringing && state != ctiv1.CallState_CALL_STATE_RINGING:
		return nil, sdk.FailedPrecondition("call %q is not ringing: use BlindTransfer for a connected call", req.GetCallId())
	case !ringing && state != ctiv1.CallState_CALL_STATE_CONNECTED:
		return nil, sdk.FailedPrecondition("call %q is not connected: use Redirect for a ringing call", req.GetCallId())
	case len(others) != 1:
		return nil, sdk.FailedPrecondition("call %q has %d other parties on the PBX; TRANSFER moves exactly one", req.GetCallId(), len(others))
	}
	if err := t.api.transfer(ctx, others[0].channel, req.GetDestination()); err != nil {
		return nil, commandError(t.cfg.label, e.id, err, false)
	}
	t.poke()
	return &ctiv1.CommandResponse{Pending: true}, nil
}

// SetDND sets the extension's DND (DND set) and reports it at once.
func (d *Driver) SetDND(ctx context.Context, req *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := t.api.dndSet(ctx, e.number, req.GetEnabled()); err != nil {
		return nil, commandError(t.cfg.label, e.id, err, true)
	}
	t.setDND(e.number, req.GetEnabled())
	return &ctiv1.CommandResponse{}, nil
}

// Reboot asks the PBX to reboot the phone registered to the extension.
func (d *Driver) Reboot(ctx context.Context, req *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := t.api.reboot(ctx, e.number); err != nil {
		return nil, commandError(t.cfg.label, e.id, err, false)
	}
	return &ctiv1.CommandResponse{Pending: true}, nil
}

// queueID resolves QueueRequest.queue: a queue id ("281"), its device's
// name without the site ("q281") or the queue's name.
func (t *tenant) queueID(name string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if q := t.queues[name]; q != nil {
		return q.qid, nil
	}
	if q := t.queues[strings.TrimPrefix(name, "q")]; q != nil && strings.HasPrefix(name, "q") {
		return q.qid, nil
	}
	for _, q := range t.queues {
		if strings.EqualFold(q.name, name) || q.id == name {
			return q.qid, nil
		}
	}
	return "", sdk.NotFound("queue %q: the tenant has no such queue (give its id as INFO queues lists it, like 281, or its name)", name)
}

// JoinQueue adds the extension to a queue (QUEUE add). Joining a queue
// the agent is in is no error: JoinQueue is idempotent.
func (d *Driver) JoinQueue(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.queueCommand(ctx, req, func(t *tenant, qid, ext string) error {
		if t.isMember(ext, qid) {
			return nil
		}
		return alreadyDone(t.api.queueAdd(ctx, qid, ext), "already")
	}, "")
}

// LeaveQueue removes the extension from a queue (QUEUE del); leaving a
// queue the agent is not in is no error.
func (d *Driver) LeaveQueue(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.queueCommand(ctx, req, func(t *tenant, qid, ext string) error {
		return alreadyDone(t.api.queueDel(ctx, qid, ext), "not found")
	}, "")
}

// alreadyDone treats the PBX's refusal that says the state is already the
// wanted one (its message holds says) as success, for idempotent
// commands. Modelled: proxyapi's texts for these cases are not public;
// the simulator answers "Error|Agent already in queue|" and
// "Error|Agent not found|".
func alreadyDone(err error, says string) error {
	var ae *mirtaapi.APIError
	if errors.As(err, &ae) && (ae.Kind == mirtaapi.KindBadRequest || ae.Kind == mirtaapi.KindNotFound) &&
		strings.Contains(strings.ToLower(ae.Message), says) {
		return nil
	}
	return err
}

// isMember says whether the last poll saw ext in queue qid.
func (t *tenant) isMember(ext, qid string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.exts[ext]
	return d != nil && d.memberships[qid] != nil
}

// PauseAgent pauses the agent in one queue, or in all (AGENT pause with
// queue ALL) when queue is empty.
func (d *Driver) PauseAgent(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.queueCommand(ctx, req, func(t *tenant, qid, ext string) error {
		return t.api.agentPause(ctx, qid, ext, req.GetReason(), true)
	}, "ALL")
}

// UnpauseAgent unpauses the agent.
func (d *Driver) UnpauseAgent(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.queueCommand(ctx, req, func(t *tenant, qid, ext string) error {
		return t.api.agentPause(ctx, qid, ext, "", false)
	}, "ALL")
}

// queueCommand resolves the queue and runs do; all is the queue id that
// stands for every queue when req.queue is empty ("" = required).
func (d *Driver) queueCommand(ctx context.Context, req *ctiv1.QueueRequest, do func(t *tenant, qid, ext string) error, all string) (*ctiv1.CommandResponse, error) {
	t, e, err := d.extTarget(req.GetDevice())
	if err != nil {
		return nil, err
	}
	qid := all
	if req.GetQueue() != "" || all == "" {
		if qid, err = t.queueID(req.GetQueue()); err != nil {
			return nil, err
		}
	}
	if err := do(t, qid, e.number); err != nil {
		return nil, commandError(t.cfg.label, e.id, err, true)
	}
	t.poke()
	return &ctiv1.CommandResponse{Pending: true}, nil
}

// LookupContact searches the tenant's phonebooks.
func (d *Driver) LookupContact(ctx context.Context, req *ctiv1.LookupContactRequest) (*ctiv1.LookupContactResponse, error) {
	t, err := d.tenantOf(req.GetDevice())
	if err != nil {
		return nil, err
	}
	var found []*ctiv1.Contact
	if req.GetNumber() != "" {
		found, err = t.lookupNumber(ctx, req.GetNumber(), int(req.GetLimit()))
	} else {
		found, err = t.lookupName(ctx, req.GetQuery(), int(req.GetLimit()))
	}
	if err != nil {
		return nil, commandError(t.cfg.label, req.GetDevice(), err, true)
	}
	return &ctiv1.LookupContactResponse{Contacts: found}, nil
}
