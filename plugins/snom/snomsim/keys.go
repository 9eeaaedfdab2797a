package snomsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// KeyEvent is one KEYEVENT of command.htm: "KEYEVENT = Key[,Time[,Pause]]".
type KeyEvent struct {
	Key   string        `json:"key"`
	Time  time.Duration `json:"time"`  // how long the key is held; 0 if not given
	Pause time.Duration `json:"pause"` // pause before the next key; 0 if not given
}

// namedKeys are the key events of the document's list without numbers.
var namedKeys = map[string]bool{
	"CANCEL": true, "ENTER": true, "OFFHOOK": true, "ONHOOK": true,
	"RIGHT": true, "LEFT": true, "UP": true, "DOWN": true,
	"VOLUME_UP": true, "VOLUME_DOWN": true, "MENU": true, "MUTE": true,
	"REDIAL": true, "DND": true, "REC": true, "SPEAKER": true,
	"HEADSET": true, "TRANSFER": true, "F_HOLD": true,
	"*": true, "#": true,
}

// validKey reports whether the model knows key. Keys are case-sensitive:
// the events are known "written exactly as shown below in capital
// letters" (Snom's "Can I control my snom phone remotely").
func (p *Phone) validKey(k string) bool {
	if namedKeys[k] || len(k) == 1 && k[0] >= '0' && k[0] <= '9' {
		return true
	}
	num := func(prefix string, lo, hi int) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		s := k[len(prefix):]
		n, err := strconv.Atoi(s)
		return err == nil && strconv.Itoa(n) == s && n >= lo && n <= hi
	}
	switch {
	case num("F", 1, softKeys):
		return true
	case num("P", 1, p.prof.PKeys):
		return true
	case num("EK", 0, p.prof.ExpansionKeys-1):
		return true
	}
	return false
}

// parseKeyEvents parses key=KEYEVENT[;KEYEVENT...]. Every key must be
// known to the model, and Time and Pause must be whole milliseconds; a
// trailing ";" is tolerated. Modelled: the whole request is refused
// before any key is pressed, so a typo never half-runs a sequence.
func (p *Phone) parseKeyEvents(s string) ([]KeyEvent, error) {
	var out []KeyEvent
	parts := strings.Split(s, ";")
	for i, part := range parts {
		if part == "" && i == len(parts)-1 && i > 0 {
			break
		}
		fields := strings.Split(part, ",")
		if len(fields) > 3 {
			return nil, fmt.Errorf("key event %q has more than Key,Time,Pause", part)
		}
		ev := KeyEvent{Key: fields[0]}
		if !p.validKey(ev.Key) {
			return nil, fmt.Errorf("unknown key event %q for a %s", ev.Key, p.prof.Model)
		}
		for j, dst := range []*time.Duration{&ev.Time, &ev.Pause} {
			if len(fields) <= j+1 {
				break
			}
			ms, err := strconv.Atoi(fields[j+1])
			if err != nil || ms < 0 {
				return nil, fmt.Errorf("key event %q: %q is not milliseconds", part, fields[j+1])
			}
			*dst = time.Duration(ms) * time.Millisecond
		}
		out = append(out, ev)
	}
	return out, nil
}

// press applies one key. Keys without a call effect (navigation, MENU,
// REC, F1-F4, P keys, EK keys) change nothing. p.mu is held. Which key
// does what in which state is modelled on a Snom desk phone's usual
// behaviour; the document describes the keys and the attended transfer
// sequence, not the states.
func (p *Phone) press(k string) {
	d := &p.dev
	switch {
	case len(k) == 1 && (k[0] >= '0' && k[0] <= '9' || k == "*" || k == "#"):
		p.digit(k)
	case k == "OFFHOOK":
		p.lift(AudioHandset)
	case k == "SPEAKER", k == "HEADSET":
		// Modelled: answers or lifts like OFFHOOK; pressed again in its own
		// mode it hangs up; in another mode it moves the audio over.
		mode := strings.ToLower(k)
		switch {
		case d.first(StateRinging) != nil && d.active() == nil, d.audio == AudioOnHook:
			p.lift(mode)
		case d.audio == mode:
			p.hangUp()
		default:
			d.audio = mode
		}
	case k == "ONHOOK":
		if d.audio != AudioOnHook {
			p.hangUp()
		}
	case k == "CANCEL":
		p.cancel()
	case k == "ENTER":
		p.enter()
	case k == "F_HOLD":
		if c := d.first(StateConnected); c != nil {
			_ = p.hold(c)
		} else if c := d.last(StateHeld); c != nil && d.active() == nil {
			_ = p.retrieve(c)
		}
	case k == "TRANSFER":
		p.transferKey()
	case k == "DND":
		d.dnd = !d.dnd
	case k == "MUTE":
		if d.first(StateConnected) != nil {
			d.muted = !d.muted
		}
	case k == "REDIAL":
		if d.active() == nil && !d.dialing && d.lastDialed != "" {
			_, _ = p.dial(p.activeIdentity(), d.lastDialed)
		}
	case k == "VOLUME_UP":
		d.volume = min(d.volume+1, 15)
	case k == "VOLUME_DOWN":
		d.volume = max(d.volume-1, 0)
	}
}

