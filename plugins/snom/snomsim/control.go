package snomsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Call is a snapshot of one call, for tests.
type Call struct {
	CSTAID     string    `json:"csta_id"`     // $csta_id, e.g. "-3"
	SIPCallID  string    `json:"sip_call_id"` // $call-id
	Outbound   bool      `json:"outbound"`
	Identity   int       `json:"identity"`    // 1..12
	Number     string    `json:"number"`      // remote number as dialled or presented
	Remote     string    `json:"remote"`      // $remote
	RemoteName string    `json:"remote_name"` // $display_remote
	State      CallState `json:"state"`
	DTMF       string    `json:"dtmf,omitempty"` // digits sent during the call
}

// State is a snapshot of the phone, for tests and GET /sim/state.
type State struct {
	Model    string  `json:"model"`
	Firmware string  `json:"firmware"`
	Profile  Profile `json:"profile"`
	Calls    []Call  `json:"calls"` // oldest first
	// Active is the csta id of the call talked on (connected, else the
	// newest outbound call still ringing), "" if none.
	Active   string `json:"active"`
	Audio    string `json:"audio"`    // AudioOnHook, AudioHandset...
	Dialing  bool   `json:"dialing"`  // dial mode
	Digits   string `json:"digits"`   // number typed in dial mode
	Transfer string `json:"transfer"` // target typed for a pending blind transfer ("" if none pending)
	// TransferPending reports a blind transfer waiting for its target.
	TransferPending bool        `json:"transfer_pending"`
	DND             bool        `json:"dnd"`
	Muted           bool        `json:"muted"`
	Volume          int         `json:"volume"` // 0..15
	Dialed          []string    `json:"dialed"`
	Missed          []string    `json:"missed"`
	Received        []string    `json:"received"`
	Transfers       []Transfer  `json:"transfers"`
	Reboots         int         `json:"reboots"`
	Resets          int         `json:"resets"`
	Reregistered    map[int]int `json:"reregistered"` // identity → REREGISTER count
	Ringers         []int       `json:"ringers"`      // PLAY_RINGER values played
	Fault           Fault       `json:"fault"`
}

func (p *Phone) snapshot(c *call) Call {
	return Call{CSTAID: strconv.Itoa(c.csta), SIPCallID: c.sipID, Outbound: c.out, Identity: c.ident,
		Number: c.number, Remote: c.remote, RemoteName: c.remoteName, State: c.state, DTMF: c.dtmf}
}

// Calls returns the calls, oldest first.
func (p *Phone) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Call, 0, len(p.dev.calls))
	for _, c := range p.dev.calls {
		out = append(out, p.snapshot(c))
	}
	return out
}

// State returns a snapshot of the whole phone.
func (p *Phone) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := &p.dev
	st := State{Model: p.prof.Model, Firmware: p.prof.Firmware, Profile: p.prof, Audio: d.audio,
		Dialing: d.dialing, Digits: d.digits, Transfer: d.xferDigits, TransferPending: d.xfer != 0,
		DND: d.dnd, Muted: d.muted, Volume: d.volume,
		Dialed: append([]string(nil), d.dialed...), Missed: append([]string(nil), d.missed...),
		Received: append([]string(nil), d.received...), Transfers: append([]Transfer(nil), d.transfers...),
		Reboots: p.counters.reboots, Resets: p.counters.resets, Reregistered: map[int]int{},
		Ringers: append([]int(nil), p.counters.ringers...), Fault: p.fault, Calls: []Call{}}
	for _, c := range d.calls {
		st.Calls = append(st.Calls, p.snapshot(c))
	}
	if c := d.active(); c != nil {
		st.Active = strconv.Itoa(c.csta)
	}
	for k, v := range p.counters.reregistered {
		st.Reregistered[k] = v
	}
	return st
}

// RingIn makes a remote party call identity 1 (see RingInOn).
func (p *Phone) RingIn(from, name string) (Call, error) { return p.RingInOn(1, from, name) }

