package gssim

import (
	"net/url"
	"strconv"
	"strings"
)

// intParam parses a positive integer parameter; 0 if absent or invalid.
func intParam(q url.Values, name string) int {
	n, err := strconv.Atoi(q.Get(name))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// accountStatus answers api-get_account_status in the guide's shape.
// Modeled: the base has 10 accounts, only account 1 is registered and
// active, every account uses profile 1 and handset mode "HS1"; an account
// outside 1..10 answers the guide's general failure.
func (p *Phone) accountStatus(q url.Values) string {
	n := intParam(q, "account")
	if n < 1 || n > dpAccounts {
		return answerFailed
	}
	acct := object(true, kv{"Registered", flag(n == 1)}, kv{"Profile", 1}, kv{"Active", flag(n == 1)},
		kv{"HSMode", "HS1"})
	return string(object(true, kv{"response", "success"}, kv{"Account" + strconv.Itoa(n), acct}))
}

// hsStatus answers api-get_hs_status: a paired handset is initialized and
// subscribed with status "idle", or "busy" during a call (Modeled); an
// unpaired one answers zeros and "" as in the guide's example.
func (p *Phone) hsStatus(q url.Values) string {
	n := intParam(q, "hs")
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.handset(&p.dev, n)
	if h == nil {
		return answerFailed
	}
	status := ""
	if h.paired {
		status = "idle"
		if h.busy() {
			status = "busy"
		}
	}
	hs := object(true, kv{"initialized", flag(h.paired)}, kv{"subscribed", flag(h.paired)}, kv{"status", status})
	return string(object(true, kv{"response", "success"}, kv{"HS" + strconv.Itoa(n), hs}))
}

// hsLineStatus answers api-get_hs_line_status in the guide's shape.
// Modeled after the guide's idle example: Line1 of a paired handset is
// bound to account 1 (Account 1, Registered 1) even when idle; any other
// line shows account 1 only while it has a call.
func (p *Phone) hsLineStatus(q url.Values) string {
	n := intParam(q, "hs")
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.handset(&p.dev, n)
	if h == nil {
		return answerFailed
	}
	members := make([]kv, len(h.lines))
	for i, l := range h.lines {
		bound := l.state != StateIdle || (i == 0 && h.paired)
		members[i] = kv{"Line" + strconv.Itoa(i+1), object(true, kv{"Status", l.state}, kv{"Account", flag(bound)},
			kv{"Registered", flag(bound)}, kv{"Active", flag(h.active == i+1)})}
	}
	return string(object(true, kv{"response", "success"}, kv{"HS" + strconv.Itoa(n), object(true, members...)}))
}

// pairedHandset returns DP handset hs of d if it is paired. Modeled: an
// unpaired handset refuses every command.
func (p *Phone) pairedHandset(d *device, hs int) *handset {
	h := p.handset(d, hs)
	if h == nil || !h.paired {
		return nil
	}
	return h
}

// makeCall answers api-make_call: handset hs calls phonenumber on its first
// idle line (the established call, if any, goes on hold).
func (p *Phone) makeCall(q url.Values) string {
	hs, number := intParam(q, "hs"), q.Get("phonenumber")
	ok := p.update(func(d *device) bool {
		h := p.pairedHandset(d, hs)
		return h != nil && h.dialOut(d, number)
	})
	if ok {
		return answerSpacedTrue
	}
	return answerSpacedFalse
}

// deviceOperation answers api-device_operation. Call commands act on the
// given line; mute, speaker, setdnd and unsetdnd have no line argument
// (a line, if sent, is ignored).
func (p *Phone) deviceOperation(q url.Values) string {
	hs, n, cmd := intParam(q, "hs"), intParam(q, "line"), strings.ToLower(q.Get("cmd"))
	ok := p.update(func(d *device) bool {
		h := p.pairedHandset(d, hs)
		if h == nil {
			return false
		}
		switch cmd {
		case "acceptcall":
			return answerRinging(h, n)
		case "rejectcall":
			return endLine(h, n, StateRinging)
		case "endcall":
			return endLine(h, n, StateConnected, StateOnHold)
		case "holdcall":
			return holdLine(h, n)
		case "unholdcall":
			return resumeLine(h, n)
		case "cancel":
			return endLine(h, n, StateRinging, StateCalling, StateDialing)
		case "mute":
			return toggleMute(d, h)
		case "speaker":
			d.speaker = !d.speaker
			return true
		case "setdnd":
			d.dnd = true
			return true
		case "unsetdnd":
			d.dnd = false
			return true
		}
		return false
	})
	if ok {
		return answerTrue
	}
	return answerFalse
}

// toggleMute mutes or unmutes during an established call on h ("Mute while
// on call"); Modeled: without one it does not apply.
func toggleMute(d *device, h *handset) bool {
	if h.find(StateConnected) == 0 {
		return false
	}
	d.muted = !d.muted
	return true
}
