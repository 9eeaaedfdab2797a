package snomsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// identityParam parses an identity number 1..12 ("LOGOFFLINE=1(..12)").
func identityParam(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 1 && n <= MaxIdentities
}

// serveCommand answers command.htm (GET query or POST form; "the page
// 'command.htm' and the post value "key=KEYEVENT""). Several commands in
// one request run in this order: RELEASE_ALL_CALLS, LOGOFFALL,
// LOGOFFLINE, REREGISTER, number, key_dtmf, key. Everything is checked
// before anything runs; a malformed command answers 400 (modelled,
// stricter than a phone so that driver bugs show). A command the state
// does not allow (DTMF without a call, dialling with every line busy)
// answers 200 and does nothing, as a phone would.
func (p *Phone) serveCommand(w http.ResponseWriter, r *http.Request, q url.Values) {
	var events []KeyEvent
	if ks, ok := q["key"]; ok {
		var err error
		if events, err = p.parseKeyEvents(ks[0]); err != nil {
			p.writePage(w, http.StatusBadRequest, "Error", err.Error())
			return
		}
	}
	logoff, reregister := 0, 0
	if v, ok := q["LOGOFFLINE"]; ok {
		n, valid := identityParam(v[0])
		if !valid {
			p.writePage(w, http.StatusBadRequest, "Error", "LOGOFFLINE wants an identity 1..12")
			return
		}
		logoff = n
	}
	// The document puts REREGISTER on dummy.htm, Snom's service wiki on
	// command.htm; both are served.
	if v, ok := q["REREGISTER"]; ok {
		n, valid := identityParam(v[0])
		if !valid {
			p.writePage(w, http.StatusBadRequest, "Error", "REREGISTER wants an identity 1..12")
			return
		}
		reregister = n
	}
	p.mu.Lock()
	dialIdent := 0
	if v, ok := q["number"]; ok {
		dialIdent = p.outgoingIdentity(q.Get("outgoing_uri"))
		var why string
		switch {
		case strings.TrimSpace(v[0]) == "":
			why = "number is empty"
		case dialIdent == 0:
			why = "outgoing_uri names no identity of this phone"
		}
		if why != "" {
			p.mu.Unlock()
			p.writePage(w, http.StatusBadRequest, "Error", why)
			return
		}
	}
	if _, ok := q["RELEASE_ALL_CALLS"]; ok {
		p.releaseAll()
	}
	if _, ok := q["LOGOFFALL"]; ok {
		for n := 1; n <= MaxIdentities; n++ {
			p.logoff(n)
		}
	}
	if logoff != 0 {
		p.logoff(logoff)
	}
	if reregister != 0 && p.identity(reregister).configured() {
		p.counters.reregistered[reregister]++
	}
	if dialIdent != 0 {
		// "Remote Dialing: ...?number=NUMBER&outgoing_uri=URI". Modelled:
		// like typing the number and pressing ENTER; while another call is
		// established, that call is put on hold.
		_, _ = p.dial(dialIdent, q.Get("number"))
	}
	if v, ok := q["key_dtmf"]; ok {
		// "(only available during an active call)": ignored otherwise.
		if c := p.dev.first(StateConnected); c != nil {
			c.dtmf += v[0]
		}
	}
	if !p.opts.KeyTiming {
		for _, ev := range events {
			p.keys = append(p.keys, ev)
			p.press(ev.Key)
		}
		p.mu.Unlock()
	} else {
		p.mu.Unlock()
		if !p.pressTimed(r, events) {
			return
		}
	}
	p.writePage(w, http.StatusOK, "Command", "OK")
}

