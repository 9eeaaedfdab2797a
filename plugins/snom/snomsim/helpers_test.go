package snomsim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func newPhone(t *testing.T, opts Options) *Phone {
	t.Helper()
	if opts.Model == "" {
		opts.Model = "D385"
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// do sends method uri (path?query) with body straight to the handler and
// returns the status and body.
func do(t *testing.T, p *Phone, method, uri, body string, hdr ...string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, uri, r)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// get is do with GET and no body.
func get(t *testing.T, p *Phone, uri string) (int, string) {
	t.Helper()
	return do(t, p, http.MethodGet, uri, "")
}

// mustGet expects 200.
func mustGet(t *testing.T, p *Phone, uri string) {
	t.Helper()
	if code, body := get(t, p, uri); code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", uri, code, body)
	}
}

// keys presses key events through command.htm and expects 200.
func keys(t *testing.T, p *Phone, events string) {
	t.Helper()
	mustGet(t, p, "/command.htm?key="+events)
}

// csta posts a CSTA document to /csta.
func csta(t *testing.T, p *Phone, doc string) (int, string) {
	t.Helper()
	return do(t, p, http.MethodPost, "/csta", doc, "Content-Type", "text/xml")
}

// envelope wraps a csta: request in the document's SOAP envelope.
func envelope(inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NamespaceSOAP +
		`" xmlns:csta="` + NamespaceCSTA4 + `"><SOAP-ENV:Body>` + inner + `</SOAP-ENV:Body></SOAP-ENV:Envelope>`
}

// mustCSTA posts a csta: request in an envelope and expects 200.
func mustCSTA(t *testing.T, p *Phone, inner string) string {
	t.Helper()
	code, body := csta(t, p, envelope(inner))
	if code != http.StatusOK {
		t.Fatalf("POST /csta %s = %d %s", inner, code, body)
	}
	return body
}

// callIn rings identity 1 and returns the new call's csta id.
func callIn(t *testing.T, p *Phone, from string) string {
	t.Helper()
	c, err := p.RingIn(from, "Caller "+from)
	if err != nil {
		t.Fatal(err)
	}
	return c.CSTAID
}

// states returns "id:state" for each call, oldest first.
func states(p *Phone) []string {
	var out []string
	for _, c := range p.Calls() {
		out = append(out, c.CSTAID+":"+string(c.State))
	}
	return out
}

// wantStates checks the calls.
func wantStates(t *testing.T, p *Phone, want ...string) {
	t.Helper()
	got := states(p)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("calls = %q, want %q", got, want)
	}
}

// eventually polls cond until it holds or 5s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receiver is an action URL receiver that records request URIs in order.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string
	// block, when set, makes the handler wait until it is closed.
	block chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.got = append(rc.got, r.URL.RequestURI())
		block := rc.block
		rc.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...)
}

// waitFor waits until the receiver has n requests and returns them.
func (rc *receiver) waitFor(t *testing.T, n int) []string {
	t.Helper()
	eventually(t, "callbacks", func() bool { return len(rc.requests()) >= n })
	return rc.requests()
}

// flush waits until the phone has sent every queued callback.
func flush(t *testing.T, p *Phone) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
