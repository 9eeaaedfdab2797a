package snom

import (
	"context"
	"encoding/xml"
	"errors"
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
	return p.cstaDo("blind transfer", func() error {
		return p.client.SingleStepTransferCall(ctx, c.GetCallId(), p.target(req.GetDestination()))
	})
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
	clear(p.track.related)
	clear(p.track.joining)
	p.track.consultFor = ""
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

// ConsultTransfer holds the connected call and dials the destination as a
// consultation call. Firmware 8.7.4 and later do it with CSTA
// ConsultationCall, whose answer names the new call (consult_call_id).
// Earlier firmware lacks ConsultationCall, so the driver presses the keys
// of the document's attended transfer: F_HOLD (holds the call), the
// destination's digits, ENTER (dials); the consultation call is then
// known from its outgoing callback, with related_call_id set to the held
// call.
func (d *Driver) ConsultTransfer(ctx context.Context, req *ctiv1.TransferRequest) (*ctiv1.ConsultTransferResponse, error) {
	p, c, err := d.call(req.GetDevice(), req.GetCallId(), connected)
	if err != nil {
		return nil, err
	}
	dest := strings.TrimSpace(req.GetDestination())
	if dest == "" {
		return nil, sdk.InvalidArgument("destination is required")
	}
	if why := p.noCSTA(); why != "" {
		return nil, sdk.FailedPrecondition("phone %q cannot consult transfer: %s", p.cfg.id, why).WithVendor(vendor, p.cfg.id, "no csta", why)
	}
	held := c.GetCallId()
	p.expectConsult(held)
	p.csta.Lock()
	consultID, err := p.client.ConsultationCall(ctx, held, p.target(dest))
	p.csta.Unlock()
	if err == nil {
		if consultID != "" {
			p.relate(consultID, held)
		}
		return &ctiv1.ConsultTransferResponse{ConsultCallId: consultID}, nil
	}
	if !lacksCSTAOp(err) {
		p.expectConsult("")
		return nil, p.deviceError("consult transfer", err)
	}
	if err := p.consultByKeys(ctx, held, dest); err != nil {
		p.expectConsult("")
		return nil, err
	}
	return &ctiv1.ConsultTransferResponse{}, nil
}

// lacksCSTAOp reports whether err says the firmware has no such CSTA
// request: refused before sending (snomapi's firmware gate) or answered
// as unsupported by the phone. Nothing happened on the phone.
func lacksCSTAOp(err error) bool {
	var se *snomapi.Error
	if errors.As(err, &se) && se.Kind == snomapi.KindUnsupported && se.HTTPStatus == 0 {
		return true
	}
	var ce *snomapi.CSTAError
	return errors.As(err, &ce) && ce.Class() == snomapi.ClassUnsupported
}

// consultByKeys presses F_HOLD, the digits of dest and ENTER. The keys act
// on what the phone shows, so the call to hold must be the one talked on
// (the connected call) and no other call may ring: digits would not dial
// and ENTER would answer it.
func (p *phone) consultByKeys(ctx context.Context, held, dest string) error {
	for _, o := range p.calls.Calls() {
		if o.GetCallId() != held && o.GetState() == ringing {
			return sdk.FailedPrecondition("phone %q has no CSTA ConsultationCall (firmware %s; since 8.7.4), so the consultation is made with keys (F_HOLD, digits, ENTER), and call %q is ringing: ENTER would answer it; answer or reject it first", p.cfg.id, p.client.Firmware(), o.GetCallId())
		}
	}
	keys, _, err := snomapi.AttendedTransferKeys(dest)
	if err != nil {
		return sdk.InvalidArgument("destination %q: phone %q has no CSTA ConsultationCall (firmware %s; since 8.7.4), so the consultation is dialled with keys, which needs 1 to %d digits 0-9", dest, p.cfg.id, p.client.Firmware(), snomapi.MaxKeyEvents-4)
	}
	if err := p.model.CheckKeys(keys); err != nil {
		return sdk.InvalidArgument("consultation keys: %v", err)
	}
	if err := p.client.PressKeys(ctx, keys); err != nil {
		return p.deviceError("consult transfer (keys F_HOLD, digits, ENTER)", err)
	}
	return nil
}

// expectConsult makes the next new outgoing call the consultation call of
// held ("" cancels).
func (p *phone) expectConsult(held string) {
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	p.track.consultFor, p.track.consultSince = held, p.now()
}

// noCSTA is why the phone has no CSTA, "" if it has.
func (p *phone) noCSTA() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cstaReason
}

// CompleteTransfer joins the held call with the consultation call by CSTA
// TransferCall (every firmware with CSTA over HTTP) and leaves both; both
// end TRANSFERRED.
func (d *Driver) CompleteTransfer(ctx context.Context, req *ctiv1.CallPairRequest) (*ctiv1.CommandResponse, error) {
	if req.GetCallId() == req.GetOtherCallId() {
		return nil, sdk.InvalidArgument("call_id and other_call_id are the same call; name the held call and the consultation call")
	}
	p, a, err := d.call(req.GetDevice(), req.GetCallId(), held)
	if err != nil {
		return nil, err
	}
	_, b, err := d.call(req.GetDevice(), req.GetOtherCallId(), dialing, ringback, connected)
	if err != nil {
		return nil, err
	}
	hid, oid := a.GetCallId(), b.GetCallId()
	p.track.mu.Lock()
	p.track.joining[hid] = oid
	p.track.mu.Unlock()
	resp, err := p.cstaDo("complete transfer", func() error { return p.client.TransferCall(ctx, hid, oid) })
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	if err != nil {
		if p.track.joining[hid] == oid {
			delete(p.track.joining, hid)
		}
		return nil, err
	}
	for _, id := range []string{hid, oid} {
		if p.calls.Call(id) != nil {
			p.track.transferred[id] = true
		}
	}
	return resp, nil
}

// target is a CSTA device id for destination: "Snom phones always use and
// expect sip-uris as deviceIDs" (document), and a bare "1".."12" would name
// one of the phone's own identities (since 8.7.4). A number becomes
// sip:NUMBER@ the first identity's registrar; a SIP URI stays as it is.
func (p *phone) target(destination string) string {
	if strings.Contains(destination, ":") || strings.Contains(destination, "@") {
		return destination
	}
	p.mu.Lock()
	host := p.userHost
	p.mu.Unlock()
	if host == "" {
		return destination // no registrar known: the phone resolves it, as before 8.7.4
	}
	return "sip:" + destination + "@" + host
}
