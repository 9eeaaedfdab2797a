// Package console serves the host's web console: a page (embedded, no
// CDN, works offline) that shows sites, devices, calls, queues, plugins and
// a live event tail, with the actions its identity's scopes allow. It
// runs on the HTTP/JSON API's listener and uses that API itself.
//
// The page authenticates with a session cookie (HttpOnly, SameSite=Strict,
// Secure over TLS) that stands for a token: the server keeps the token and
// adds it as the Authorization header of the page's API requests, so the
// page never holds it, and the API's own checks (scopes, sites, audit)
// apply unchanged. A session is opened with a client's token, or with a
// one-time login code the host prints at start for its own user (the
// console URL it logs), so that opening the console needs no extra step.
// State-changing requests with a cookie must carry X-CTIHost-Console: 1,
// which a cross-site form cannot send: CSRF is refused twice over.
package console

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ctihost/ctihost/host/auth"
)

//go:embed assets
var assets embed.FS

// Bounds of the console's sessions.
const (
	SessionTTL = 12 * time.Hour
	// CodeTTL bounds a login code's life: the host logs it, so it must be
	// worthless soon, as well as after its one use.
	CodeTTL     = 15 * time.Minute
	maxSessions = 1000
	maxCodes    = 16
	cookieName  = "ctihost_session"
	// HeaderConsole marks the page's own state-changing requests.
	HeaderConsole = "X-CTIHost-Console"
)

// Server holds the console's sessions and login codes. Safe for
// concurrent use.
type Server struct {
	clients func() *auth.Clients

	mu       sync.Mutex
	sessions map[string]session // by cookie value
	codes    map[string]session // one-time login codes
}

// session is a token and when it stops being valid.
type session struct {
	token   string
	expires time.Time
}

// New returns a console whose tokens are checked against clients() (the
// clients in force: a reload that revokes a client ends its sessions'
// rights at the next request).
func New(clients func() *auth.Clients) *Server {
	return &Server{clients: clients, sessions: map[string]session{}, codes: map[string]session{}}
}

// LoginCode makes a one-time code that opens a session for token, valid
// for CodeTTL and only from the host's own machine (a loopback address):
// the host puts it in the console URL it prints, and a code read from a
// log elsewhere, or later, opens nothing.
func (s *Server) LoginCode(token string) string {
	code := randomID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.codes) >= maxCodes {
		clear(s.codes)
	}
	s.codes[code] = session{token: token, expires: time.Now().Add(CodeTTL)}
	return code
}

// Handler serves the console and puts sessions in front of api, the
// HTTP/JSON API.
func (s *Server) Handler(api http.Handler) http.Handler {
	static, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix("/console/", http.FileServer(http.FS(static)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console/", http.StatusFound) })
	mux.Handle("GET /console/", secureHeaders(files))
	mux.HandleFunc("POST /console/login", s.login)
	mux.HandleFunc("POST /console/logout", s.logout)
	mux.HandleFunc("GET /console/whoami", s.whoami)
	mux.Handle("/v1/", s.authorize(api))
	return mux
}

// secureHeaders keeps the page from being framed or fed other scripts.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// authorize turns a session cookie into the API's Authorization header.
func (s *Server) authorize(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if token, ok := s.session(r); ok {
				if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get(HeaderConsole) != "1" {
					writeJSON(w, http.StatusForbidden, map[string]any{"code": 7, "message": "a console request that changes something must carry " + HeaderConsole + ": 1"})
					return
				}
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+token)
			}
		}
		api.ServeHTTP(w, r)
	})
}

// session is the token of r's session cookie.
func (s *Server) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok || time.Now().After(sess.expires) {
		delete(s.sessions, c.Value)
		return "", false
	}
	return sess.token, true
}

// login opens a session for a valid token or a one-time code.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
		Code  string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 3, "message": `send {"token": "…"} or {"code": "…"}`})
		return
	}
	token := req.Token
	if req.Code != "" && !loopback(r.RemoteAddr) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 16, "message": "a login code works only in a browser on the host's own machine; sign in with a token"})
		return
	}
	if req.Code != "" {
		s.mu.Lock()
		c, ok := s.codes[req.Code]
		delete(s.codes, req.Code) // one time, whatever the outcome
		s.mu.Unlock()
		if ok && time.Now().Before(c.expires) {
			token = c.token
		}
	}
	if token == "" || s.clients().ByToken(token) == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 16, "message": "that token or login code is not valid (a code works once)"})
		return
	}
	id := randomID()
	s.mu.Lock()
	now := time.Now()
	for k, v := range s.sessions {
		if now.After(v.expires) {
			delete(s.sessions, k)
		}
	}
	if len(s.sessions) >= maxSessions {
		clear(s.sessions) // everyone signs in again, rather than memory growing
	}
	s.sessions[id] = session{token: token, expires: now.Add(SessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL.Seconds())})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// whoami tells the page who it is and what it may do.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	token, ok := s.session(r)
	var c *auth.Client
	if ok {
		c = s.clients().ByToken(token)
	}
	if c == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 16, "message": "sign in with a token"})
		return
	}
	scopes := make([]string, 0, len(c.Scopes))
	for _, sc := range c.Scopes {
		scopes = append(scopes, string(sc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"client": c.Name, "scopes": scopes, "sites": c.Sites})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// loopback reports whether addr (host:port) is a loopback address.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
