package snomapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCommandsSendTheDocumentsRequests(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func(*Client) error
		want string // method and request URI
	}{
		{"offhook", func(c *Client) error { return c.PressKeys(ctx, []KeyEvent{{Key: "OFFHOOK"}}) }, "GET /command.htm?key=OFFHOOK"},
		{"keys with times and escapes", func(c *Client) error {
			return c.PressKeys(ctx, []KeyEvent{{Key: "1", Press: 100 * time.Millisecond, Pause: 200 * time.Millisecond}, {Key: "#"}, {Key: "*", Press: 50 * time.Millisecond}})
		}, "GET /command.htm?key=1,100,200;%23;%2A,50"},
		{"dial", func(c *Client) error { return c.Dial(ctx, "1234", "") }, "GET /command.htm?number=1234"},
		{"dial from an identity", func(c *Client) error { return c.Dial(ctx, "+49301234", "user@domain1") },
			"GET /command.htm?number=%2B49301234&outgoing_uri=user%40domain1"},
		{"dial star and hash", func(c *Client) error { return c.Dial(ctx, "*31#1234", "") }, "GET /command.htm?number=%2A31%231234"},
		{"dtmf", func(c *Client) error { return c.SendDTMF(ctx, "12*#") }, "GET /command.htm?key_dtmf=12%2A%23"},
		{"release all", func(c *Client) error { return c.ReleaseAllCalls(ctx) }, "GET /command.htm?RELEASE_ALL_CALLS"},
		{"logoff all", func(c *Client) error { return c.LogoffAll(ctx) }, "GET /command.htm?LOGOFFALL"},
		{"logoff line", func(c *Client) error { return c.LogoffLine(ctx, 12) }, "GET /command.htm?LOGOFFLINE=12"},
		{"reregister", func(c *Client) error { return c.Reregister(ctx, 1) }, "GET /dummy.htm?REREGISTER=1"},
		{"ringer", func(c *Client) error { return c.PlayRinger(ctx, 9) }, "GET /line_login.htm?PLAY_RINGER:9=+Ringer"},
		{"reboot", func(c *Client) error { return c.Reboot(ctx) }, "GET /advanced_update.htm?reboot=Reboot"},
		{"reset", func(c *Client) error { return c.Reset(ctx) }, "GET /advanced_update.htm?reset=Reset"},
		{"clear dialed", func(c *Client) error { return c.ClearList(ctx, ListDialed) }, "GET /index.htm?dialeddel=clear"},
		{"clear missed", func(c *Client) error { return c.ClearList(ctx, ListMissed) }, "GET /index.htm?misseddel=clear"},
		{"clear received", func(c *Client) error { return c.ClearList(ctx, ListReceived) }, "GET /index.htm?receiveddel=clear"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{}
			c := newTestClient(t, phone, Config{})
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			r := phone.last(t)
			if got := r.method + " " + r.uri; got != tc.want {
				t.Fatalf("request %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCommandsRefuseBadArgumentsBeforeSending(t *testing.T) {
	ctx := context.Background()
	phone := &fakePhone{}
	c := newTestClient(t, phone, Config{Model: "D717"})
	for name, call := range map[string]func() error{
		"P4 on a D717":    func() error { return c.PressKeys(ctx, []KeyEvent{{Key: "P4"}}) },
		"unknown key":     func() error { return c.PressKeys(ctx, []KeyEvent{{Key: "FLASH"}}) },
		"empty number":    func() error { return c.Dial(ctx, "", "") },
		"number w/ space": func() error { return c.Dial(ctx, "030 1234", "") },
		"bad uri":         func() error { return c.Dial(ctx, "1", "a\nb") },
		"dtmf letter":     func() error { return c.SendDTMF(ctx, "12E") },
		"no dtmf":         func() error { return c.SendDTMF(ctx, "") },
		"line 0":          func() error { return c.LogoffLine(ctx, 0) },
		"line 13":         func() error { return c.Reregister(ctx, 13) },
		"ringer 10":       func() error { return c.PlayRinger(ctx, 10) },
		"list":            func() error { return c.ClearList(ctx, "all") },
	} {
		if err := call(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := len(phone.requests()); n != 0 {
		t.Fatalf("%d requests reached the phone", n)
	}
}

func TestCommandAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, body []byte)
		kind   ErrorKind // 0: success
		status int
	}{
		{"200 html page", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			_, _ = io.WriteString(w, "<html>Settings saved</html>")
		}, 0, 0},
		{"204", func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) }, 0, 0},
		{"302 to a login page", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if r.URL.Path == "/login.htm" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login.htm", http.StatusFound)
		}, 0, 0},
		{"303", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, "/index.htm", http.StatusSeeOther)
		}, 0, 0},
		{"307 is not a phone answer", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, "/index.htm", http.StatusTemporaryRedirect)
		}, KindBadResponse, 307},
		{"401 without credentials", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("WWW-Authenticate", `Basic realm="snom"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, KindAuth, 401},
		{"403", func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusForbidden) }, KindAuth, 403},
		{"404", func(w http.ResponseWriter, r *http.Request, _ []byte) { http.NotFound(w, r) }, KindUnsupported, 404},
		{"500", func(w http.ResponseWriter, r *http.Request, _ []byte) { http.Error(w, "internal", 500) }, KindBadResponse, 500},
		{"huge page", func(w http.ResponseWriter, r *http.Request, _ []byte) {
			_, _ = io.WriteString(w, strings.Repeat("x", 4<<20))
		}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{handle: tc.handle}
			c := newTestClient(t, phone, Config{})
			err := c.ReleaseAllCalls(context.Background())
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(phone.requests()); n != 1 {
					t.Fatalf("%d requests, want 1 (redirects are not followed)", n)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.HTTPStatus != tc.status {
				t.Fatalf("err = %#v, want kind %v status %d", err, tc.kind, tc.status)
			}
			if !errors.Is(err, tc.kind.sentinel()) {
				t.Fatal("error does not match its sentinel")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "snomapi: command.htm RELEASE_ALL_CALLS on 127.0.0.1:") {
				t.Fatalf("message %q", msg)
			}
		})
	}
}

func TestUnreachableAndTimeout(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		c, err := New(Config{BaseURL: base, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Reboot(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindUnreachable || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("err = %v, want unreachable", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) { <-release }}
		c := newTestClient(t, phone, Config{Timeout: 50 * time.Millisecond})
		defer close(release)
		err := c.Reboot(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindTimeout || !errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want timeout (also unreachable)", err)
		}
	})
	t.Run("key durations extend the timeout", func(t *testing.T) {
		phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) { time.Sleep(150 * time.Millisecond) }}
		c := newTestClient(t, phone, Config{Timeout: 100 * time.Millisecond})
		if err := c.PressKeys(context.Background(), []KeyEvent{{Key: "1", Press: 100 * time.Millisecond}}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPasswordNeverInErrors(t *testing.T) {
	const pass = "s3cr&t pa$$"
	phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Digest realm="snom", nonce="abc", qop="auth"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		// A page that echoes the password in every form.
		http.Error(w, "bad "+pass+" "+url.QueryEscape(pass)+" "+url.PathEscape(pass), http.StatusInternalServerError)
	}}
	c := newTestClient(t, phone, Config{Username: "admin", Password: pass})
	err := c.ReleaseAllCalls(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	for _, form := range []string{pass, url.QueryEscape(pass), url.PathEscape(pass)} {
		if strings.Contains(err.Error(), form) {
			t.Fatalf("error %q contains the password", err)
		}
	}
	if _, err := New(Config{BaseURL: "http://admin:" + pass + "@10.0.0.1"}); err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Fatalf("user info: err = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: ""},
		{BaseURL: "10.0.0.1"},
		{BaseURL: "ftp://10.0.0.1"},
		{BaseURL: "http://"},
		{BaseURL: "http://10.0.0.1/command.htm"},
		{BaseURL: "http://10.0.0.1/?a=b"},
		{BaseURL: "http://u:p@10.0.0.1"},
		{BaseURL: "http://10.0.0.1", Timeout: -1},
		{BaseURL: "http://10.0.0.1", Password: "x"},
		{BaseURL: "http://10.0.0.1", Username: "a:b"},
		{BaseURL: "http://10.0.0.1", Auth: 7},
		{BaseURL: "http://10.0.0.1", Dialect: 9},
		{BaseURL: "http://10.0.0.1", Model: "D862"},
		{BaseURL: "http://10.0.0.1", Model: "X1"},
		{BaseURL: "http://10.0.0.1", Firmware: "new"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for _, base := range []string{"http://10.0.0.1", "https://phone.example:8443/", "http://[fe80::1]:80"} {
		c, err := New(Config{BaseURL: base, Model: "snomD785-SIP", Firmware: "10.1.33.33"})
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if m, ok := c.Model(); !ok || m.Name != "D785" || c.Dialect() != DialectCallID {
			t.Fatalf("%s: model %v dialect %v", base, m, c.Dialect())
		}
	}
	if _, err := New(Config{BaseURL: "http://10.0.0.1", Model: "D865"}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("D865: err = %v, want ErrUnsupported", err)
	}
}

func TestConfigHTTPClientIsNotChanged(t *testing.T) {
	hc := &http.Client{}
	if _, err := New(Config{BaseURL: "http://10.0.0.1", HTTPClient: hc}); err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Fatal("New changed the caller's http.Client")
	}
}

func TestPressKeysDoNotInterleave(t *testing.T) {
	var mu sync.Mutex
	active, maxActive := 0, 0
	phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		active++
		maxActive = max(maxActive, active)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		active--
		mu.Unlock()
	}}
	c := newTestClient(t, phone, Config{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := c.PressKeys(context.Background(), []KeyEvent{{Key: "1"}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if maxActive != 1 {
		t.Fatalf("%d key requests at once", maxActive)
	}
	// A caller waiting for its turn can give up.
	c.keys <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.PressKeys(ctx, []KeyEvent{{Key: "1"}}); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	<-c.keys
}
