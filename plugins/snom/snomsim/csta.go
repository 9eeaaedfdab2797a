package snomsim

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxCSTABody bounds a /csta request body.
const maxCSTABody = 1 << 20

// cstaHandler serves one CSTA request element. p.mu is held.
type cstaHandler func(p *Phone, req *xnode) ([]field, *cstaError)

// cstaHandlers are the requests the simulator answers: the message types
// of wiki.snom.com/CSTA ("Versions starting from 7.3.4 support ...
// ClearConnection, HoldCall, RetrieveCall, SingleStepTransferCall,
// TransferCall, AnswerCall, ClearCall, MakeCall"), ConsultationCall
// (which Snom supports over uaCSTA; modelled over HTTP), the document's
// proprietary GetSettings, SetSettings, FireTest and XmlPush, and
// RequestSystemStatus and SnapshotDevice from Snom's "CSTA over HTTP -
// Requests" page. Element names inside the requests are ECMA-323's.
var cstaHandlers = map[string]cstaHandler{
	"AnswerCall":             (*Phone).cstaAnswer,
	"MakeCall":               (*Phone).cstaMakeCall,
	"ClearConnection":        cstaClear("connectionToBeCleared"),
	"ClearCall":              cstaClear("callToBeCleared"),
	"HoldCall":               (*Phone).cstaHold,
	"RetrieveCall":           (*Phone).cstaRetrieve,
	"SingleStepTransferCall": (*Phone).cstaSingleStepTransfer,
	"ConsultationCall":       (*Phone).cstaConsultation,
	"TransferCall":           (*Phone).cstaTransfer,
	"GetSettings":            (*Phone).cstaGetSettings,
	"SetSettings":            (*Phone).cstaSetSettings,
	"FireTest":               (*Phone).cstaFireTest,
	"XmlPush":                (*Phone).cstaXmlPush,
	"RequestSystemStatus":    (*Phone).cstaSystemStatus,
	"SnapshotDevice":         (*Phone).cstaSnapshot,
}

// serveCSTA answers POST /csta ("HTTP-POST to: http://<ip-of-phone>/csta.
// The content-type should be text/xml."). Modelled: any content type is
// accepted ("should"); the request may be a SOAP envelope, as in the
// document, or a bare element, as on Snom's "CSTA over HTTP - Requests"
// page, on every firmware.
func (p *Phone) serveCSTA(w http.ResponseWriter, r *http.Request, body []byte) {
	if p.prof.CSTA == CSTANone {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	name, fs, cerr := p.cstaLocked(body)
	dialect := p.prof.Dialect
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if cerr != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, renderError(dialect, cerr))
		return
	}
	_, _ = io.WriteString(w, renderSuccess(dialect, name+"Response", fs))
}

// cstaLocked parses and runs one request. p.mu is held.
func (p *Phone) cstaLocked(body []byte) (string, []field, *cstaError) {
	if p.prof.CSTA == CSTABroken {
		return "", nil, errGeneric
	}
	root, err := parseXML(body)
	if err != nil {
		return "", nil, errGeneric
	}
	req := root
	if root.name == "Envelope" {
		req = nil
		if b := root.child("Body"); b != nil && len(b.kids) > 0 {
			req = b.kids[0]
		}
	}
	if req == nil {
		return "", nil, errGeneric
	}
	if len(p.failNext) > 0 {
		op := p.failNext[0]
		p.failNext = p.failNext[1:]
		return req.name, nil, &cstaError{op}
	}
	if p.fault&FaultCSTA500 != 0 {
		return req.name, nil, errGeneric
	}
	h := cstaHandlers[req.name]
	if h == nil {
		return req.name, nil, errInvalidFeature
	}
	fs, cerr := h(p, req)
	return req.name, fs, cerr
}

// connection returns the call a ConnectionID element names. Before 8.7,
// and with csta_legacy_control on later firmware, the id is the element's
// text (<callToBeAnswered>-18</callToBeAnswered>); from 8.7.3 it is in
// <callID>, optionally with a <deviceID> (the document's AnswerCall
// examples). A ConnectionID in the other form names no call: the legacy
// parser finds only white space around <callID>, the new one finds no
// <callID>. Modelled: both answer invalidCallID, exactly as an unknown id
// does, so a driver cannot tell a wrong form from a stale id by the
// answer; it must pick the form from the firmware version.
func (p *Phone) connection(n *xnode) (*call, *cstaError) {
	if n == nil {
		return nil, errInvalidCallID
	}
	text := n.text
	if !p.prof.LegacyConnectionID {
		id := n.child("callID")
		if id == nil {
			return nil, errInvalidCallID
		}
		text = id.text
		if dev := n.child("deviceID"); dev != nil && p.deviceIdentity(dev.text) == 0 {
			return nil, errInvalidDevice
		}
	}
	id, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return nil, errInvalidCallID
	}
	c := p.dev.find(id)
	if c == nil {
		return nil, errInvalidCallID
	}
	return c, nil
}

// connectionField is a ConnectionID in a response: callID and the
// identity's SIP URI, as in the MakeCall answer of "CSTA over HTTP -
// Requests".
func (p *Phone) connectionField(name string, c *call) field {
	return field{name: name, kids: []field{
		{name: "callID", value: strconv.Itoa(c.csta)},
		{name: "deviceID", value: p.identity(c.ident).URI()},
	}}
}

