package snomsim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// CallState is the state of one call. The document names none (Snom's
// HTTP CSTA sends no events); these are the simulator's words, and
// SnapshotDevice maps them to CSTA connection states.
type CallState string

const (
	StateRinging   CallState = "ringing"   // inbound, not answered
	StateCalling   CallState = "calling"   // outbound, remote not answered yet
	StateConnected CallState = "connected" // established, the one being talked on
	StateHeld      CallState = "held"      // established, on hold
)

// Audio devices ("active audio mode (handset / speaker / headset)").
const (
	AudioOnHook  = "onhook"
	AudioHandset = "handset"
	AudioSpeaker = "speaker"
	AudioHeadset = "headset"
)

// maxCalls is how many calls the phone carries at once. Modelled.
const maxCalls = 8

// ErrNotApplicable is returned by the test controls when the phone's state
// does not allow the action (DND on, no such call, wrong state).
var ErrNotApplicable = errors.New("snomsim: not applicable in the current state")

// call is one call of the phone.
type call struct {
	csta       int    // $csta_id: negative inbound, positive outbound (see newCall)
	sipID      string // $call-id
	out        bool
	ident      int    // identity 1..12 the call belongs to
	number     string // remote number as dialled or presented
	remote     string // remote SIP URI ($remote)
	remoteName string // $display_remote
	state      CallState
	dtmf       string // DTMF sent during the call
}

// device is the mutable state of the phone, guarded by Phone.mu.
type device struct {
	calls      []*call // oldest first
	lastID     int     // last csta id number handed out; reset by a reboot
	audio      string  // AudioOnHook, AudioHandset...
	dialing    bool    // dial mode: digits go to a number, not to a call
	digits     string  // number typed in dial mode
	xfer       int     // csta id of a call whose blind transfer is pending; 0 none
	xferDigits string  // blind transfer target typed so far
	holdList   bool    // "Calls on Hold" list shown (Call Join on Xfer)
	dnd, muted bool
	volume     int
	lastDialed string
	dialed     []string
	missed     []string
	received   []string
	transfers  []Transfer
}

func newDevice() device { return device{audio: AudioOnHook, volume: 8} }

// find returns the call with csta id id, or nil.
func (d *device) find(id int) *call {
	for _, c := range d.calls {
		if c.csta == id {
			return c
		}
	}
	return nil
}

// first returns the oldest call in one of states, or nil.
func (d *device) first(states ...CallState) *call {
	for _, c := range d.calls {
		for _, s := range states {
			if c.state == s {
				return c
			}
		}
	}
	return nil
}

// last returns the newest call in one of states, or nil.
func (d *device) last(states ...CallState) *call {
	for i := len(d.calls) - 1; i >= 0; i-- {
		for _, s := range states {
			if d.calls[i].state == s {
				return d.calls[i]
			}
		}
	}
	return nil
}

// active returns the call the user talks on: the connected one, else the
// newest outbound call still ringing at the remote.
func (d *device) active() *call {
	if c := d.first(StateConnected); c != nil {
		return c
	}
	return d.last(StateCalling)
}

// newCall adds a call. Modelled from the public examples: every inbound
// call in them has a negative id (-18 and -2 in the document, -12 in the
// SnapshotDevice example of Snom's "CSTA over HTTP - Requests" page) and
// the one outbound call a positive one (MakeCall answers callID 2). The
// simulator counts one sequence for both and gives inbound calls its
// negative. The count starts again after a reboot, like any RAM state.
func (p *Phone) newCall(out bool, ident int, number, name string) *call {
	d := &p.dev
	d.lastID++
	id := d.lastID
	if !out {
		id = -id
	}
	c := &call{csta: id, out: out, ident: ident, number: number, remoteName: name, sipID: p.newSIPCallID(out, ident)}
	c.remote = p.remoteURI(ident, number)
	if out {
		c.state = StateCalling
	} else {
		c.state = StateRinging
	}
	d.calls = append(d.calls, c)
	return c
}

// newSIPCallID returns a random Call-ID: phone-made for outbound calls,
// PBX-made (with the identity's host) for inbound ones. Modelled.
func (p *Phone) newSIPCallID(out bool, ident int) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	if out {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b) + "@" + p.identity(ident).Host
}

// remoteURI is the SIP URI of a remote number ("5551001" →
// "sip:5551001@pbx.example.com"); a URI or user@host is kept.
func (p *Phone) remoteURI(ident int, number string) string {
	switch {
	case strings.HasPrefix(number, "sip:"):
		return number
	case strings.Contains(number, "@"):
		return "sip:" + number
	}
	return "sip:" + number + "@" + p.identity(ident).Host
}

