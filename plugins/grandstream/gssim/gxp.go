package gssim

import (
	"net/url"
	"strings"
)

// lineStatus answers api-get_line_status in the guide's shape, every line
// with line, state, acct, remotename, the remote number key and active.
// Modeled: acct stays "" as in both guide examples, even during a call.
func (p *Phone) lineStatus(url.Values) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := &p.dev.handsets[0]
	items := make([]rawJSON, len(h.lines))
	for i, l := range h.lines {
		items[i] = object(false,
			kv{"line", i + 1}, kv{"state", l.state}, kv{"acct", ""}, kv{"remotename", l.name},
			kv{p.opts.RemoteNumberKey, l.number}, kv{"active", flag(h.active == i+1)})
	}
	return string(object(false, kv{"response", "success"}, kv{"body", array(items)}))
}

// phoneStatus answers api-get_phone_status: "busy" while any line has a
// call, "available" otherwise (Modeled: the guide does not define busy).
func (p *Phone) phoneStatus(url.Values) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := "available"
	if p.dev.handsets[0].busy() {
		status = "busy"
	}
	return string(object(false, kv{"response", "success"}, kv{"body", status}, kv{"misc", "0"}))
}

// accounts answers api-get_accounts with two accounts as in the guide's
// example: account 1 registered, account 2 empty.
func (p *Phone) accounts(url.Values) string {
	acct1 := object(false, kv{"id", 1}, kv{"sip_server", p.opts.SIPServer}, kv{"sip_id", p.opts.Account},
		kv{"name", p.opts.AccountName}, kv{"reg", 1})
	acct2 := object(false, kv{"id", 2}, kv{"sip_server", ""}, kv{"sip_id", ""}, kv{"name", ""}, kv{"reg", 0})
	return string(object(false, kv{"response", "success"}, kv{"body", array([]rawJSON{acct1, acct2})}))
}

// phoneOperation answers api-phone_operation: true if the command applied
// to the call state, false otherwise (and then nothing changes).
func (p *Phone) phoneOperation(q url.Values) string {
	cmd := strings.ToLower(q.Get("cmd"))
	ok := p.update(func(d *device) bool {
		h := &d.handsets[0]
		switch cmd {
		case "acceptcall":
			return answerRinging(h, h.pick(StateRinging))
		case "rejectcall":
			return endLine(h, h.pick(StateRinging), StateRinging)
		case "endcall":
			return endLine(h, h.active, StateConnected, StateOnHold)
		case "holdcall":
			return holdLine(h, h.active)
		case "cancel":
			return endLine(h, h.pick(StateRinging, StateCalling, StateDialing), StateRinging, StateCalling, StateDialing)
		}
		return false // unholdcall and unknown commands: not in the GXP table
	})
	if ok {
		return answerTrue
	}
	return answerFalse
}

// answerRinging answers ringing line n; the call established before goes
// on hold, as on the real phone.
func answerRinging(h *handset, n int) bool {
	l := h.line(n)
	if l == nil || l.state != StateRinging {
		return false
	}
	h.connect(n)
	return true
}

// endLine ends the call on line n if it is in one of states.
func endLine(h *handset, n int, states ...string) bool {
	l := h.line(n)
	if l == nil {
		return false
	}
	for _, s := range states {
		if l.state == s {
			h.setIdle(n)
			return true
		}
	}
	return false
}

// holdLine holds line n if it is connected.
func holdLine(h *handset, n int) bool {
	l := h.line(n)
	if l == nil || l.state != StateConnected {
		return false
	}
	l.state = StateOnHold
	return true
}

// resumeLine takes line n off hold, holding any other established call.
func resumeLine(h *handset, n int) bool {
	l := h.line(n)
	if l == nil || l.state != StateOnHold {
		return false
	}
	h.connect(n)
	return true
}
