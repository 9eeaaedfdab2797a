package console

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ctihost/ctihost/host/auth"
)

const adminToken, viewerToken = "admin-token-0123456789", "viewer-token-0123456789"

func newServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	clients := auth.NewClients([]*auth.Client{
		{Name: "local", TokenSHA256: auth.HashToken(adminToken), HasToken: true, Sites: []string{"*"}, Scopes: []auth.Scope{auth.ScopeEvents, auth.ScopeCalls, auth.ScopeAdmin}},
		{Name: "viewer", TokenSHA256: auth.HashToken(viewerToken), HasToken: true, Sites: []string{"hq"}, Scopes: []auth.Scope{auth.ScopeEvents}},
	})
	s := New(func() *auth.Clients { return clients })
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(s.Handler(api))
	t.Cleanup(srv.Close)
	return s, srv
}

func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func call(t *testing.T, c *http.Client, method, url, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestALoginCodeOpensOneSessionOnce(t *testing.T) {
	s, srv := newServer(t)
	code := s.LoginCode(adminToken)
	b := browser(t)
	if st, _, _ := call(t, b, "GET", srv.URL+"/console/whoami", ""); st != http.StatusUnauthorized {
		t.Fatalf("whoami before login: %d", st)
	}
	st, _, h := call(t, b, "POST", srv.URL+"/console/login", `{"code":"`+code+`"}`)
	if st != http.StatusNoContent {
		t.Fatalf("login with the code: %d", st)
	}
	if c := h.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Errorf("session cookie %q lacks HttpOnly or SameSite=Strict", c)
	}
	if st, body, _ := call(t, b, "GET", srv.URL+"/console/whoami", ""); st != 200 || !strings.Contains(body, `"client":"local"`) || !strings.Contains(body, `"admin"`) {
		t.Errorf("whoami: %d %s", st, body)
	}
	// The API sees the session's token; the page never got it.
	if _, body, _ := call(t, b, "GET", srv.URL+"/v1/devices", ""); body != "Bearer "+adminToken {
		t.Errorf("the API got %q", body)
	}
	if st, _, _ := call(t, browser(t), "POST", srv.URL+"/console/login", `{"code":"`+code+`"}`); st != http.StatusUnauthorized {
		t.Errorf("the code worked twice: %d", st)
	}
	// Logout ends the session.
	call(t, b, "POST", srv.URL+"/console/logout", "")
	if st, _, _ := call(t, b, "GET", srv.URL+"/console/whoami", ""); st != http.StatusUnauthorized {
		t.Errorf("whoami after logout: %d", st)
	}
}

// A state-changing request with only the cookie must carry the console's
// header: a cross-site form cannot.
func TestALoginCodeWorksOnlyFromLoopback(t *testing.T) {
	s, _ := newServer(t)
	code := s.LoginCode(adminToken)
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(`{"code":"`+code+`"}`))
	req.RemoteAddr = "192.0.2.7:51000"
	rec := httptest.NewRecorder()
	s.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("a code from another machine: %d, cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
}

func TestCookieRequestsThatChangeSomethingNeedTheConsoleHeader(t *testing.T) {
	_, srv := newServer(t)
	b := browser(t)
	if st, _, _ := call(t, b, "POST", srv.URL+"/console/login", `{"token":"`+viewerToken+`"}`); st != http.StatusNoContent {
		t.Fatalf("login with a token: %d", st)
	}
	if st, _, _ := call(t, b, "POST", srv.URL+"/v1/devices/hq/a:dial", `{}`); st != http.StatusForbidden {
		t.Errorf("a cookie POST without the console header: %d, want 403", st)
	}
	if _, body, _ := call(t, b, "POST", srv.URL+"/v1/devices/hq/a:dial", `{}`, HeaderConsole, "1"); body != "Bearer "+viewerToken {
		t.Errorf("with the header the API got %q", body)
	}
	if st, _, _ := call(t, browser(t), "POST", srv.URL+"/console/login", `{"token":"nope-not-a-token-000"}`); st != http.StatusUnauthorized {
		t.Errorf("login with an unknown token: %d", st)
	}
	// An Authorization header of the caller's own is left alone.
	if _, body, _ := call(t, browser(t), "GET", srv.URL+"/v1/devices", "", "Authorization", "Bearer other"); body != "Bearer other" {
		t.Errorf("the caller's own header became %q", body)
	}
}

func TestThePageIsServedWithItsSecurityHeaders(t *testing.T) {
	_, srv := newServer(t)
	st, _, h := call(t, browser(t), "GET", srv.URL+"/", "")
	if st != http.StatusFound || h.Get("Location") != "/console/" {
		t.Errorf("GET /: %d to %q", st, h.Get("Location"))
	}
	st, body, h := call(t, browser(t), "GET", srv.URL+"/console/", "")
	if st != 200 || !strings.Contains(body, "ctihost console") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("GET /console/: %d, CSP %q", st, h.Get("Content-Security-Policy"))
	}
}
