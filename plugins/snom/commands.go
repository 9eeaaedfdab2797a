package snom

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// The sdk guard has already checked that the device is configured, that
// its model declares the capability and that required fields are set.

// call finds a call of the device and checks its state.
func (d *Driver) call(device, callID string, allowed ...ctiv1.CallState) (*phone, *ctiv1.Call, error) {
	p, err := d.phone(device)
	if err != nil {
		return nil, nil, err
	}
	c := p.calls.Call(callID)
	if c == nil {
		return nil, nil, sdk.NotFound("call %q is not on device %q (it may have ended); list calls with GetDeviceState", callID, device)
	}
	for _, s := range allowed {
		if c.GetState() == s {
			return p, c, nil
		}
	}
	words := make([]string, len(allowed))
	for i, s := range allowed {
		words[i] = stateWord(s)
	}
	return nil, nil, sdk.FailedPrecondition("call %q on device %q is %s; this needs it %s", callID, device, stateWord(c.GetState()), strings.Join(words, " or "))
}

// cstaDo runs one CSTA request, one at a time per phone, after checking
// that the firmware has CSTA.
func (p *phone) cstaDo(op string, f func() error) (*ctiv1.CommandResponse, error) {
	p.mu.Lock()
	why := p.cstaReason
	p.mu.Unlock()
	if why != "" {
		return nil, sdk.FailedPrecondition("phone %q cannot %s: %s", p.cfg.id, op, why).WithVendor(vendor, p.cfg.id, "no csta", why)
	}
	p.csta.Lock()
	defer p.csta.Unlock()
	if err := f(); err != nil {
		return nil, p.deviceError(op, err)
	}
	return &ctiv1.CommandResponse{}, nil
}

func done(p *phone, op string, err error) (*ctiv1.CommandResponse, error) {
	if err != nil {
		return nil, p.deviceError(op, err)
	}
	return &ctiv1.CommandResponse{}, nil
}

// Dial dials with command.htm?number=; the call's id ($csta_id) arrives
// with the outgoing callback, so the answer names none.
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if req.GetLine() != 0 {
		return nil, sdk.InvalidArgument("line: a Snom phone dials from its active identity; leave line 0")
	}
	if err := p.client.Dial(ctx, req.GetDestination(), ""); err != nil {
		return nil, p.deviceError("dial", err)
	}
	return &ctiv1.DialResponse{}, nil
}

// Answer sends CSTA AnswerCall.
func (d *Driver) Answer(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), ringing)
	if err != nil {
		return nil, err
	}
	return p.cstaDo("answer", func() error { return p.client.AnswerCall(ctx, c.GetCallId()) })
}

// Reject clears a ringing call (CSTA ClearConnection).
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), ringing)
	if err != nil {
		return nil, err
	}
	return p.clear("reject", ctx, c.GetCallId())
}

// Hangup clears a call in any state (CSTA ClearConnection); on a ringing
// call that declines it, as Reject does.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), ringing, dialing, ringback, connected, held, ctiv1.CallState_CALL_STATE_UNSPECIFIED)
	if err != nil {
		return nil, err
	}
	return p.clear("hangup", ctx, c.GetCallId())
}

func (p *phone) clear(op string, ctx context.Context, id string) (*ctiv1.CommandResponse, error) {
	p.calls.MarkLocalEnd(id)
	return p.cstaDo(op, func() error { return p.client.ClearConnection(ctx, id) })
}

// Hold sends CSTA HoldCall; a held call is left alone.
func (d *Driver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), connected, held)
	if err != nil {
		return nil, err
	}
	if c.GetState() == held {
		return &ctiv1.CommandResponse{}, nil
	}
	return p.cstaDo("hold", func() error { return p.client.HoldCall(ctx, c.GetCallId()) })
}

// Resume sends CSTA RetrieveCall; a connected call is left alone.
func (d *Driver) Resume(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), connected, held)
	if err != nil {
		return nil, err
	}
	if c.GetState() == connected {
		return &ctiv1.CommandResponse{}, nil
	}
	return p.cstaDo("resume", func() error { return p.client.RetrieveCall(ctx, c.GetCallId()) })
}

// BlindTransfer sends CSTA SingleStepTransferCall.
func (d *Driver) BlindTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), connected, held)
	if err != nil {
		return nil, err
	}
	return p.cstaDo("blind transfer", func() error { return p.client.SingleStepTransferCall(ctx, c.GetCallId(), req.GetDestination()) })
}

