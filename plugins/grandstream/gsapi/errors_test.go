package gsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const secret = "s3cr3t-pass"

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// dropper hijacks each connection and closes it without answering.
var dropper = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
})

// stall answers only after the request is cancelled.
var stall = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })

func TestEveryErrorKindNeverShowsThePasscode(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		h      http.Handler // nil: nothing listens
		kind   error
		status int
		body   string
	}{
		{"refused", fixed(200, "application/json", guideFalse), ErrRefused, 200, "false"},
		{"auth 401", fixed(401, "application/json", `{"response": "error", "body": "unauthorized"}`), ErrAuth, 401, "unauthorized"},
		{"auth 403", fixed(403, "text/plain", "forbidden"), ErrAuth, 403, "forbidden"},
		{"auth in a 200 body", fixed(200, "application/json", `{"response":"error","body":"Unauthorized"}`), ErrAuth, 200, "Unauthorized"},
		{"unreachable refused", nil, ErrUnreachable, 0, ""},
		{"unreachable dropped", dropper, ErrUnreachable, 0, ""},
		{"timeout", stall, ErrTimeout, 0, ""},
		{"bad response html", fixed(200, "text/html", "<html><form action=login?passcode="+secret+">"), ErrBadResponse, 200, ""},
		{"bad response garbage", fixed(200, "application/json", "\x00\xffnot json"), ErrBadResponse, 200, ""},
		{"bad response 500", fixed(500, "text/plain", "internal error"), ErrBadResponse, 500, "internal error"},
		{"bad response oversized", fixed(200, "application/json", `{"response":"success","body":"`+strings.Repeat("x", maxAnswer)+`"}`), ErrBadResponse, 200, ""},
		{"unsupported 404", fixed(404, "text/html", "not found"), ErrUnsupported, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Client
			if tt.h == nil {
				var err error
				c, err = New(Config{Host: closedAddr(t), Passcode: secret, Timeout: 2 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				c = newTestClient(t, tt.h, secret)
				if tt.kind == ErrTimeout {
					c.timeout = 100 * time.Millisecond
				}
			}
			err := c.PhoneOperation(ctx, "endcall")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("kind = %v, want %v", e.Kind, tt.kind)
			}
			if e.HTTPStatus != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", e.HTTPStatus, tt.status)
			}
			if tt.body != "" && e.Body != tt.body {
				t.Errorf("Body = %q, want %q", e.Body, tt.body)
			}
			if len(e.Body) > maxBodyText {
				t.Errorf("Body is %d bytes, want <= %d", len(e.Body), maxBodyText)
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%v", errors.Unwrap(err))} {
				if strings.Contains(text, secret) {
					t.Errorf("passcode leaked: %s", text)
				}
			}
			msg := err.Error()
			if want := "gsapi: api-phone_operation on " + c.Host() + ": "; !strings.HasPrefix(msg, want) {
				t.Errorf("message %q does not start with %q", msg, want)
			}
			bare := (&Error{Kind: e.Kind, Function: e.Function, Host: e.Host}).Error()
			if bare != strings.ToLower(bare) {
				t.Errorf("message %q is not lower-case", bare)
			}
		})
	}
}

func TestTransportErrorsKeepTheirChain(t *testing.T) {
	c := newTestClient(t, stall, secret)
	c.timeout = 50 * time.Millisecond
	_, err := c.LineStatus(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "passcode=REDACTED") {
		t.Errorf("message %q should show the redacted url", err.Error())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.LineStatus(ctx)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want ErrTimeout wrapping context.Canceled", err)
	}
}

func TestRedactCoversEncodedPasscodes(t *testing.T) {
	in := `Get "http://h/cgi-bin/x?passcode=p%40ss%26w0rd&cmd=endcall": EOF; PASSCODE=abc def`
	want := `Get "http://h/cgi-bin/x?passcode=REDACTED&cmd=endcall": EOF; PASSCODE=REDACTED def`
	if got := redact(in); got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestErrorKindStrings(t *testing.T) {
	for k := KindRefused; k <= KindUnsupported; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "ErrorKind(") {
			t.Errorf("kind %d has no name", int(k))
		}
		if k.sentinel() == nil {
			t.Errorf("kind %v has no sentinel", k)
		}
	}
	if s := ErrorKind(99).String(); s != "ErrorKind(99)" {
		t.Errorf("unknown kind = %q", s)
	}
	if errors.Is(&Error{Kind: KindAuth}, ErrRefused) {
		t.Error("an auth error matched ErrRefused")
	}
}
