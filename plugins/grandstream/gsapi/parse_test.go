package gsapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

// fixed answers every request with status, content type and body.
func fixed(status int, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

func jsonClient(t *testing.T, body string) *Client {
	t.Helper()
	return newTestClient(t, fixed(200, "application/json", body), "admin")
}

func TestLineStatusParsesGuideExamples(t *testing.T) {
	ctx := context.Background()
	idle := func(n int) Line { return Line{Line: n, State: "idle"} }
	tests := []struct {
		name string
		body string
		want []Line
	}{
		{"general format with remotenum", guideGeneralLines, []Line{idle(1), idle(2), idle(3)}},
		{"gxp2135 example with remotenumner", guideLinesStraight,
			[]Line{{Line: 1, State: "connected", Active: true}, idle(2), idle(3)}},
		{"both spellings and numbers as strings",
			`{"response":"success","body":[{"line":"2","state":"ringing","acct":1,"remotename":"Bob","remotenumner":"2001","active":"1"},` +
				`{"line":1,"state":"connected","remotenum":"3001","remotenumner":"x","active":true}]}`,
			[]Line{{Line: 1, State: "connected", RemoteNumber: "3001", Active: true},
				{Line: 2, State: "ringing", Account: "1", RemoteName: "Bob", RemoteNumber: "2001", Active: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonClient(t, tt.body).LineStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCurlyQuotedGuideExampleIsBadResponse(t *testing.T) {
	_, err := jsonClient(t, guideLinesCurly).LineStatus(context.Background())
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err = %v, want ErrBadResponse (the guide's curly quotes are not json)", err)
	}
}

func TestStatusAnswersParseGuideExamples(t *testing.T) {
	ctx := context.Background()
	t.Run("phone status", func(t *testing.T) {
		for body, want := range map[string]string{guideAvailable: PhoneAvailable, guideBusy: PhoneBusy} {
			got, err := jsonClient(t, body).PhoneStatus(ctx)
			if err != nil || got != want {
				t.Errorf("PhoneStatus(%s) = %q, %v; want %q", body, got, err, want)
			}
		}
	})
	t.Run("accounts", func(t *testing.T) {
		got, err := jsonClient(t, guideAccounts).Accounts(ctx)
		want := []Account{
			{ID: 1, SIPServer: "testsipserver.com", SIPID: "1234", Name: "test_account", Registered: true},
			{ID: 2},
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Accounts = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("account status", func(t *testing.T) {
		for body, want := range map[string]AccountStatus{
			guideAcctReg:    {Account: 1, Registered: true, Profile: 1, Active: true, HSMode: "HS1"},
			guideAcctNotReg: {Account: 1, Profile: 1, HSMode: "HS1"},
		} {
			got, err := jsonClient(t, body).AccountStatus(ctx, 1)
			if err != nil || got != want {
				t.Errorf("AccountStatus(%s) = %+v, %v; want %+v", body, got, err, want)
			}
		}
	})
	t.Run("handset status", func(t *testing.T) {
		for body, want := range map[string]HandsetStatus{
			guideHSPaired:    {Handset: 1, Initialized: true, Subscribed: true, Status: "idle"},
			guideHSNotPaired: {Handset: 1},
		} {
			got, err := jsonClient(t, body).HandsetStatus(ctx, 1)
			if err != nil || got != want {
				t.Errorf("HandsetStatus(%s) = %+v, %v; want %+v", body, got, err, want)
			}
		}
	})
	t.Run("handset lines sorted by number", func(t *testing.T) {
		got, err := jsonClient(t, guideHSLines).HandsetLineStatus(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 {
			t.Fatalf("%d lines, want 10", len(got))
		}
		for i, l := range got {
			want := HSLine{Line: i + 1, Status: "idle"}
			if i == 0 {
				want = HSLine{Line: 1, Status: "idle", Account: 1, Registered: true, Active: true}
			}
			if l != want {
				t.Errorf("line %d = %+v, want %+v", i+1, l, want)
			}
		}
	})
	t.Run("wrong handset object is bad response", func(t *testing.T) {
		_, err := jsonClient(t, guideHSLines).HandsetLineStatus(ctx, 2)
		if !errors.Is(err, ErrBadResponse) {
			t.Errorf("err = %v, want ErrBadResponse", err)
		}
	})
}

func TestCommandAnswersParseGuideExamples(t *testing.T) {
	ctx := context.Background()
	ok := map[string]func(c *Client) error{
		"phone operation true": func(c *Client) error { return c.PhoneOperation(ctx, "endcall") },
		"make call spaced":     func(c *Client) error { return c.MakeCall(ctx, 1, "3501") },
		"device operation":     func(c *Client) error { return c.DeviceOperation(ctx, 1, 1, "holdcall") },
		"send key complete":    func(c *Client) error { return c.SendKeys(ctx, 0, []string{"SEND"}) },
		"general complete":     func(c *Client) error { return c.SendKeys(ctx, 1, []string{"OK"}) },
	}
	bodies := map[string]string{
		"phone operation true": guideTrue, "make call spaced": guideMakeCall, "device operation": guideTrue,
		"send key complete": guideKeyComplete, "general complete": guideComplete,
	}
	for name, call := range ok {
		if err := call(jsonClient(t, bodies[name])); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	refused := []struct {
		name, body, wantBody string
		call                 func(c *Client) error
	}{
		{"phone operation false", guideFalse, "false", func(c *Client) error { return c.PhoneOperation(ctx, "holdcall") }},
		{"device operation false", guideFalse, "false", func(c *Client) error { return c.DeviceOperation(ctx, 1, 0, "mute") }},
		{"send key unknown", guideKeyUnknown, "unknown", func(c *Client) error { return c.SendKeys(ctx, 0, []string{"HOLD"}) }},
		{"general failed", guideFailed, "failed", func(c *Client) error { _, err := c.AccountStatus(ctx, 1); return err }},
		{"sys unknown", guideSysUnknown, "unknown", func(c *Client) error { _, err := c.SysOperation(ctx, "RESET"); return err }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(jsonClient(t, tt.body))
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindRefused || e.Body != tt.wantBody {
				t.Fatalf("err = %#v, want KindRefused with body %q", err, tt.wantBody)
			}
			if !errors.Is(err, ErrRefused) {
				t.Error("errors.Is(err, ErrRefused) = false")
			}
		})
	}
}

func TestSysOperationReturnsGuideBodies(t *testing.T) {
	ctx := context.Background()
	for body, want := range map[string]string{guideSaveReboot: "savereboot", guideDirectReboot: "directreboot", guideReset: "reset"} {
		got, err := jsonClient(t, body).SysOperation(ctx, SysReboot)
		if err != nil || got != want {
			t.Errorf("SysOperation(%s) = %q, %v; want %q", body, got, err, want)
		}
	}
}

func TestUnexpectedShapesAreBadResponse(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, body string
		call       func(c *Client) error
	}{
		{"lines body is a string", guideComplete, func(c *Client) error { _, err := c.LineStatus(ctx); return err }},
		{"lines body missing", `{"response":"success"}`, func(c *Client) error { _, err := c.LineStatus(ctx); return err }},
		{"line number zero", `{"response":"success","body":[{"line":0}]}`, func(c *Client) error { _, err := c.LineStatus(ctx); return err }},
		{"phone status not a string", guideTrue, func(c *Client) error { _, err := c.PhoneStatus(ctx); return err }},
		{"accounts body is an object", `{"response":"success","body":{}}`, func(c *Client) error { _, err := c.Accounts(ctx); return err }},
		{"account object missing", guideTrue, func(c *Client) error { _, err := c.AccountStatus(ctx, 1); return err }},
		{"handset object is an array", `{"response":"success","HS1":[]}`, func(c *Client) error { _, err := c.HandsetStatus(ctx, 1); return err }},
		{"hs line is a string", `{"response":"success","HS1":{"Line1":"idle"}}`, func(c *Client) error { _, err := c.HandsetLineStatus(ctx, 1); return err }},
		{"response not a string", `{"response":1,"body":true}`, func(c *Client) error { return c.PhoneOperation(ctx, "cancel") }},
		{"response unknown word", `{"response":"maybe","body":true}`, func(c *Client) error { return c.PhoneOperation(ctx, "cancel") }},
		{"json array", `[1,2]`, func(c *Client) error { return c.PhoneOperation(ctx, "cancel") }},
		{"trailing garbage", `{"response":"success"}}`, func(c *Client) error { return c.PhoneOperation(ctx, "cancel") }},
		{"empty", ``, func(c *Client) error { return c.PhoneOperation(ctx, "cancel") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(jsonClient(t, tt.body))
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindBadResponse {
				t.Fatalf("err = %v, want KindBadResponse", err)
			}
		})
	}
}
