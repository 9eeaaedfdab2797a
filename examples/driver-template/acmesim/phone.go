// Package acmesim simulates an ACME-1 phone, the way net/http/httptest
// simulates an HTTP server: Phone serves the phone's HTTP JSON API (see
// package acmeapi for the protocol) and plays the far end of its calls
// (RingIn, RemoteAnswer, RemoteHangup) and its network (SetReachable), which
// is what the conformance kit's Lab needs.
//
// It deliberately shares no code with acmeapi, so that tests of the client
// check it against an independent reading of the protocol.
package acmesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Phone is one simulated ACME-1. It is an http.Handler: serve it with
// httptest.NewServer. Safe for concurrent use.
type Phone struct {
	token string

	mu        sync.Mutex
	dnd       bool
	lines     []line // index = line number - 1
	reachable bool
}

type line struct {
	state  string
	remote string
}

// NewPhone returns an idle, reachable phone with the given number of lines
// that accepts token.
func NewPhone(token string, lines int) *Phone {
	p := &Phone{token: token, reachable: true, lines: make([]line, lines)}
	for i := range p.lines {
		p.lines[i].state = "idle"
	}
	return p
}

// ServeHTTP serves the ACME HTTP API.
func (p *Phone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reachable {
		// A phone that dropped off the network: the connection dies.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		http.Error(w, "unreachable", http.StatusServiceUnavailable)
		return
	}
	if got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); got != p.token {
		// ACME API §1: the phone quotes the token it got.
		fail(w, http.StatusUnauthorized, "bad token %q", got)
		return
	}
	if r.URL.Path == "/state" {
		if r.Method != http.MethodGet {
			fail(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		reply(w, p.state())
		return
	}
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	q := r.URL.Query()
	switch r.URL.Path {
	case "/dial":
		p.dial(w, q.Get("number"))
	case "/dnd":
		switch q.Get("on") {
		case "1":
			p.dnd = true
		case "0":
			p.dnd = false
		default:
			fail(w, http.StatusBadRequest, "on must be 1 or 0")
			return
		}
		reply(w, struct{}{})
	case "/answer", "/hangup", "/hold", "/resume":
		n, err := strconv.Atoi(q.Get("line"))
		if err != nil {
			fail(w, http.StatusBadRequest, "line must be a number")
			return
		}
		if n < 1 || n > len(p.lines) {
			fail(w, http.StatusNotFound, "no line %d", n)
			return
		}
		if err := p.lineCommand(r.URL.Path, n-1); err != nil {
			fail(w, http.StatusConflict, "%v", err)
			return
		}
		reply(w, struct{}{})
	default:
		fail(w, http.StatusNotFound, "no such command %s", r.URL.Path)
	}
}

func (p *Phone) state() any {
	type wireLine struct {
		Line   int    `json:"line"`
		State  string `json:"state"`
		Remote string `json:"remote,omitempty"`
	}
	st := struct {
		DND   bool       `json:"dnd"`
		Lines []wireLine `json:"lines"`
	}{DND: p.dnd, Lines: []wireLine{}}
	for i := range p.lines {
		st.Lines = append(st.Lines, wireLine{Line: i + 1, State: p.lines[i].state, Remote: p.lines[i].remote})
		if p.lines[i].state == "dialing" { // ACME API §5
			p.lines[i].state = "ringback"
		}
	}
	return st
}

func (p *Phone) dial(w http.ResponseWriter, number string) {
	if number == "" || strings.Trim(number, "0123456789*#") != "" {
		fail(w, http.StatusBadRequest, "number must be digits, * and #")
		return
	}
	i := p.idleLine()
	if i < 0 {
		fail(w, http.StatusConflict, "all lines busy")
		return
	}
	p.holdConnected()
	p.lines[i] = line{state: "dialing", remote: number}
	reply(w, map[string]int{"line": i + 1})
}

func (p *Phone) lineCommand(path string, i int) error {
	l := &p.lines[i]
	switch path {
	case "/answer":
		if l.state != "ringing" {
			return fmt.Errorf("line %d is %s, not ringing", i+1, l.state)
		}
		p.holdConnected()
		l.state = "connected"
	case "/hangup":
		if l.state == "idle" {
			return fmt.Errorf("line %d is idle", i+1)
		}
		*l = line{state: "idle"}
	case "/hold":
		if l.state != "connected" && l.state != "held" {
			return fmt.Errorf("line %d is %s, not connected", i+1, l.state)
		}
		l.state = "held"
	case "/resume":
		if l.state != "held" && l.state != "connected" {
			return fmt.Errorf("line %d is %s, not held", i+1, l.state)
		}
		p.holdConnected()
		l.state = "connected"
	}
	return nil
}

// holdConnected holds the connected call, as the phone does before it
// answers, dials or resumes another.
func (p *Phone) holdConnected() {
	for i := range p.lines {
		if p.lines[i].state == "connected" {
			p.lines[i].state = "held"
		}
	}
}

func (p *Phone) idleLine() int {
	for i := range p.lines {
		if p.lines[i].state == "idle" {
			return i
		}
	}
	return -1
}

// RingIn starts an inbound call from number ringing on the first idle line.
func (p *Phone) RingIn(from string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch i := p.idleLine(); {
	case !p.reachable:
		return errors.New("acmesim: phone is unreachable")
	case p.dnd:
		return errors.New("acmesim: phone is in do-not-disturb")
	case i < 0:
		return errors.New("acmesim: all lines busy")
	default:
		p.lines[i] = line{state: "ringing", remote: from}
		return nil
	}
}

// RemoteAnswer makes the far end answer the phone's outbound call.
func (p *Phone) RemoteAnswer() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.lines {
		if s := p.lines[i].state; s == "dialing" || s == "ringback" {
			p.holdConnected()
			p.lines[i].state = "connected"
			return nil
		}
	}
	return errors.New("acmesim: no outbound call is alerting")
}

// RemoteHangup makes the far end hang up the phone's first call.
func (p *Phone) RemoteHangup() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.lines {
		if p.lines[i].state != "idle" {
			p.lines[i] = line{state: "idle"}
			return nil
		}
	}
	return errors.New("acmesim: no call to hang up")
}

// SetReachable takes the phone off the network (every connection is
// dropped) or puts it back. Calls survive, as on a real phone.
func (p *Phone) SetReachable(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reachable = up
}

// DND reports whether do-not-disturb is on, for tests.
func (p *Phone) DND() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dnd
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
}
