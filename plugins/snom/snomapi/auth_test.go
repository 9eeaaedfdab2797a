package snomapi

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestDigestAnswerMatchesTheRFCExamples(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		challenge               map[string]string
		user, pass, method, uri string
		cnonce                  string
		want                    string
	}{
		{"RFC 2617 3.5 (MD5, no algorithm)", map[string]string{"realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "qop": "auth,auth-int", "opaque": "5ccc069c403ebaf9f0171e9517f40e41"},
			"Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 3.9.1 MD5", map[string]string{"realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "qop": "auth, auth-int", "algorithm": "MD5", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"},
			"Mufasa", "Circle of Life", "GET", "/dir/index.html", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 3.9.1 SHA-256", map[string]string{"realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "qop": "auth, auth-int", "algorithm": "SHA-256", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"},
			"Mufasa", "Circle of Life", "GET", "/dir/index.html", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := digestAnswer(tc.challenge, tc.user, tc.pass, tc.method, tc.uri, 1, tc.cnonce)
			if !strings.Contains(got, `response="`+tc.want+`"`) || !strings.Contains(got, "nc=00000001") || !strings.Contains(got, "qop=auth,") {
				t.Fatalf("Authorization %s, want response %s", got, tc.want)
			}
			if !strings.Contains(got, `opaque="`+tc.challenge["opaque"]+`"`) {
				t.Fatalf("Authorization %s lacks the opaque value", got)
			}
		})
	}
}

func TestParseChallenges(t *testing.T) {
	got := parseChallenges([]string{`Basic realm="snom", Digest realm="x, y", nonce="n=/1", qop="auth,auth-int", algorithm=SHA-256, stale=TRUE`, `Newauth`})
	if len(got) != 3 || got[0].scheme != "basic" || got[1].scheme != "digest" || got[2].scheme != "newauth" {
		t.Fatalf("challenges %+v", got)
	}
	d := got[1].params
	if d["realm"] != "x, y" || d["nonce"] != "n=/1" || d["algorithm"] != "SHA-256" || d["stale"] != "TRUE" || d["qop"] != "auth,auth-int" {
		t.Fatalf("digest params %+v", d)
	}
}

// digestPhone is a fake phone that checks Digest credentials the way RFC
// 7616 says, with its own hash code, and rotates its nonce after
// rotateAfter answers (0: never), answering stale=true then.
type digestPhone struct {
	mu          sync.Mutex
	user, pass  string
	algorithm   string // "" (RFC 2069 without qop when noQop), MD5, SHA-256, MD5-sess...
	noQop       bool
	nonce       string
	rotateAfter int
	served      int
	challenges  int
	lastNC      string
}

func (p *digestPhone) hash(s string) string {
	var h hash.Hash = md5.New()
	if strings.HasPrefix(strings.ToUpper(p.algorithm), "SHA-256") {
		h = sha256.New()
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func (p *digestPhone) challenge(w http.ResponseWriter, stale bool) {
	p.challenges++
	h := fmt.Sprintf(`Digest realm="snom", nonce="%s", opaque="op"`, p.nonce)
	if !p.noQop {
		h += `, qop="auth"`
	}
	if p.algorithm != "" {
		h += ", algorithm=" + p.algorithm
	}
	if stale {
		h += ", stale=true"
	}
	w.Header().Add("WWW-Authenticate", `Basic realm="snom"`)
	w.Header().Add("WWW-Authenticate", h)
	w.WriteHeader(http.StatusUnauthorized)
}

func (p *digestPhone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Digest ") {
		p.challenge(w, false)
		return
	}
	cs := parseChallenges([]string{auth})
	if len(cs) != 1 {
		p.challenge(w, false)
		return
	}
	a := cs[0].params
	if a["nonce"] != p.nonce {
		p.challenge(w, true)
		return
	}
	ha1 := p.hash(p.user + ":snom:" + p.pass)
	if strings.HasSuffix(strings.ToUpper(p.algorithm), "-SESS") {
		ha1 = p.hash(ha1 + ":" + p.nonce + ":" + a["cnonce"])
	}
	ha2 := p.hash(r.Method + ":" + r.URL.RequestURI())
	want := p.hash(ha1 + ":" + p.nonce + ":" + a["nc"] + ":" + a["cnonce"] + ":auth:" + ha2)
	if p.noQop {
		want = p.hash(ha1 + ":" + p.nonce + ":" + ha2)
	}
	if a["username"] != p.user || a["uri"] != r.URL.RequestURI() || a["response"] != want || a["opaque"] != "op" {
		p.challenge(w, false)
		return
	}
	p.lastNC = a["nc"]
	p.served++
	if p.rotateAfter > 0 && p.served%p.rotateAfter == 0 {
		p.nonce += "x"
	}
	if r.URL.Path == "/csta" {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, fillNamespaces(docOKSOAP))
		return
	}
	fmt.Fprint(w, "<html>ok</html>")
}