// goOffhook lifts the phone into mode unless it is off-hook already.
// Modelled: action_offhook_url fires whenever the phone goes from on-hook
// to off-hook, whatever the reason (key, answer, dial), and
// action_onhook_url whenever it goes back.
func (p *Phone) goOffhook(mode string) {
	if p.dev.audio == AudioOnHook {
		p.dev.audio = mode
		p.emit(ActionOffhook, nil)
	}
}

// goOnhook puts the phone on-hook.
func (p *Phone) goOnhook() {
	if p.dev.audio != AudioOnHook {
		p.dev.audio = AudioOnHook
		p.emit(ActionOnhook, nil)
	}
}

// settle applies what follows from the state: mute ends with the last
// connected call, and on speaker or headset the phone goes on-hook when
// nothing is left (a lifted handset stays lifted until ONHOOK). Modelled.
func (p *Phone) settle() {
	d := &p.dev
	if d.first(StateConnected) == nil {
		d.muted = false
	}
	if len(d.calls) == 0 {
		d.holdList = false
		if !d.dialing && d.audio != AudioHandset {
			p.goOnhook()
		}
	}
}

// holdOthers holds every connected call but keep: one call is talked on
// at a time.
func (p *Phone) holdOthers(keep *call) {
	for _, c := range p.dev.calls {
		if c != keep && c.state == StateConnected {
			c.state = StateHeld
			p.emit(ActionHold, c)
		}
	}
}

// answer connects the ringing call c, lifting the phone into mode.
func (p *Phone) answer(c *call, mode string) error {
	if c.state != StateRinging {
		return fmt.Errorf("%w: call %d is %s, not ringing", ErrNotApplicable, c.csta, c.state)
	}
	p.dev.dialing, p.dev.digits = false, ""
	p.holdOthers(c)
	p.goOffhook(mode)
	c.state = StateConnected
	p.dev.received = append(p.dev.received, c.number)
	p.emit(ActionConnected, c)
	return nil
}

// dial places an outbound call from identity ident.
func (p *Phone) dial(ident int, number string) (*call, error) {
	number = strings.TrimSpace(number)
	switch {
	case number == "":
		return nil, fmt.Errorf("%w: no number to dial", ErrNotApplicable)
	case !p.identity(ident).configured():
		return nil, fmt.Errorf("%w: identity %d is not configured", ErrNotApplicable, ident)
	case len(p.dev.calls) >= maxCalls:
		return nil, fmt.Errorf("%w: %d calls already", ErrNotApplicable, maxCalls)
	}
	d := &p.dev
	d.dialing, d.digits = false, ""
	c := p.newCall(true, ident, number, "")
	p.holdOthers(c)
	p.goOffhook(AudioSpeaker)
	d.lastDialed = number
	d.dialed = append(d.dialed, number)
	p.emit(ActionOutgoing, c)
	if p.opts.AnswerAtOnce {
		p.remoteAnswer(c)
	} else {
		p.scheduleAnswer(c)
	}
	return c, nil
}

// remoteAnswer connects the outbound call c, which rings at the remote.
func (p *Phone) remoteAnswer(c *call) bool {
	if c.state != StateCalling {
		return false
	}
	p.holdOthers(c)
	c.state = StateConnected
	p.emit(ActionConnected, c)
	return true
}

// end removes call c and fires event (ActionDisconnected or ActionMissed).
func (p *Phone) end(c *call, event string) {
	d := &p.dev
	for i, x := range d.calls {
		if x == c {
			d.calls = append(d.calls[:i], d.calls[i+1:]...)
			break
		}
	}
	if d.xfer == c.csta {
		d.xfer, d.xferDigits = 0, ""
	}
	if event == ActionMissed {
		d.missed = append(d.missed, c.number)
	}
	p.emit(event, c)
	p.settle()
}

// hold puts the connected call c on hold.
func (p *Phone) hold(c *call) error {
	if c.state != StateConnected {
		return fmt.Errorf("%w: call %d is %s, not connected", ErrNotApplicable, c.csta, c.state)
	}
	c.state = StateHeld
	p.emit(ActionHold, c)
	p.settle()
	return nil
}

// retrieve takes the held call c back, holding any other connected call.
func (p *Phone) retrieve(c *call) error {
	if c.state != StateHeld {
		return fmt.Errorf("%w: call %d is %s, not held", ErrNotApplicable, c.csta, c.state)
	}
	p.holdOthers(c)
	c.state = StateConnected
	p.emit(ActionUnhold, c)
	return nil
}

// releaseAll ends every call, as RELEASE_ALL_CALLS does.
func (p *Phone) releaseAll() {
	d := &p.dev
	d.dialing, d.digits, d.xfer, d.xferDigits, d.holdList = false, "", 0, "", false
	for len(d.calls) > 0 {
		p.end(d.calls[0], ActionDisconnected)
	}
	p.settle()
}
