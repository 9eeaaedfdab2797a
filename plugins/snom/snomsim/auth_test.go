package snomsim

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNoAuthServesEveryone(t *testing.T) {
	p := newPhone(t, Options{})
	mustGet(t, p, "/command.htm?key=DND")
	if !p.State().DND {
		t.Error("DND not toggled")
	}
}

func TestBasicAuth(t *testing.T) {
	p := newPhone(t, Options{User: "root", Password: "s3cr3t"})
	for _, tc := range []struct {
		name       string
		user, pass string
		set        bool
		want       int
	}{
		{"none", "", "", false, 401},
		{"wrong password", "root", "nope", true, 401},
		{"wrong user", "admin", "s3cr3t", true, 401},
		{"right", "root", "s3cr3t", true, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/command.htm?key=VOLUME_UP", nil)
			if tc.set {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			rec := httptest.NewRecorder()
			p.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 401 && rec.Header().Get("WWW-Authenticate") != `Basic realm="snom"` {
				t.Errorf("challenge %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
	if v := p.State().Volume; v != 9 {
		t.Errorf("volume %d after one authorized VOLUME_UP, want 9", v)
	}
}

// digestAuth answers a Digest challenge as an RFC 7616 client would.
func digestAuth(challenge, method, uri, user, pass string, nc int) string {
	params := parseAuthParams(strings.TrimPrefix(challenge, "Digest "))
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ncs := fmt.Sprintf("%08x", nc)
	cnonce := "0a4f113b"
	ha1 := h(user + ":" + params["realm"] + ":" + pass)
	ha2 := h(method + ":" + uri)
	resp := h(ha1 + ":" + params["nonce"] + ":" + ncs + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=%s, cnonce="%s", response="%s", algorithm=MD5`,
		user, params["realm"], params["nonce"], uri, ncs, cnonce, resp)
}

func TestDigestAuth(t *testing.T) {
	p := newPhone(t, Options{Auth: AuthDigest, User: "root", Password: "s3cr3t"})
	srv := httptest.NewServer(p)
	defer srv.Close()
	uri := "/command.htm?key=VOLUME_UP;VOLUME_UP"

	res, err := http.Get(srv.URL + uri)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ch := res.Header.Get("WWW-Authenticate")
	if res.StatusCode != 401 || !strings.HasPrefix(ch, `Digest realm="snom", qop="auth", algorithm=MD5, nonce="`) {
		t.Fatalf("challenge: %d %q", res.StatusCode, ch)
	}
	send := func(authz string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+uri, nil)
		req.Header.Set("Authorization", authz)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := send(digestAuth(ch, "GET", uri, "root", "wrong", 1)); code != 401 {
		t.Errorf("wrong password: %d", code)
	}
	if code := send(digestAuth(ch, "GET", uri, "root", "s3cr3t", 1)); code != 200 {
		t.Fatalf("right password: %d", code)
	}
	if code := send(digestAuth(ch, "GET", uri, "root", "s3cr3t", 2)); code != 200 {
		t.Errorf("next nc on the same nonce: %d", code)
	}
	if code := send(digestAuth(ch, "GET", uri, "root", "s3cr3t", 2)); code != 401 {
		t.Errorf("replayed nc: %d, want 401", code)
	}
	if code := send(digestAuth(ch, "GET", "/index.htm", "root", "s3cr3t", 3)); code != 401 {
		t.Errorf("digest for another uri: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+uri, nil)
	req.SetBasicAuth("root", "s3cr3t")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("basic credentials on a digest phone: %v %v, want 401", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
	if v := p.State().Volume; v != 12 {
		t.Errorf("volume %d after two authorized requests of two keys, want 12", v)
	}
}

func TestDigestStaleNonce(t *testing.T) {
	p := newPhone(t, Options{Auth: AuthDigest, User: "root", Password: "pw"})
	fake := `Digest realm="snom", nonce="00000000000000000000000000000000"`
	code, _ := do(t, p, http.MethodGet, "/index.htm", "", "Authorization", digestAuth(fake, "GET", "/index.htm", "root", "pw", 1))
	if code != 401 {
		t.Fatalf("unknown nonce: %d", code)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/index.htm", nil)
	req.Header.Set("Authorization", digestAuth(fake, "GET", "/index.htm", "root", "pw", 1))
	p.ServeHTTP(rec, req)
	if !strings.HasSuffix(rec.Header().Get("WWW-Authenticate"), "stale=true") {
		t.Errorf("challenge %q lacks stale=true", rec.Header().Get("WWW-Authenticate"))
	}
}

func TestWrongCredentialsFault(t *testing.T) {
	for _, scheme := range []AuthScheme{AuthNone, AuthBasic} {
		p := newPhone(t, Options{Auth: scheme, User: "root", Password: "pw"})
		p.SetFault(FaultWrongCredentials)
		req := httptest.NewRequest(http.MethodGet, "/command.htm?key=DND", nil)
		req.SetBasicAuth("root", "pw")
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code != 401 || p.State().DND {
			t.Errorf("%v: status %d, dnd %v; want 401 and no effect", scheme, rec.Code, p.State().DND)
		}
		if code, _ := get(t, p, "/sim/state"); code != 200 {
			t.Errorf("%v: /sim/ is affected: %d", scheme, code)
		}
	}
}
