package snomapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// seen is one request a fake phone received.
type seen struct {
	method, uri, contentType, auth string
	body                           []byte
}

// fakePhone records requests and answers with handle, or by default like a
// phone: an HTML page for web pages, the document's answers for /csta.
type fakePhone struct {
	mu     sync.Mutex
	reqs   []seen
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (f *fakePhone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
	h := f.handle
	f.mu.Unlock()
	if h != nil {
		h(w, r, body)
		return
	}
	defaultPhone(w, r, body)
}

// defaultPhone answers web pages with HTML and CSTA requests with the
// document's answer for them (namespaces filled), or an empty
// <Name>Response in the document's third form.
func defaultPhone(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.URL.Path != "/csta" {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>snom D785</body></html>")
		return
	}
	m, err := ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answer, ok := docResponses[m.Name()]
	if !ok {
		answer = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:` + m.Name() + `Response></csta:` + m.Name() + `Response> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, fillNamespaces(answer))
}

func (f *fakePhone) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fakePhone) last(t *testing.T) seen {
	t.Helper()
	r := f.requests()
	if len(r) == 0 {
		t.Fatal("no request reached the phone")
	}
	return r[len(r)-1]
}

// newTestClient starts a server for h and returns a client of it; cfg's
// BaseURL is set to the server's.
func newTestClient(t *testing.T, h http.Handler, cfg Config) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
