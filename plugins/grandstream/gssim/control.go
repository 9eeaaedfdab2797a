package gssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Line is a snapshot of one line, for tests.
type Line struct {
	Line         int    `json:"line"`          // 1-based
	State        string `json:"state"`         // StateIdle, StateRinging...
	RemoteNumber string `json:"remote_number"` // the remote party, or the digits typed while dialing
	RemoteName   string `json:"remote_name"`   // inbound calls only
	Active       bool   `json:"active"`        // the line has the focus
}

// State is a snapshot of the phone, for tests and GET /sim/state.
type State struct {
	Model        string `json:"model"`
	Family       string `json:"family"` // "GXP" or "DP"
	DND          bool   `json:"dnd"`
	Muted        bool   `json:"muted"`
	Speaker      bool   `json:"speaker"`
	Rebooted     int    `json:"rebooted"`                // REBOOT requests served
	Resets       int    `json:"resets"`                  // RESET requests served
	LastTransfer string `json:"last_transfer,omitempty"` // target of the last blind transfer
	Fault        Fault  `json:"fault"`
	// Lines holds every handset's lines: key 0 on GXP, handset numbers
	// 1..5 on DP.
	Lines map[int][]Line `json:"lines"`
}

// ErrNotApplicable is returned by the control methods when the phone's
// state does not allow the action (no idle line, DND on, wrong line state).
var ErrNotApplicable = errors.New("gssim: not applicable in the current state")

// control returns the handset the control methods act on: the GXP phone,
// or DP handset 1.
func (p *Phone) control(d *device) *handset {
	return &d.handsets[0]
}

// RingIn makes a remote party call the phone (DP: handset 1) and returns
// the line that rings: the first idle one. It fails with ErrNotApplicable
// when DND is on (Modeled: the phone rejects the call) or no line is idle.
func (p *Phone) RingIn(number, name string) (int, error) {
	ref, err := p.ringIn(number, name)
	return ref.line, err
}

func (p *Phone) ringIn(number, name string) (callRef, error) {
	var ref callRef
	var why string
	p.update(func(d *device) bool {
		h := p.control(d)
		n := h.find(StateIdle)
		switch {
		case d.dnd:
			why = "do not disturb is on"
		case n == 0:
			why = "no idle line"
		default:
			*h.line(n) = line{state: StateRinging, number: number, name: name, call: d.newCall()}
			h.refocus()
			ref = callRef{hs: h.num, line: n, id: h.line(n).call}
			return true
		}
		return false
	})
	if why != "" {
		return callRef{}, fmt.Errorf("%w: cannot ring in: %s", ErrNotApplicable, why)
	}
	return ref, nil
}

// RemoteAnswer makes the remote party answer the outbound call on line
// (DP: handset 1); the line must be "calling". The call gets the focus.
func (p *Phone) RemoteAnswer(line int) error {
	ok := p.update(func(d *device) bool {
		h := p.control(d)
		l := h.line(line)
		return l != nil && p.answerRemote(d, callRef{hs: h.num, line: line, id: l.call})
	})
	if !ok {
		return fmt.Errorf("%w: line %d is not calling", ErrNotApplicable, line)
	}
	return nil
}

// RemoteHangup makes the remote party hang up the call on line (DP:
// handset 1): ringing, calling, connected or on hold.
func (p *Phone) RemoteHangup(line int) error {
	ok := p.update(func(d *device) bool {
		h := p.control(d)
		return endLine(h, line, StateRinging, StateCalling, StateConnected, StateOnHold)
	})
	if !ok {
		return fmt.Errorf("%w: line %d has no remote party", ErrNotApplicable, line)
	}
	return nil
}

// Lines returns a snapshot of the lines of handset hs: on GXP hs is ignored
// (pass 0), on DP it is 1..5; nil for a DP handset that does not exist.
func (p *Phone) Lines(hs int) []Line {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.handset(&p.dev, hs)
	if h == nil {
		return nil
	}
	return snapshot(h)
}

func snapshot(h *handset) []Line {
	out := make([]Line, len(h.lines))
	for i, l := range h.lines {
		out[i] = Line{Line: i + 1, State: l.state, RemoteNumber: l.number, RemoteName: l.name, Active: h.active == i+1}
	}
	return out
}

// State returns a snapshot of the whole phone.
func (p *Phone) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := State{Model: p.opts.Model, Family: p.family.String(), DND: p.dev.dnd, Muted: p.dev.muted,
		Speaker: p.dev.speaker, Rebooted: p.rebooted, Resets: p.resets, LastTransfer: p.dev.lastTransfer,
		Fault: p.fault, Lines: map[int][]Line{}}
	for i := range p.dev.handsets {
		h := &p.dev.handsets[i]
		st.Lines[h.num] = snapshot(h)
	}
	return st
}

// serveSim serves the /sim/ controls documented on ServeHTTP.
func (p *Phone) serveSim(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	action := strings.TrimPrefix(r.URL.Path, "/sim/")
	method := http.MethodPost
	if action == "state" || action == "requests" || action == "polls" {
		method = http.MethodGet
	}
	switch action {
	case "ring", "answer", "hangup", "fault", "state", "requests", "polls":
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control " + strconv.Quote(action)})
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use " + method})
		return
	}
	lineParam := func() (int, bool) {
		n, err := strconv.Atoi(q.Get("line"))
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "line must be a number >= 1"})
			return 0, false
		}
		return n, true
	}
	var err error
	switch action {
	case "state":
		writeJSON(w, http.StatusOK, p.State())
		return
	case "requests":
		writeJSON(w, http.StatusOK, p.Requests())
		return
	case "polls":
		writeJSON(w, http.StatusOK, p.Polls())
		return
	case "ring":
		var n int
		if n, err = p.RingIn(q.Get("number"), q.Get("name")); err == nil {
			writeJSON(w, http.StatusOK, map[string]int{"line": n})
			return
		}
	case "answer", "hangup":
		n, ok := lineParam()
		if !ok {
			return
		}
		if action == "answer" {
			err = p.RemoteAnswer(n)
		} else {
			err = p.RemoteHangup(n)
		}
	case "fault":
		f, perr := ParseFault(q.Get("mode"))
		if perr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": perr.Error()})
			return
		}
		p.SetFault(f)
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
