package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORSOnlyForConfiguredOrigins(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := cors(ok, []string{"https://crm.example.com"})
	for _, c := range []struct {
		name, method, origin string
		preflight            bool
		allow                string
		status               int
	}{
		{"allowed origin", "GET", "https://crm.example.com", false, "https://crm.example.com", http.StatusTeapot},
		{"preflight", "OPTIONS", "https://crm.example.com", true, "https://crm.example.com", http.StatusNoContent},
		{"other origin", "GET", "https://evil.example", false, "", http.StatusTeapot},
		{"other origin's preflight", "OPTIONS", "https://evil.example", true, "", http.StatusTeapot},
		{"no origin", "GET", "", false, "", http.StatusTeapot},
	} {
		req := httptest.NewRequest(c.method, "/v1/devices", nil)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.preflight {
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != c.allow || rec.Code != c.status {
			t.Errorf("%s: allow-origin %q status %d, want %q %d", c.name, got, rec.Code, c.allow, c.status)
		}
	}
	if got := cors(ok, nil); got == nil {
		t.Fatal("nil handler")
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "https://crm.example.com")
	cors(ok, nil).ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers with no origins configured")
	}
}
