package gssim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

func newPhone(t *testing.T, opts Options) *Phone {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// do sends a GET for uri (a guide URL or a path?query) straight to the
// handler and returns the status and body.
func do(t *testing.T, p *Phone, uri string) (int, string) {
	t.Helper()
	u, err := url.Parse(strings.ReplaceAll(uri, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	return rec.Code, rec.Body.String()
}

// mustDo is do expecting HTTP 200 and the body want.
func mustDo(t *testing.T, p *Phone, uri, want string) {
	t.Helper()
	code, body := do(t, p, uri)
	if code != http.StatusOK || body != want {
		t.Fatalf("GET %s = %d %s, want 200 %s", uri, code, body, want)
	}
}

// serve starts p on a real listener and returns a gsapi client for it.
func serve(t *testing.T, p *Phone, passcode string, timeout time.Duration) *gsapi.Client {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c, err := gsapi.New(gsapi.Config{Host: strings.TrimPrefix(srv.URL, "http://"), Passcode: passcode, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// states returns the state of each line of handset hs, e.g. "connected",
// and the focused line.
func states(p *Phone, hs int) ([]string, int) {
	var out []string
	active := 0
	for _, l := range p.Lines(hs) {
		out = append(out, l.State)
		if l.Active {
			active = l.Line
		}
	}
	return out, active
}

// wantLine checks the state of line n of handset hs and that it has the
// focus when focused is true.
func wantLine(t *testing.T, p *Phone, hs, n int, state string, focused bool) {
	t.Helper()
	lines := p.Lines(hs)
	if n < 1 || n > len(lines) {
		t.Fatalf("no line %d", n)
	}
	if l := lines[n-1]; l.State != state || (focused && !l.Active) {
		s, a := states(p, hs)
		t.Fatalf("line %d is %q (focus on %d, all %q), want %q focused=%v", n, l.State, a, s, state, focused)
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
		time.Sleep(5 * time.Millisecond)
	}
}

var bg = context.Background()
