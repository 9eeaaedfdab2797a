package snomapi

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
)

// AuthMode says which HTTP authentication the client answers with. Snom
// phones use Basic, or Digest when their "Authentication Scheme"
// (http_scheme) is on (Snom wiki, "Can I control my snom phone remotely").
type AuthMode int

const (
	// AuthAuto sends no credentials until the phone answers 401, then
	// answers its challenge (Digest preferred, SHA-256 before MD5, Basic
	// otherwise) and reuses it for later requests.
	AuthAuto AuthMode = iota
	// AuthDigest answers Digest challenges only: a phone (or anyone in the
	// path) offering only Basic is refused, so the password never travels
	// in clear over http.
	AuthDigest
	// AuthBasic sends Basic credentials with every request, before any
	// challenge.
	AuthBasic
)

// maxChallenge bounds the WWW-Authenticate text parsed.
const maxChallenge = 4096

// challenge is one parsed WWW-Authenticate challenge.
type challenge struct {
	scheme string            // lower case: "digest", "basic"
	params map[string]string // lower-case names
}

// parseChallenges splits WWW-Authenticate values into challenges (RFC 9110
// section 11.6.1: a header may hold several, comma separated; a name not
// followed by "=" starts the next one).
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, h := range values {
		if len(h) > maxChallenge {
			h = h[:maxChallenge]
		}
		i := 0
		for i < len(h) && len(out) < 16 {
			i = skipSpaceComma(h, i)
			start := i
			for i < len(h) && isTokenChar(h[i]) {
				i++
			}
			if i == start {
				i++ // not a token: skip the byte
				continue
			}
			c := challenge{scheme: strings.ToLower(h[start:i]), params: map[string]string{}}
			for len(c.params) < 32 {
				j := skipSpaceComma(h, i)
				ns := j
				for j < len(h) && isTokenChar(h[j]) {
					j++
				}
				name := h[ns:j]
				k := j
				for k < len(h) && (h[k] == ' ' || h[k] == '\t') {
					k++
				}
				if name == "" || k >= len(h) || h[k] != '=' {
					i = ns // next challenge (or end)
					if name == "" {
						i = j
					}
					break
				}
				k++
				for k < len(h) && (h[k] == ' ' || h[k] == '\t') {
					k++
				}
				var value string
				value, i = readParamValue(h, k)
				c.params[strings.ToLower(name)] = value
			}
			out = append(out, c)
			if i >= len(h) {
				break
			}
		}
	}
	return out
}

func skipSpaceComma(h string, i int) int {
	for i < len(h) && (h[i] == ' ' || h[i] == '\t' || h[i] == ',') {
		i++
	}
	return i
}

// readParamValue reads a token or quoted-string (with \ escapes) at h[i:].
func readParamValue(h string, i int) (string, int) {
	if i < len(h) && h[i] == '"' {
		var b strings.Builder
		i++
		for i < len(h) && h[i] != '"' {
			if h[i] == '\\' && i+1 < len(h) {
				i++
			}
			b.WriteByte(h[i])
			i++
		}
		return b.String(), min(i+1, len(h))
	}
	start := i
	for i < len(h) && (isTokenChar(h[i]) || h[i] == '/' || h[i] == '=') {
		i++
	}
	return h[start:i], i
}

func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) < 0
}

// digestAlgorithms are the algorithms this package answers, best first.
var digestAlgorithms = []string{"SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS", ""}

// authState is a client's answer to the phone's challenge, reused for later
// requests. Safe for concurrent use.
type authState struct {
	mu     sync.Mutex
	mode   AuthMode
	user   string
	pass   string
	basic  bool              // answer with Basic
	digest map[string]string // the chosen Digest challenge's params
	nc     uint32
}

// hasAnswer reports whether a challenge was answered before, so requests
// carry credentials from the start.
func (a *authState) hasAnswer() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mode == AuthBasic || a.basic || a.digest != nil
}

// accept picks the challenge to answer from a 401's WWW-Authenticate
// headers. It returns an error (for KindAuth) when none is usable.
func (a *authState) accept(values []string) error {
	var basic bool
	var best map[string]string
	bestRank := len(digestAlgorithms)
	for _, c := range parseChallenges(values) {
		switch c.scheme {
		case "basic":
			basic = true
		case "digest":
			if c.params["nonce"] == "" {
				continue
			}
			if qop := c.params["qop"]; qop != "" && !hasToken(qop, "auth") {
				continue // auth-int only
			}
			for r, alg := range digestAlgorithms {
				if strings.EqualFold(c.params["algorithm"], alg) && r < bestRank {
					best, bestRank = c.params, r
				}
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case best != nil:
		a.digest, a.basic, a.nc = best, false, 0
	case basic && a.mode != AuthDigest:
		a.digest, a.basic = nil, true
	case basic:
		return fmt.Errorf("the phone offers basic authentication only and the client is set to digest")
	default:
		return fmt.Errorf("the phone offers no authentication scheme this client speaks (digest md5/sha-256 with qop=auth, or basic)")
	}
	return nil
}

// authorize sets the Authorization header of req, if a scheme is known.
func (a *authState) authorize(req *http.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mode == AuthBasic || a.basic {
		req.SetBasicAuth(a.user, a.pass)
		return nil
	}
	if a.digest == nil {
		return nil
	}
	a.nc++
	cnonce, err := newCnonce()
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", digestAnswer(a.digest, a.user, a.pass, req.Method, req.URL.RequestURI(), a.nc, cnonce))
	return nil
}

func newCnonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a digest cnonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// digestAnswer computes an RFC 7616 Authorization value for challenge p.
func digestAnswer(p map[string]string, user, pass, method, uri string, nc uint32, cnonce string) string {
	alg := strings.ToUpper(p["algorithm"])
	var newHash func() hash.Hash = md5.New
	if strings.HasPrefix(alg, "SHA-256") {
		newHash = sha256.New
	}
	h := func(s string) string {
		x := newHash()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	realm, nonce := p["realm"], p["nonce"]
	ha1 := h(user + ":" + realm + ":" + pass)
	if strings.HasSuffix(alg, "-SESS") {
		ha1 = h(ha1 + ":" + nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	name := user
	userhash := strings.EqualFold(p["userhash"], "true")
	if userhash {
		name = h(user + ":" + realm)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s"`, quote(name), quote(realm), quote(nonce), quote(uri))
	if p["algorithm"] != "" {
		fmt.Fprintf(&b, ", algorithm=%s", p["algorithm"])
	}
	if p["qop"] != "" {
		ncs := fmt.Sprintf("%08x", nc)
		resp := h(ha1 + ":" + nonce + ":" + ncs + ":" + cnonce + ":auth:" + ha2)
		fmt.Fprintf(&b, `, response="%s", qop=auth, nc=%s, cnonce="%s"`, resp, ncs, cnonce)
	} else {
		// RFC 2069 compatibility: no qop offered.
		fmt.Fprintf(&b, `, response="%s"`, h(ha1+":"+nonce+":"+ha2))
	}
	if o, ok := p["opaque"]; ok {
		fmt.Fprintf(&b, `, opaque="%s"`, quote(o))
	}
	if userhash {
		b.WriteString(", userhash=true")
	}
	return b.String()
}

// quote escapes a quoted-string's content.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(s)
}

// hasToken reports whether the comma-separated list holds tok.
func hasToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}
