package snomsim

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one request the phone received, for tests.
type Request struct {
	Method string `json:"method"`
	// URI is the path and raw query exactly as received.
	URI string `json:"uri"`
	// Body is the request body (a form or a CSTA document), if any.
	Body string `json:"body,omitempty"`
}

// ServeHTTP answers the phone's web server and the test controls:
//
//	GET|POST /command.htm?key=K[,T[,P]][;...]   key events
//	         /command.htm?number=N[&outgoing_uri=U] remote dialling
//	         /command.htm?key_dtmf=D | RELEASE_ALL_CALLS | LOGOFFALL | LOGOFFLINE=n | REREGISTER=n
//	GET      /dummy.htm?REREGISTER=n
//	GET      /line_login.htm?PLAY_RINGER:X=+Ringer
//	GET      /advanced_update.htm?reboot=Reboot | reset=Reset
//	GET      /index.htm?dialeddel=clear | misseddel=clear | receiveddel=clear
//	POST     /csta                               CSTA over HTTP (text/xml)
//	         /sim/...                            test controls, see serveSim
//
// Everything but /sim/ needs the HTTP credentials (Options.Auth), is
// logged (Requests) and suffers the faults (SetFault). Pages answer 200
// with an HTML page; malformed commands (unknown key, identity out of
// range) answer 400 with an HTML error page. Modelled: no public source
// shows the phone redirecting after a command, and public clients read
// the answer of command.htm directly (curl, requests.get(...).status_code),
// so the simulator answers in place and never redirects.
func (p *Phone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sim/") {
		p.serveSim(w, r)
		return
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxCSTABody))
	}
	p.mu.Lock()
	if len(p.requests) >= maxRequests {
		p.requests = append(p.requests[:0], p.requests[len(p.requests)-maxRequests/2:]...)
	}
	p.requests = append(p.requests, Request{Method: r.Method, URI: r.URL.RequestURI(), Body: string(body)})
	fault := p.fault
	p.mu.Unlock()

	if fault&FaultSlow != 0 {
		t := time.NewTimer(p.opts.SlowDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if !p.auth.check(w, r, fault&FaultWrongCredentials != 0) {
		return
	}
	q := parseForm(r.URL.RawQuery)
	if r.Method == http.MethodPost && r.URL.Path != "/csta" {
		ct := r.Header.Get("Content-Type")
		if ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			for k, v := range parseForm(string(body)) {
				q[k] = append(q[k], v...)
			}
		}
	}
	switch r.URL.Path {
	case "/csta":
		p.serveCSTA(w, r, body)
	case "/command.htm":
		p.serveCommand(w, r, q)
	case "/dummy.htm":
		p.serveDummy(w, q)
	case "/line_login.htm":
		p.serveLineLogin(w, q)
	case "/advanced_update.htm":
		p.serveUpdate(w, q)
	case "/", "/index.htm":
		p.serveIndex(w, q)
	default:
		http.NotFound(w, r)
	}
}

// parseForm parses a query or form body. Unlike url.ParseQuery it splits
// on "&" only: the document's key lists are separated by raw ";"
// (key=ENTER;1), which Go's parser would reject.
func parseForm(raw string) url.Values {
	v := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			continue
		}
		v[k] = append(v[k], val)
	}
	return v
}

// writePage answers an HTML page like the phone's web interface. Modelled
// content: the simulator's pages are minimal; drivers must look at the
// status code, not at the HTML.
func (p *Phone) writePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>snom "+p.prof.Model+" - "+html.EscapeString(title)+
		"</title></head><body><h1>"+html.EscapeString(title)+"</h1><p>"+html.EscapeString(text)+"</p></body></html>\n")
}

// Requests returns every request received outside /sim/, oldest first
// (unauthorized and faulted ones included). The log keeps the last few
// thousand.
func (p *Phone) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Keys returns every key event pressed through command.htm, oldest first.
func (p *Phone) Keys() []KeyEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]KeyEvent(nil), p.keys...)
}

var _ http.Handler = (*Phone)(nil)
