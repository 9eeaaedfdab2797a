package acmeapi_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ctihost/ctihost/examples/driver-template/acmeapi"
	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
)

func newPhone(t *testing.T, token string) (*acmesim.Phone, *acmeapi.Client) {
	t.Helper()
	phone := acmesim.NewPhone("right-token", 2)
	srv := httptest.NewServer(phone)
	t.Cleanup(srv.Close)
	c, err := acmeapi.New(strings.TrimPrefix(srv.URL, "http://"), token, srv.Client())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return phone, c
}

func lineState(t *testing.T, c *acmeapi.Client, line int) acmeapi.Line {
	t.Helper()
	st, err := c.State(t.Context())
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st.Lines[line-1]
}

func TestClientFollowsAnInboundCall(t *testing.T) {
	phone, c := newPhone(t, "right-token")
	if err := phone.RingIn("2001"); err != nil {
		t.Fatal(err)
	}
	if l := lineState(t, c, 1); l.State != acmeapi.Ringing || l.Remote != "2001" {
		t.Fatalf("line 1 = %+v, want ringing from 2001", l)
	}
	steps := []struct {
		name string
		do   func() error
		want acmeapi.LineState
	}{
		{"answer", func() error { return c.Answer(t.Context(), 1) }, acmeapi.Connected},
		{"hold", func() error { return c.Hold(t.Context(), 1) }, acmeapi.Held},
		{"hold again", func() error { return c.Hold(t.Context(), 1) }, acmeapi.Held},
		{"resume", func() error { return c.Resume(t.Context(), 1) }, acmeapi.Connected},
		{"hang up", func() error { return c.Hangup(t.Context(), 1) }, acmeapi.Idle},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := lineState(t, c, 1).State; got != s.want {
			t.Fatalf("after %s line 1 is %s, want %s", s.name, got, s.want)
		}
	}
}

func TestClientDialsAndSwitchesDND(t *testing.T) {
	phone, c := newPhone(t, "right-token")
	line, err := c.Dial(t.Context(), "3001")
	if err != nil || line != 1 {
		t.Fatalf("Dial = %d, %v", line, err)
	}
	// ACME API §5: dialing until the next read, then ringback.
	for _, want := range []acmeapi.LineState{acmeapi.Dialing, acmeapi.Ringback} {
		if l := lineState(t, c, 1); l.State != want || l.Remote != "3001" {
			t.Fatalf("line 1 = %+v, want %s to 3001", l, want)
		}
	}
	if err := phone.RemoteAnswer(); err != nil {
		t.Fatal(err)
	}
	if got := lineState(t, c, 1).State; got != acmeapi.Connected {
		t.Fatalf("after the far end answered: %s", got)
	}
	if err := c.SetDND(t.Context(), true); err != nil || !phone.DND() {
		t.Fatalf("SetDND(true): %v, phone dnd %v", err, phone.DND())
	}
	st, err := c.State(t.Context())
	if err != nil || !st.DND {
		t.Fatalf("State after SetDND = %+v, %v", st, err)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		call   func(c *acmeapi.Client, p *acmesim.Phone) error
		status int // 0: not a StatusError
		text   string
	}{
		{"wrong token, quoted back by the phone", "wrong-token", func(c *acmeapi.Client, _ *acmesim.Phone) error {
			_, err := c.State(t.Context())
			return err
		}, 401, `bad token "wrong-token"`},
		{"hold a ringing line", "right-token", func(c *acmeapi.Client, p *acmesim.Phone) error {
			_ = p.RingIn("2001")
			return c.Hold(t.Context(), 1)
		}, 409, "line 1 is ringing, not connected"},
		{"a line that does not exist", "right-token", func(c *acmeapi.Client, _ *acmesim.Phone) error {
			return c.Answer(t.Context(), 9)
		}, 404, "no line 9"},
		{"a number with letters", "right-token", func(c *acmeapi.Client, _ *acmesim.Phone) error {
			_, err := c.Dial(t.Context(), "12ab")
			return err
		}, 400, "number must be digits"},
		{"all lines busy", "right-token", func(c *acmeapi.Client, p *acmesim.Phone) error {
			_ = p.RingIn("2001")
			_ = p.RingIn("2002")
			_, err := c.Dial(t.Context(), "3001")
			return err
		}, 409, "all lines busy"},
		{"phone off the network", "right-token", func(c *acmeapi.Client, p *acmesim.Phone) error {
			p.SetReachable(false)
			_, err := c.State(t.Context())
			return err
		}, 0, "/state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phone, c := newPhone(t, tt.token)
			err := tt.call(c, phone)
			if err == nil {
				t.Fatal("no error")
			}
			var se *acmeapi.StatusError
			if isStatus := errors.As(err, &se); isStatus != (tt.status != 0) || (isStatus && se.StatusCode != tt.status) {
				t.Fatalf("error %v (%T), want http status %d", err, err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %q does not contain %q", err, tt.text)
			}
		})
	}
}

func TestNewAcceptsHostForms(t *testing.T) {
	for host, ok := range map[string]bool{
		"10.0.0.5": true, "10.0.0.5:8080": true, "http://10.0.0.5/api/": true, "https://phone.example": true,
		"http://": false, "": false,
	} {
		if _, err := acmeapi.New(host, "t", nil); (err == nil) != ok {
			t.Errorf("New(%q) error %v, want ok=%v", host, err, ok)
		}
	}
}