// RingInOn makes the remote party from (a number, user@host or SIP URI)
// with display name name call identity ident. The call rings (call
// waiting if another call is established) and action_incoming_url fires.
// It fails with ErrNotApplicable when DND is on (modelled: the phone
// rejects the call and fires nothing), the identity is not configured or
// the phone has maxCalls calls.
func (p *Phone) RingInOn(ident int, from, name string) (Call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case strings.TrimSpace(from) == "":
		return Call{}, fmt.Errorf("%w: no caller number", ErrNotApplicable)
	case p.dev.dnd:
		return Call{}, fmt.Errorf("%w: do not disturb is on", ErrNotApplicable)
	case !p.identity(ident).configured():
		return Call{}, fmt.Errorf("%w: identity %d is not configured", ErrNotApplicable, ident)
	case len(p.dev.calls) >= maxCalls:
		return Call{}, fmt.Errorf("%w: %d calls already", ErrNotApplicable, maxCalls)
	}
	c := p.newCall(false, ident, strings.TrimSpace(from), name)
	p.emit(ActionIncoming, c)
	return p.snapshot(c), nil
}

// pick returns the call with csta id id; with id "" the newest call in
// one of states.
func (p *Phone) pick(id string, states ...CallState) (*call, error) {
	if id == "" {
		if c := p.dev.last(states...); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("%w: no call is %v", ErrNotApplicable, states)
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil, fmt.Errorf("%w: csta id %q is not a number", ErrNotApplicable, id)
	}
	c := p.dev.find(n)
	if c == nil {
		return nil, fmt.Errorf("%w: no call %s", ErrNotApplicable, id)
	}
	return c, nil
}

// RemoteAnswer makes the remote party answer outbound call cstaID (""
// means the newest outbound call still calling).
func (p *Phone) RemoteAnswer(cstaID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.pick(cstaID, StateCalling)
	if err != nil {
		return err
	}
	if !p.remoteAnswer(c) {
		return fmt.Errorf("%w: call %s is %s, not calling", ErrNotApplicable, cstaID, c.state)
	}
	return nil
}

// RemoteHangup makes the remote party of call cstaID ("" means the newest
// call) hang up. An inbound call that still rings is missed
// (action_missed_url); any other call fires action_disconnected_url.
func (p *Phone) RemoteHangup(cstaID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.pick(cstaID, StateRinging, StateCalling, StateConnected, StateHeld)
	if err != nil {
		return err
	}
	if c.state == StateRinging {
		p.end(c, ActionMissed)
	} else {
		p.end(c, ActionDisconnected)
	}
	return nil
}

// serveSim serves the test controls; they need no credentials and ignore
// faults:
//
//	POST /sim/ring?from=N&name=NAME[&identity=n]  RingInOn; answers the Call
//	POST /sim/answer?csta_id=ID                    RemoteAnswer
//	POST /sim/hangup?csta_id=ID                    RemoteHangup
//	POST /sim/fault?mode=a,b                       SetFault (none|wrong-credentials|csta500|callbacks-dropped|callbacks-unreachable|slow)
//	POST /sim/fail-csta?operation=OP               FailNextCSTA
//	GET  /sim/state | requests | callbacks | display | keys | settings
//
// Failures answer 409 (400 for bad parameters) with {"error": "..."}.
func (p *Phone) serveSim(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	action := strings.TrimPrefix(r.URL.Path, "/sim/")
	gets := map[string]func() any{
		"state":     func() any { return p.State() },
		"requests":  func() any { return p.Requests() },
		"callbacks": func() any { return p.Callbacks() },
		"display":   func() any { return p.Display() },
		"keys":      func() any { return p.Keys() },
		"settings":  func() any { return p.Settings() },
	}
	if get, ok := gets[action]; ok {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
			return
		}
		writeJSON(w, http.StatusOK, get())
		return
	}
	switch action {
	case "ring", "answer", "hangup", "fault", "fail-csta":
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control " + strconv.Quote(action)})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	var err error
	switch action {
	case "ring":
		ident := 1
		if s := q.Get("identity"); s != "" {
			var ok bool
			if ident, ok = identityParam(s); !ok {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "identity must be 1..12"})
				return
			}
		}
		var c Call
		if c, err = p.RingInOn(ident, q.Get("from"), q.Get("name")); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	case "answer":
		err = p.RemoteAnswer(q.Get("csta_id"))
	case "hangup":
		err = p.RemoteHangup(q.Get("csta_id"))
	case "fault":
		f, perr := ParseFault(q.Get("mode"))
		if perr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": perr.Error()})
			return
		}
		p.SetFault(f)
	case "fail-csta":
		op := strings.TrimSpace(q.Get("operation"))
		if op == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "operation is required"})
			return
		}
		p.FailNextCSTA(op)
	}
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
