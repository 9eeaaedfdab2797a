package gssim

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

// sendKey answers api-send_key: keys=K1:K2:... are pressed in order. Every
// key must be in the family's table (gsapi.ValidWireKey; FLASH is not, see
// grandstream-send-key-flash-thread) and must apply in turn, otherwise the
// phone answers "unknown" and does not react at all. On DP the hs
// parameter names a paired handset; GXP ignores it.
func (p *Phone) sendKey(q url.Values) string {
	raw := q.Get("keys")
	if raw == "" {
		return answerUnknown
	}
	keys := strings.Split(raw, ":")
	for i, k := range keys {
		if !gsapi.ValidWireKey(p.family, k) {
			return answerUnknown
		}
		keys[i] = strings.ToUpper(k)
	}
	hs := intParam(q, "hs")
	ok := p.update(func(d *device) bool {
		h := p.pairedHandset(d, hs)
		if h == nil {
			return false
		}
		for _, k := range keys {
			if !pressKey(d, h, k) {
				return false
			}
		}
		return true
	})
	if ok {
		return answerComplete
	}
	return answerUnknown
}

// pressKey applies one valid key. Modeled: which keys need which state.
// The guide says XFER, HOLD and CONF work "only during established call";
// SEND needs something to send, LINEn an existing line, ONHOOK a call and
// MUTE an established call. Keys without a call effect (VUP, VM, SOFTn,
// MPKn, arrows, OK, LOCK...) always succeed.
func pressKey(d *device, h *handset, key string) bool {
	switch {
	case len(key) == 1 && key[0] >= '0' && key[0] <= '9', key == "*":
		return h.digit(d, key)
	case key == "STAR":
		return h.digit(d, "*")
	case key == "#", key == "HASH":
		return h.hash(d)
	case key == "SEND":
		if h.xfer != 0 {
			return h.transfer(d)
		}
		return h.send(d, h.active)
	case strings.HasPrefix(key, "LINE"):
		n, _ := strconv.Atoi(key[len("LINE"):])
		return h.lineKey(d, n)
	case key == "HOLD":
		return holdLine(h, h.active)
	case key == "XFER":
		return h.xferKey(d)
	case key == "CONF":
		return h.find(StateConnected) != 0
	case key == "MUTE":
		return toggleMute(d, h)
	case key == "SPEAKER":
		d.speaker = !d.speaker
	case key == "DND":
		d.dnd = !d.dnd
	case key == "ONHOOK":
		return h.onhook()
	case key == "OFFHOOK":
		return h.offhook(d)
	}
	return true
}

// digit handles 0-9 and *: it extends a pending transfer target or the
// number being dialed; during a call it is DTMF (no effect here); without a
// call it starts dialing on the first idle line.
func (h *handset) digit(d *device, c string) bool {
	if h.xfer != 0 {
		h.xferDigits += c
		return true
	}
	if l := h.focused(); l != nil {
		switch l.state {
		case StateDialing:
			l.number += c
			return true
		case StateConnected, StateRinging, StateCalling:
			return true
		}
	}
	n := h.find(StateIdle)
	if n == 0 {
		return false
	}
	h.startDial(d, n, c)
	return true
}

// hash handles # (HASH on DP): it completes a pending transfer or sends the
// number being dialed ("end with # for immediate reaction", flash thread);
// otherwise it is a plain key press.
func (h *handset) hash(d *device) bool {
	if h.xfer != 0 {
		return h.transfer(d)
	}
	if l := h.focused(); l != nil && l.state == StateDialing {
		return h.send(d, h.active)
	}
	return true
}

// lineKey handles LINEn: it resumes a held call, answers a ringing one,
// opens an idle line for dialing, or just focuses the line.
func (h *handset) lineKey(d *device, n int) bool {
	l := h.line(n)
	if l == nil {
		return false
	}
	switch l.state {
	case StateOnHold:
		return resumeLine(h, n)
	case StateRinging:
		return answerRinging(h, n)
	case StateIdle:
		h.startDial(d, n, "")
		return true
	}
	h.active = n
	return true
}

// xferKey handles XFER: during an established call it starts a blind
// transfer (digits then SEND, # or XFER complete it; the flash thread's
// "TRN number TRN"). Pressed again with a target typed, it completes it.
func (h *handset) xferKey(d *device) bool {
	if h.xfer != 0 {
		return h.transfer(d)
	}
	if l := h.focused(); l == nil || l.state != StateConnected {
		return false
	}
	h.xfer, h.xferDigits = h.active, ""
	return true
}

// onhook handles ONHOOK (DP): it ends the focused call, or rejects a ringing
// one when nothing else is going on.
func (h *handset) onhook() bool {
	n := h.find(StateRinging)
	if l := h.focused(); l != nil && l.state != StateIdle {
		n = h.active
	}
	if n == 0 {
		return false
	}
	h.setIdle(n)
	return true
}

// offhook handles OFFHOOK (DP): it answers a ringing call, sends the number
// being dialed, or opens an idle line for dialing.
func (h *handset) offhook(d *device) bool {
	if n := h.pick(StateRinging); n != 0 {
		return answerRinging(h, n)
	}
	if l := h.focused(); l != nil {
		switch l.state {
		case StateDialing:
			return h.send(d, h.active)
		case StateConnected, StateCalling:
			return false
		}
	}
	n := h.find(StateIdle)
	if n == 0 {
		return false
	}
	h.startDial(d, n, "")
	return true
}

// sysOperation answers api-sys_operation. REBOOT answers "savereboot", or
// "directreboot" on DP750/DP752, RESET answers "reset"; both drop every
// call. Modeled: the phone answers at once and keeps serving (no reboot
// downtime); RESET also clears DND but keeps the passcode and account.
func (p *Phone) sysOperation(q url.Values) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch strings.ToUpper(q.Get("request")) {
	case "REBOOT":
		p.dev.dropAll()
		p.rebooted++
		if gsapi.IsDP75x(p.opts.Model) {
			return `{"response": "success", "body": "directreboot"}`
		}
		return `{"response": "success", "body": "savereboot"}`
	case "RESET":
		p.dev.dropAll()
		p.dev.dnd = false
		p.resets++
		return `{"response": "success", "body": "reset"}`
	}
	return answerUnknown
}