func TestDigestAuth(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{"", "MD5", "SHA-256", "MD5-sess", "SHA-256-sess"} {
		t.Run("algorithm "+alg, func(t *testing.T) {
			phone := &digestPhone{user: "admin", pass: "pw%&é", algorithm: alg, nonce: "n1"}
			c := newTestClient(t, phone, Config{Username: "admin", Password: "pw%&é"})
			for range 3 {
				if err := c.ReleaseAllCalls(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.AnswerCall(ctx, "-18"); !errors.Is(err, ErrDialectUnknown) {
				t.Fatalf("err = %v", err)
			}
			if phone.challenges != 1 || phone.served != 3 || phone.lastNC != "00000003" {
				t.Fatalf("challenges %d served %d nc %s; want the challenge answered once and reused", phone.challenges, phone.served, phone.lastNC)
			}
		})
	}
	t.Run("no qop (RFC 2069)", func(t *testing.T) {
		phone := &digestPhone{user: "admin", pass: "pw", algorithm: "MD5", noQop: true, nonce: "n1"}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw"})
		if err := c.ReleaseAllCalls(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stale nonce", func(t *testing.T) {
		phone := &digestPhone{user: "admin", pass: "pw", algorithm: "SHA-256", nonce: "n1", rotateAfter: 2}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw", Firmware: "10.1.54.13"})
		for range 5 {
			if err := c.AnswerCall(ctx, "-18"); err != nil {
				t.Fatal(err)
			}
		}
		if phone.served != 5 {
			t.Fatalf("served %d", phone.served)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		phone := &digestPhone{user: "admin", pass: "right", algorithm: "MD5", nonce: "n1"}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "wrong"})
		err := c.Reboot(ctx)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindAuth || e.HTTPStatus != 401 {
			t.Fatalf("err = %v, want auth", err)
		}
		if phone.challenges != 2 {
			t.Fatalf("%d challenges; the client must answer once, then give up", phone.challenges)
		}
	})
}

func TestBasicAuth(t *testing.T) {
	ctx := context.Background()
	basicOnly := func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="snom"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "ok")
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	t.Run("auto answers basic and reuses it", func(t *testing.T) {
		phone := &fakePhone{handle: basicOnly}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw"})
		for range 2 {
			if err := c.LogoffAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		r := phone.requests()
		if len(r) != 3 || r[0].auth != "" || r[1].auth != want || r[2].auth != want {
			t.Fatalf("requests %+v", r)
		}
	})
	t.Run("preemptive", func(t *testing.T) {
		phone := &fakePhone{handle: basicOnly}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw", Auth: AuthBasic})
		if err := c.LogoffAll(ctx); err != nil {
			t.Fatal(err)
		}
		if r := phone.requests(); len(r) != 1 || r[0].auth != want {
			t.Fatalf("requests %+v", r)
		}
	})
	t.Run("digest mode refuses basic", func(t *testing.T) {
		phone := &fakePhone{handle: basicOnly}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw", Auth: AuthDigest})
		err := c.LogoffAll(ctx)
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "basic authentication only") {
			t.Fatalf("err = %v", err)
		}
		for _, r := range phone.requests() {
			if r.auth != "" {
				t.Fatal("credentials sent")
			}
		}
	})
	t.Run("auth-int only", func(t *testing.T) {
		phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("WWW-Authenticate", `Digest realm="snom", nonce="n", qop="auth-int"`)
			w.WriteHeader(http.StatusUnauthorized)
		}}
		c := newTestClient(t, phone, Config{Username: "admin", Password: "pw"})
		if err := c.LogoffAll(ctx); !errors.Is(err, ErrAuth) {
			t.Fatalf("err = %v", err)
		}
		if n := len(phone.requests()); n != 1 {
			t.Fatalf("%d requests", n)
		}
	})
}

func TestDigestPreferredOverBasicAndSHA256OverMD5(t *testing.T) {
	a := &authState{user: "u", pass: "p"}
	err := a.accept([]string{`Basic realm="r"`, `Digest realm="r", nonce="1", qop="auth", algorithm=MD5`, `Digest realm="r", nonce="2", qop="auth", algorithm=SHA-256`})
	if err != nil || a.basic || a.digest["nonce"] != "2" {
		t.Fatalf("err %v basic %v digest %v", err, a.basic, a.digest)
	}
}
