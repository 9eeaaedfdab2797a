package gssim

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ServeHTTP answers the CTI functions under /cgi-bin/ and the test controls
// under /sim/:
//
//	POST /sim/ring?number=N&name=NAME   an inbound call; answers {"line": n}
//	POST /sim/answer?line=N             the remote answers an outbound call
//	POST /sim/hangup?line=N             the remote hangs up
//	POST /sim/fault?mode=MODE           none|wrong-passcode|slow|http500|garbage|html|drop
//	GET  /sim/state                     State as JSON
//	GET  /sim/requests                  Requests as a JSON array
//	GET  /sim/polls                     Polls as a JSON array of RFC 3339 times
//
// /sim/ never needs the passcode and ignores faults; control failures answer
// 409 (400 for bad parameters) with {"error": "..."}.
func (p *Phone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sim/") {
		p.serveSim(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/cgi-bin/") {
		http.NotFound(w, r)
		return
	}
	p.mu.Lock()
	if len(p.requests) >= maxRequests {
		p.requests = append(p.requests[:0], p.requests[len(p.requests)-maxRequests/2:]...)
	}
	p.requests = append(p.requests, r.URL.Path+"?"+r.URL.RawQuery)
	if fn := strings.TrimPrefix(r.URL.Path, "/cgi-bin/"); fn == "api-get_line_status" || fn == "api-get_hs_line_status" {
		if len(p.polls) >= maxPolls {
			p.polls = append(p.polls[:0], p.polls[len(p.polls)-maxPolls/2:]...)
		}
		p.polls = append(p.polls, time.Now())
	}
	fault := p.fault
	p.mu.Unlock()

	switch fault {
	case FaultSlow:
		t := time.NewTimer(p.opts.SlowDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	case FaultHTTP500:
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	case FaultGarbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(garbageAnswer))
		return
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(htmlAnswer))
		return
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}

	// Modeled: the guide does not say what a function of the other family
	// answers; a CGI that does not exist is a plain 404, before any
	// passcode check.
	handler := p.handlers[strings.TrimPrefix(r.URL.Path, "/cgi-bin/")]
	if handler == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // keeps what parses, like a lenient CGI
	w.Header().Set("Content-Type", "application/json")
	// Modeled: the guide is silent on a wrong or missing passcode; the
	// simulator answers 401 with an error body.
	if fault == FaultWrongPasscode ||
		subtle.ConstantTimeCompare([]byte(q.Get("passcode")), []byte(p.opts.Passcode)) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(answerUnauthorized))
		return
	}
	_, _ = w.Write([]byte(handler(q)))
}

// Requests returns every /cgi-bin/ request received, oldest first, each as
// "PATH?RAWQUERY" exactly as it arrived (faulted and unauthorized ones
// included; /sim/ controls are not recorded). The log keeps the last few
// thousand requests.
func (p *Phone) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Polls returns when the phone's line status function (api-get_line_status
// on GXP, api-get_hs_line_status on DP: what a driver polls) was requested,
// oldest first, whatever the answer; the log keeps at least the last 32. A
// benchmark reads it to see how regularly a driver polls the phone.
func (p *Phone) Polls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.polls...)
}

// SetFault sets how the phone misbehaves from now on; FaultNone restores
// normal answers.
func (p *Phone) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}