// pressTimed presses the keys holding each for its Time and waiting its
// Pause, at most maxKeyTiming in all; a cancelled request stops pressing.
func (p *Phone) pressTimed(r *http.Request, events []KeyEvent) bool {
	budget := maxKeyTiming
	for _, ev := range events {
		p.mu.Lock()
		p.keys = append(p.keys, ev)
		p.press(ev.Key)
		p.mu.Unlock()
		wait := min(ev.Time+ev.Pause, budget)
		budget -= wait
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	return true
}

// logoff logs identity n off. Modelled on Snom's "Logoff Identities ...
// will delete all account settings": user_nameN, user_realnameN and
// user_hostN are cleared; calls of the identity go on.
func (p *Phone) logoff(n int) {
	k := strconv.Itoa(n)
	p.settings["user_name"+k], p.settings["user_realname"+k], p.settings["user_host"+k] = "", "", ""
}

// serveDummy answers dummy.htm?REREGISTER=n ("Remote Reregister a
// specific identity"). Modelled: an identity that is not configured is
// ignored. swload (firmware upgrade) is not simulated.
func (p *Phone) serveDummy(w http.ResponseWriter, q url.Values) {
	if v, ok := q["REREGISTER"]; ok {
		n, valid := identityParam(v[0])
		if !valid {
			p.writePage(w, http.StatusBadRequest, "Error", "REREGISTER wants an identity 1..12")
			return
		}
		p.mu.Lock()
		if p.identity(n).configured() {
			p.counters.reregistered[n]++
		}
		p.mu.Unlock()
	}
	p.writePage(w, http.StatusOK, "Command", "OK")
}

// serveLineLogin answers line_login.htm?PLAY_RINGER:X=+Ringer ("Remote
// Ringtone Playing", X=1..9). The "+" of the value is a space once decoded.
func (p *Phone) serveLineLogin(w http.ResponseWriter, q url.Values) {
	for k := range q {
		rest, ok := strings.CutPrefix(k, "PLAY_RINGER:")
		if !ok {
			continue
		}
		x, err := strconv.Atoi(rest)
		if err != nil || x < 1 || x > 9 {
			p.writePage(w, http.StatusBadRequest, "Error", "PLAY_RINGER wants a ringer 1..9")
			return
		}
		p.mu.Lock()
		p.counters.ringers = append(p.counters.ringers, x)
		p.mu.Unlock()
	}
	p.writePage(w, http.StatusOK, "Line login", "OK")
}

// serveUpdate answers advanced_update.htm?reboot=Reboot and ?reset=Reset.
// Modelled: the phone answers, then is back at once (no downtime).
func (p *Phone) serveUpdate(w http.ResponseWriter, q url.Values) {
	p.mu.Lock()
	switch {
	case q.Get("reset") == "Reset":
		p.restart(true)
	case q.Get("reboot") == "Reboot":
		p.restart(false)
	}
	p.mu.Unlock()
	p.writePage(w, http.StatusOK, "Update", "OK")
}

// restart reboots the phone; with reset it also returns to the
// provisioned settings and clears DND and the call lists. Calls are
// dropped without action URLs (the phone goes down), the minibrowser
// closes, and the csta id count starts again. p.mu is held.
func (p *Phone) restart(reset bool) {
	for t := range p.timers {
		t.Stop()
	}
	clear(p.timers)
	old := p.dev
	p.dev = newDevice()
	p.pushed = nil
	if reset {
		p.settings = p.defaultSettings()
		p.counters.resets++
		return
	}
	p.dev.dnd, p.dev.lastDialed = old.dnd, old.lastDialed
	p.dev.dialed, p.dev.missed, p.dev.received, p.dev.transfers = old.dialed, old.missed, old.received, old.transfers
	p.counters.reboots++
}

// serveIndex answers the start page and index.htm?dialeddel=clear,
// misseddel=clear, receiveddel=clear (the document's values; an older
// Snom page uses 0, also accepted).
func (p *Phone) serveIndex(w http.ResponseWriter, q url.Values) {
	p.mu.Lock()
	clearList := func(name string, list *[]string) {
		if v := q.Get(name); v == "clear" || v == "0" {
			*list = nil
		}
	}
	clearList("dialeddel", &p.dev.dialed)
	clearList("misseddel", &p.dev.missed)
	clearList("receiveddel", &p.dev.received)
	p.mu.Unlock()
	p.writePage(w, http.StatusOK, "Status", "OK")
}
