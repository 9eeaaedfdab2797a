package gsapi

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
	"testing/iotest"
	"time"
)

// recorder is a fake phone that records request URIs and answers each
// function with a guide example.
type recorder struct {
	mu   sync.Mutex
	uris []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.uris = append(r.uris, req.URL.Path+"?"+req.URL.RawQuery)
	r.mu.Unlock()
	body := map[string]string{
		"/cgi-bin/api-get_line_status":    guideLinesStraight,
		"/cgi-bin/api-get_phone_status":   guideAvailable,
		"/cgi-bin/api-phone_operation":    guideTrue,
		"/cgi-bin/api-get_accounts":       guideAccounts,
		"/cgi-bin/api-get_account_status": guideAcctReg,
		"/cgi-bin/api-get_hs_status":      guideHSPaired,
		"/cgi-bin/api-get_hs_line_status": guideHSLines,
		"/cgi-bin/api-make_call":          guideMakeCall,
		"/cgi-bin/api-device_operation":   guideTrue,
		"/cgi-bin/api-send_key":           guideKeyComplete,
		"/cgi-bin/api-sys_operation":      guideSaveReboot,
	}[req.URL.Path]
	if body == "" {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

func (r *recorder) last(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.uris) == 0 {
		t.Fatal("no request reached the phone")
	}
	return r.uris[len(r.uris)-1]
}

// guideRequestURI returns path?query of a guide URL, without the spaces of
// the guide's line wrapping.
func guideRequestURI(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(strings.ReplaceAll(raw, " ", ""))
	if err != nil {
		t.Fatalf("guide url %q: %v", raw, err)
	}
	return u.Path + "?" + u.RawQuery
}

func newTestClient(t *testing.T, h http.Handler, passcode string) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{Host: strings.TrimPrefix(srv.URL, "http://"), Passcode: passcode, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientSendsGuideURLsByteForByte(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, "admin")
	ctx := context.Background()
	keys := func(hs int, k ...string) func() error {
		return func() error { return c.SendKeys(ctx, hs, k) }
	}
	op := func(cmd string) func() error { return func() error { return c.PhoneOperation(ctx, cmd) } }
	dev := func(line int, cmd string) func() error {
		return func() error { return c.DeviceOperation(ctx, 1, line, cmd) }
	}
	calls := map[string]func() error{
		guideURLs[0]:  func() error { _, err := c.LineStatus(ctx); return err },
		guideURLs[1]:  func() error { _, err := c.PhoneStatus(ctx); return err },
		guideURLs[2]:  op("endcall"),
		guideURLs[3]:  op("holdcall"),
		guideURLs[4]:  op("ACCEPTCALL"),
		guideURLs[5]:  op("rejectcall"),
		guideURLs[6]:  op("cancel"),
		guideURLs[7]:  func() error { _, err := c.Accounts(ctx); return err },
		guideURLs[8]:  func() error { _, err := c.AccountStatus(ctx, 1); return err },
		guideURLs[9]:  func() error { _, err := c.HandsetStatus(ctx, 1); return err },
		guideURLs[10]: func() error { _, err := c.HandsetLineStatus(ctx, 1); return err },
		guideURLs[11]: func() error { return c.MakeCall(ctx, 1, "3501") },
		guideURLs[12]: dev(1, "endcall"),
		guideURLs[13]: dev(1, "holdcall"),
		guideURLs[14]: dev(1, "unholdcall"),
		guideURLs[15]: dev(1, "acceptcall"),
		guideURLs[16]: dev(1, "rejectcall"),
		guideURLs[17]: dev(1, "cancel"),
		guideURLs[18]: dev(3, "mute"), // the line is not sent for mute
		guideURLs[19]: dev(0, "speaker"),
		guideURLs[20]: dev(0, "setdnd"),
		guideURLs[21]: dev(0, "unsetdnd"),
		guideURLs[22]: keys(0, "speaker"),
		guideURLs[23]: keys(1, "SPEAKER"),
		guideURLs[24]: keys(0, "XFER"),
		guideURLs[25]: keys(0, "VUP"),
		guideURLs[26]: keys(0, "VDOWN"),
		guideURLs[27]: keys(0, "MUTE"),
		guideURLs[28]: keys(1, "mute"),
		guideURLs[29]: keys(0, "HOLD"),
		guideURLs[30]: keys(0, "1", "0", "0", "0"),
		guideURLs[31]: keys(1, "1", "0", "0", "0", "#"), // '#' becomes HASH on DP
		guideURLs[32]: keys(0, "LINE1"),
		guideURLs[33]: keys(0, "CONF"),
		guideURLs[34]: keys(0, "VM"),
		guideURLs[35]: keys(0, "HEADSET"),
		guideURLs[36]: keys(0, "DND"),
		guideURLs[37]: keys(0, "SEND"),
		guideURLs[38]: keys(0, "soft1"),
		guideURLs[39]: keys(0, "MPK1"),
		guideURLs[40]: keys(1, "LEFT_SOFT_KEY"),
		guideURLs[41]: keys(1, "RIGHT_SOFT_KEY"),
		guideURLs[42]: keys(1, "*"), // '*' becomes STAR on DP
		guideURLs[43]: keys(1, "ONHOOK"),
		guideURLs[44]: keys(1, "OFFHOOK"),
		guideURLs[45]: keys(1, "OK"),
		guideURLs[46]: keys(1, "LOCK"),
		guideURLs[47]: keys(1, "UNLOCK"),
		guideURLs[48]: keys(1, "UP"),
		guideURLs[49]: keys(1, "DOWN"),
		guideURLs[50]: keys(1, "LEFT"),
		guideURLs[51]: keys(1, "RIGHT"),
		guideURLs[52]: func() error { _, err := c.SysOperation(ctx, "reboot"); return err },
		guideURLs[53]: func() error { _, err := c.SysOperation(ctx, "RESET"); return err },
	}
	if len(calls) != len(guideURLs) {
		t.Fatalf("%d calls for %d guide urls", len(calls), len(guideURLs))
	}
	for _, gu := range guideURLs {
		t.Run(guideRequestURI(t, gu), func(t *testing.T) {
			if err := calls[gu](); err != nil {
				t.Fatalf("call: %v", err)
			}
			if got, want := rec.last(t), guideRequestURI(t, gu); got != want {
				t.Errorf("sent %q, guide shows %q", got, want)
			}
		})
	}
}

func TestClientEscapesQuirks(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, "p@ss&w0rd#1")
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"gxp hash travels as %23", func() error { return c.SendKeys(ctx, 0, []string{"1", "0", "#"}) },
			"/cgi-bin/api-send_key?passcode=p%40ss%26w0rd%231&keys=1:0:%23"},
		{"gxp star stays raw", func() error { return c.SendKeys(ctx, 0, []string{"*", "9", "7"}) },
			"/cgi-bin/api-send_key?passcode=p%40ss%26w0rd%231&keys=*:9:7"},
		{"dp star and hash become words", func() error { return c.SendKeys(ctx, 2, []string{"*", "hash", "#"}) },
			"/cgi-bin/api-send_key?passcode=p%40ss%26w0rd%231&hs=2&keys=STAR:HASH:HASH"},
		{"phone number is percent-encoded, star literal", func() error { return c.MakeCall(ctx, 1, "+49#1*2") },
			"/cgi-bin/api-make_call?passcode=p%40ss%26w0rd%231&hs=1&phonenumber=%2B49%231*2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(t); got != tt.want {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientRejectsInvalidArgumentsWithoutRequest(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, "admin")
	ctx := context.Background()
	tests := map[string]func() error{
		"unknown phone cmd":        func() error { return c.PhoneOperation(ctx, "unholdcall") },
		"unknown device cmd":       func() error { return c.DeviceOperation(ctx, 1, 1, "reboot") },
		"line cmd without line":    func() error { return c.DeviceOperation(ctx, 1, 0, "endcall") },
		"device op handset 0":      func() error { return c.DeviceOperation(ctx, 0, 1, "endcall") },
		"make call empty number":   func() error { return c.MakeCall(ctx, 1, "") },
		"make call bad number":     func() error { return c.MakeCall(ctx, 1, "12 34") },
		"make call handset 0":      func() error { return c.MakeCall(ctx, 0, "3501") },
		"flash key":                func() error { return c.SendKeys(ctx, 0, []string{"FLASH"}) },
		"dp key on gxp":            func() error { return c.SendKeys(ctx, 0, []string{"ONHOOK"}) },
		"no keys":                  func() error { return c.SendKeys(ctx, 0, nil) },
		"negative handset":         func() error { return c.SendKeys(ctx, -1, []string{"1"}) },
		"unknown sys request":      func() error { _, err := c.SysOperation(ctx, "SHUTDOWN"); return err },
		"account 0":                func() error { _, err := c.AccountStatus(ctx, 0); return err },
		"hs status handset 0":      func() error { _, err := c.HandsetStatus(ctx, 0); return err },
		"hs line status handset 0": func() error { _, err := c.HandsetLineStatus(ctx, -2); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "gsapi: ") {
				t.Errorf("message %q does not start with gsapi:", msg)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.uris) != 0 {
		t.Errorf("invalid calls reached the phone: %q", rec.uris)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := []string{"192.168.5.135", "192.168.5.135:8080", "phone.local", "[fe80::1]:80", " 10.0.0.1 "}
	for _, h := range good {
		c, err := New(Config{Host: h, Passcode: "admin"})
		if err != nil {
			t.Errorf("New(%q): %v", h, err)
			continue
		}
		if c.timeout != DefaultTimeout {
			t.Errorf("New(%q) timeout = %v, want %v", h, c.timeout, DefaultTimeout)
		}
		if c.Host() != strings.TrimSpace(h) {
			t.Errorf("Host() = %q, want %q", c.Host(), strings.TrimSpace(h))
		}
	}
	bad := []string{"", "http://192.168.5.135", "192.168.5.135/cgi-bin", "user@phone", "phone:", "phone:99999",
		"phone:abc", "pho ne", "phone?x=1", "phone#frag"}
	for _, h := range bad {
		if _, err := New(Config{Host: h, Passcode: "admin"}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("New(%q) err = %v, want ErrInvalidArgument", h, err)
		}
	}
	if _, err := New(Config{Host: "phone"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty passcode: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := New(Config{Host: "phone", Passcode: "x", Timeout: -time.Second}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative timeout: err = %v, want ErrInvalidArgument", err)
	}
}

func TestClientIsSafeForConcurrentUse(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, "admin")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.LineStatus(ctx)
				errs <- err
				return
			}
			errs <- c.SendKeys(ctx, 0, []string{"1", "#"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.uris) != 32 {
		t.Errorf("%d requests, want 32", len(rec.uris))
	}
}

// readAnswer reads what io.ReadAll reads, whatever the announced length.
func TestReadAnswerMatchesReadAll(t *testing.T) {
	for _, body := range []string{"", "x", strings.Repeat("a", 511), strings.Repeat("b", 512), strings.Repeat("c", 5000)} {
		for _, length := range []int64{-1, 0, int64(len(body)), int64(len(body)) / 2, int64(len(body)) + 10, maxAnswer + 1} {
			got, err := readAnswer(iotest.OneByteReader(strings.NewReader(body)), length)
			if err != nil || string(got) != body {
				t.Errorf("body of %d bytes, announced %d: read %d bytes, %v", len(body), length, len(got), err)
			}
			got, err = readAnswer(strings.NewReader(body), length)
			if err != nil || string(got) != body {
				t.Errorf("body of %d bytes, announced %d: read %d bytes, %v", len(body), length, len(got), err)
			}
		}
	}
	if _, err := readAnswer(iotest.ErrReader(io.ErrUnexpectedEOF), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a failing reader: %v, want its error", err)
	}
}

// A passcode with a space travels as %20: a server that only
// percent-decodes would read form encoding's "+" as a plus.
func TestPasscodeSpaceIsPercentEncoded(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, "my pass*word")
	if err := c.SendKeys(context.Background(), 0, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.last(t), "/cgi-bin/api-send_key?passcode=my%20pass*word&keys=1"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}