// lift answers a ringing call when nothing else is active, otherwise goes
// off-hook into dial mode.
func (p *Phone) lift(mode string) {
	d := &p.dev
	if c := d.first(StateRinging); c != nil && d.active() == nil {
		_ = p.answer(c, mode)
		return
	}
	if d.audio == AudioOnHook {
		p.goOffhook(mode)
		if d.active() == nil {
			d.dialing = true
		}
		return
	}
	d.audio = mode
}

// hangUp ends the active call and goes on-hook; held and ringing calls
// stay.
func (p *Phone) hangUp() {
	d := &p.dev
	d.dialing, d.digits, d.xfer, d.xferDigits, d.holdList = false, "", 0, "", false
	if c := d.active(); c != nil {
		p.end(c, ActionDisconnected)
	}
	p.goOnhook()
}

// digit handles 0-9, * and #: a pending blind transfer takes the digit,
// an established call sends it as DTMF, otherwise it dials (starting dial
// mode from idle or with calls on hold). "#" completes a pending transfer
// or sends the number typed (modelled).
func (p *Phone) digit(k string) {
	d := &p.dev
	switch {
	case d.xfer != 0:
		if k == "#" {
			p.completeBlind()
			return
		}
		d.xferDigits += k
	case d.first(StateConnected) != nil:
		c := d.first(StateConnected)
		c.dtmf += k
	case d.dialing || d.active() == nil && d.first(StateRinging) == nil:
		if k == "#" && d.digits != "" {
			p.send()
			return
		}
		d.dialing = true
		d.digits += k
	}
}

// send places a call to the digits typed in dial mode.
func (p *Phone) send() {
	d := &p.dev
	if !d.dialing || d.digits == "" {
		return
	}
	_, _ = p.dial(p.activeIdentity(), d.digits)
}

// completeBlind finishes a pending blind transfer.
func (p *Phone) completeBlind() {
	d := &p.dev
	c := d.find(d.xfer)
	to := d.xferDigits
	d.xfer, d.xferDigits = 0, ""
	if c != nil && to != "" {
		_ = p.blindTransfer(c, to)
	}
}

// cancel closes what is in front: a pushed document, the hold list, a
// pending transfer, dial mode; else it ends the active call or rejects a
// ringing one ("CANCEL = "Cancel" key pressed, e.g. a call can be
// terminated").
func (p *Phone) cancel() {
	d := &p.dev
	switch {
	case p.pushed != nil:
		p.pushed = nil
	case d.holdList:
		d.holdList = false
	case d.xfer != 0:
		d.xfer, d.xferDigits = 0, ""
	case d.dialing:
		d.dialing, d.digits = false, ""
		p.settle()
	case d.active() != nil:
		p.end(d.active(), ActionDisconnected)
	case d.first(StateRinging) != nil:
		p.end(d.first(StateRinging), ActionDisconnected)
	}
}

// enter confirms: in the hold list it transfers the active call to the
// first held one; it completes a pending blind transfer, sends the number
// typed, or answers a ringing call (also a waiting one).
func (p *Phone) enter() {
	d := &p.dev
	switch {
	case d.holdList:
		d.holdList = false
		if a, b := d.first(StateHeld), d.active(); a != nil && b != nil {
			_ = p.attendedTransfer(a, b)
		}
	case d.xfer != 0:
		p.completeBlind()
	case d.dialing && d.digits != "":
		p.send()
	case d.first(StateRinging) != nil:
		// A waiting call too: answering holds the established one.
		_ = p.answer(d.first(StateRinging), AudioSpeaker)
	}
}

// transferKey handles TRANSFER. The document's attended transfer: F_HOLD
// holds call A, digits and ENTER call C ("B makes a call to C and
// announces transfer"), TRANSFER transfers. With "Call Join on Xfer (2
// calls)" on, the "Calls on Hold" list is shown instead and ENTER picks.
// With one established call TRANSFER starts a blind transfer: digits,
// then TRANSFER, ENTER or # complete it. With a call on hold and a number
// typed in dial mode it blind-transfers the held call (modelled).
func (p *Phone) transferKey() {
	d := &p.dev
	held, act := d.last(StateHeld), d.active()
	switch {
	case d.xfer != 0:
		p.completeBlind()
	case held != nil && act != nil:
		if p.opts.CallJoinOnXfer {
			d.holdList = true
			return
		}
		_ = p.attendedTransfer(held, act)
	case held != nil && d.dialing && d.digits != "":
		to := d.digits
		d.dialing, d.digits = false, ""
		_ = p.blindTransfer(held, to)
	case act != nil && act.state == StateConnected:
		d.xfer, d.xferDigits = act.csta, ""
	}
}
