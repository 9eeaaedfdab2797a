package snomsim

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// AuthScheme is how the phone's web server checks "HTTP user name" and
// "HTTP password". Snom's "Can I control my snom phone remotely" page:
// with the Authentication Scheme (setting http_scheme) "on", the phone
// uses digest authentication and credentials given as clear text (Basic,
// user:password@ in the URL) do not work; off, it uses Basic.
type AuthScheme int

const (
	// AuthDefault is AuthBasic when Options.Password is set, else AuthNone.
	AuthDefault AuthScheme = iota
	// AuthNone: no HTTP user and password; every request is served.
	AuthNone
	// AuthBasic: RFC 7617 Basic only.
	AuthBasic
	// AuthDigest: RFC 7616 Digest, MD5, qop=auth only.
	AuthDigest
)

var authNames = []string{"default", "none", "basic", "digest"}

func (a AuthScheme) String() string {
	if a >= 0 && int(a) < len(authNames) {
		return authNames[a]
	}
	return fmt.Sprintf("AuthScheme(%d)", int(a))
}

// ParseAuthScheme returns the scheme named s: none, basic or digest.
func ParseAuthScheme(s string) (AuthScheme, error) {
	for i, n := range authNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return AuthScheme(i), nil
		}
	}
	return 0, fmt.Errorf("snomsim: unknown auth scheme %q; want none, basic or digest", s)
}

// Realm is the realm of the 401 challenges. Modelled.
const Realm = "snom"

// maxNonces bounds the digest nonces remembered; the oldest are forgotten
// (a client using one gets a stale=true challenge).
const maxNonces = 1024

// authenticator checks credentials. It is safe for concurrent use.
type authenticator struct {
	scheme     AuthScheme
	user, pass string

	mu     sync.Mutex
	nonces map[string]uint64 // nonce → highest nc seen
	order  []string
}

func newAuthenticator(scheme AuthScheme, user, pass string) *authenticator {
	return &authenticator{scheme: scheme, user: user, pass: pass, nonces: map[string]uint64{}}
}

// check reports whether r carries valid credentials; forceFail rejects
// every request (FaultWrongCredentials). On failure it writes the 401
// challenge and returns false.
func (a *authenticator) check(w http.ResponseWriter, r *http.Request, forceFail bool) bool {
	if a.scheme == AuthNone {
		if !forceFail {
			return true
		}
		a.challenge(w, AuthBasic, false)
		return false
	}
	stale := false
	ok := false
	if !forceFail {
		switch a.scheme {
		case AuthBasic:
			u, pw, has := r.BasicAuth()
			ok = has && equal(u, a.user) && equal(pw, a.pass)
		case AuthDigest:
			ok, stale = a.checkDigest(r)
		}
	}
	if !ok {
		a.challenge(w, a.scheme, stale)
	}
	return ok
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// challenge answers 401 with WWW-Authenticate and a small HTML page.
func (a *authenticator) challenge(w http.ResponseWriter, scheme AuthScheme, stale bool) {
	if scheme == AuthDigest {
		v := fmt.Sprintf(`Digest realm="%s", qop="auth", algorithm=MD5, nonce="%s"`, Realm, a.newNonce())
		if stale {
			v += ", stale=true"
		}
		w.Header().Set("WWW-Authenticate", v)
	} else {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`"`)
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte("<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>\n"))
}

func (a *authenticator) newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	n := hex.EncodeToString(b)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nonces[n] = 0
	a.order = append(a.order, n)
	if len(a.order) > maxNonces {
		delete(a.nonces, a.order[0])
		a.order = a.order[1:]
	}
	return n
}

// checkDigest verifies an RFC 7616 response with MD5 and qop=auth:
// response = MD5(MD5(user:realm:pass):nonce:nc:cnonce:auth:MD5(method:uri)).
// An unknown (forgotten) nonce, or an nc not above the last one seen for
// that nonce (a replay), is answered stale. It returns ok and stale.
func (a *authenticator) checkDigest(r *http.Request) (bool, bool) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false, false
	}
	p := parseAuthParams(rest)
	if p["username"] != a.user || p["realm"] != Realm || p["qop"] != "auth" ||
		(p["algorithm"] != "" && !strings.EqualFold(p["algorithm"], "MD5")) ||
		(p["uri"] != r.RequestURI && p["uri"] != r.URL.RequestURI()) || p["cnonce"] == "" || len(p["nc"]) != 8 {
		return false, false
	}
	var nc uint64
	if _, err := fmt.Sscanf(p["nc"], "%x", &nc); err != nil {
		return false, false
	}
	ha1 := md5hex(a.user + ":" + Realm + ":" + a.pass)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if !equal(strings.ToLower(p["response"]), want) {
		return false, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	last, known := a.nonces[p["nonce"]]
	if !known || nc <= last {
		return false, true
	}
	a.nonces[p["nonce"]] = nc
	return true, false
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseAuthParams parses k=v, k="v", ... of an Authorization header.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,\t")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		rest = strings.TrimLeft(rest, " \t")
		var v string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			v = b.String()
			if i < len(rest) {
				i++
			}
			s = rest[i:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		out[k] = v
	}
	return out
}