func (p *Phone) cstaAnswer(req *xnode) ([]field, *cstaError) {
	c, e := p.connection(req.child("callToBeAnswered"))
	if e != nil {
		return nil, e
	}
	if p.answer(c, AudioSpeaker) != nil {
		return nil, errIncompatible
	}
	return nil, nil
}

// cstaMakeCall: "callingDevice is the user_name@pbx of a configured
// identity" (CSTA over HTTP - Requests); the answer names the new call.
func (p *Phone) cstaMakeCall(req *xnode) ([]field, *cstaError) {
	ident := p.deviceIdentity(req.value("callingDevice"))
	if ident == 0 {
		return nil, errCallingDevice
	}
	number := req.value("calledDirectoryNumber")
	if number == "" {
		return nil, errCalledDevice
	}
	c, err := p.dial(ident, strings.TrimPrefix(number, "tel:"))
	if err != nil {
		return nil, errIncompatible
	}
	return []field{p.connectionField("callingDevice", c)}, nil
}

// cstaClear ends a call in any state: rejects a ringing call, cancels an
// outbound one, hangs up an established one.
func cstaClear(elem string) cstaHandler {
	return func(p *Phone, req *xnode) ([]field, *cstaError) {
		c, e := p.connection(req.child(elem))
		if e != nil {
			return nil, e
		}
		p.end(c, ActionDisconnected)
		return nil, nil
	}
}

func (p *Phone) cstaHold(req *xnode) ([]field, *cstaError) {
	c, e := p.connection(req.child("callToBeHeld"))
	if e != nil {
		return nil, e
	}
	if p.hold(c) != nil {
		return nil, errIncompatible
	}
	return nil, nil
}

func (p *Phone) cstaRetrieve(req *xnode) ([]field, *cstaError) {
	c, e := p.connection(req.child("callToBeRetrieved"))
	if e != nil {
		return nil, e
	}
	if p.retrieve(c) != nil {
		return nil, errIncompatible
	}
	return nil, nil
}

// cstaSingleStepTransfer is the blind transfer: activeCall to
// transferredTo (ECMA-323 element names).
func (p *Phone) cstaSingleStepTransfer(req *xnode) ([]field, *cstaError) {
	c, e := p.connection(req.child("activeCall"))
	if e != nil {
		return nil, e
	}
	to := strings.TrimPrefix(req.value("transferredTo"), "tel:")
	if to == "" {
		return nil, errCalledDevice
	}
	tc := p.connectionField("transferredCall", c)
	if p.blindTransfer(c, to) != nil {
		return nil, errIncompatible
	}
	return []field{tc}, nil
}

// cstaConsultation holds existingCall and calls consultedDevice; the
// answer names the new call in initiatedCall (ECMA-323). Modelled over
// HTTP.
func (p *Phone) cstaConsultation(req *xnode) ([]field, *cstaError) {
	c, e := p.connection(req.child("existingCall"))
	if e != nil {
		return nil, e
	}
	to := strings.TrimPrefix(req.value("consultedDevice"), "tel:")
	if to == "" {
		return nil, errCalledDevice
	}
	if c.state != StateConnected || len(p.dev.calls) >= maxCalls {
		return nil, errIncompatible
	}
	if p.hold(c) != nil {
		return nil, errIncompatible
	}
	nc, err := p.dial(c.ident, to)
	if err != nil {
		return nil, errIncompatible
	}
	return []field{p.connectionField("initiatedCall", nc)}, nil
}

// cstaTransfer is the attended transfer: heldCall joined with activeCall
// (ECMA-323); the answer names the transferred (held) call.
func (p *Phone) cstaTransfer(req *xnode) ([]field, *cstaError) {
	a, e := p.connection(req.child("heldCall"))
	if e != nil {
		return nil, e
	}
	b, e := p.connection(req.child("activeCall"))
	if e != nil {
		return nil, e
	}
	tc := p.connectionField("transferredCall", a)
	if p.attendedTransfer(a, b) != nil {
		return nil, errIncompatible
	}
	return []field{tc}, nil
}

func (p *Phone) cstaSystemStatus(*xnode) ([]field, *cstaError) {
	return []field{{name: "systemStatus", value: "normal"}}, nil
}

// cstaSnapshot lists the calls of one identity, as the SnapshotDevice
// example of "CSTA over HTTP - Requests" (callID -12, alerting). States:
// ringing → alerting, calling and connected → connected (the calling
// party's connection, ECMA-269), held → hold.
func (p *Phone) cstaSnapshot(req *xnode) ([]field, *cstaError) {
	ident := p.deviceIdentity(req.value("snapshotObject"))
	if ident == 0 {
		return nil, errInvalidDevice
	}
	state := map[CallState]string{StateRinging: "alerting", StateCalling: "connected", StateConnected: "connected", StateHeld: "hold"}
	var infos []field
	for _, c := range p.dev.calls {
		if c.ident != ident {
			continue
		}
		infos = append(infos, field{name: "snapshotDeviceResponseInfo", kids: []field{
			p.connectionField("connectionIdentifier", c),
			{name: "localCallState", kids: []field{{name: "compoundCallState", kids: []field{{name: "localConnectionState", value: state[c.state]}}}}},
		}})
	}
	data := field{name: "snapshotData", kids: infos}
	if len(infos) == 0 {
		data.value = ""
	}
	return []field{{name: "crossRefIDorSnapshotData", kids: []field{data}}}, nil
}