// SendDTMF sends command.htm?key_dtmf=, which acts on the phone's active
// call: the call must be connected.
func (d *Driver) SendDTMF(ctx context.Context, req *ctiv1.SendDTMFRequest) (*ctiv1.CommandResponse, error) {
	p, _, err := d.call(req.GetDevice(), req.GetCallId(), connected)
	if err != nil {
		return nil, err
	}
	return done(p, "send dtmf", p.client.SendDTMF(ctx, req.GetDigits()))
}

// SendKeys presses keys with command.htm?key=Key,Time,Pause: press_ms is
// each key's Time, pause_ms the Pause between keys. snomapi.Client runs
// one key request per phone at a time, so sequences never interleave.
func (d *Driver) SendKeys(ctx context.Context, req *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	press := time.Duration(req.GetPressMs()) * time.Millisecond
	pause := time.Duration(req.GetPauseMs()) * time.Millisecond
	if pause > 0 && press == 0 {
		return nil, sdk.InvalidArgument("pause_ms needs press_ms: the phone's key grammar Key,Time,Pause has no pause without a press time")
	}
	events := make([]snomapi.KeyEvent, len(req.GetKeys()))
	for i, k := range req.GetKeys() {
		events[i] = snomapi.KeyEvent{Key: k, Press: press}
		if i+1 < len(events) {
			events[i].Pause = pause
		}
	}
	if err := p.model.CheckKeys(events); err != nil {
		return nil, sdk.InvalidArgument("keys: %v", err)
	}
	return done(p, "send keys", p.client.PressKeys(ctx, events))
}

// Reboot opens advanced_update.htm?reboot=Reboot. The phone's csta ids
// start again after a reboot: its calls end LOST and old ids are
// forgotten.
func (d *Driver) Reboot(ctx context.Context, req *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := p.client.Reboot(ctx); err != nil {
		return nil, p.deviceError("reboot", err)
	}
	p.restarted("the phone was rebooted")
	return &ctiv1.CommandResponse{}, nil
}

// FactoryReset opens advanced_update.htm?reset=Reset (the guard has
// refused requests without confirm). The reset wipes the action URLs: the
// driver provisions the phone again.
func (d *Driver) FactoryReset(ctx context.Context, req *ctiv1.FactoryResetRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if err := p.client.Reset(ctx); err != nil {
		return nil, p.deviceError("factory reset", err)
	}
	p.restarted("the phone was factory reset")
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return &ctiv1.CommandResponse{}, nil
}

func (p *phone) restarted(why string) {
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	now := p.now()
	for _, c := range p.calls.Calls() {
		p.emit(p.calls.End(now, c.GetCallId(), ctiv1.EndReason_END_REASON_LOST, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED, why))
	}
	p.calls.ForgetEnded()
	clear(p.track.lastSeen)
	clear(p.track.transferred)
}

// minibrowserType is the content type of a Snom minibrowser document.
const minibrowserType = "application/x-snom-minibrowser+xml"

// ShowText pushes a minibrowser document with CSTA XmlPush: the text as a
// SnomIPPhoneText, or the request's document as it is.
func (d *Driver) ShowText(ctx context.Context, req *ctiv1.ShowTextRequest) (*ctiv1.CommandResponse, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	doc := req.GetDocument()
	if doc != "" {
		ct := strings.ToLower(strings.TrimSpace(strings.Split(req.GetContentType(), ";")[0]))
		if ct != minibrowserType && ct != "" {
			return nil, sdk.InvalidArgument("content_type %q: Snom phones show %s documents only (SnomIPPhoneText, SnomIPPhoneMenu...)", req.GetContentType(), minibrowserType)
		}
	} else {
		if req.GetText() == "" {
			return nil, sdk.InvalidArgument("text or document is required")
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><SnomIPPhoneText>`)
		if req.GetTitle() != "" {
			b.WriteString("<Title>" + escape(req.GetTitle()) + "</Title>")
		}
		b.WriteString("<Text>" + escape(req.GetText()) + "</Text>")
		if s := req.GetTimeoutS(); s > 0 {
			b.WriteString(`<fetch mil="` + itoa(uint64(s)*1000) + `">snom://mb_exit</fetch>`)
		}
		b.WriteString("</SnomIPPhoneText>")
		doc = b.String()
	}
	return p.cstaDo("show text", func() error { return p.client.XmlPush(ctx, doc) })
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
