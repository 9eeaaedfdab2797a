package snomapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// docBodies seed the response fuzzer: every CSTA body of the document,
// verbatim and with namespaces filled, and a few near misses.
func docBodies() []string {
	bodies := []string{docAnswerCallCallID, docAnswerCallLegacy, docPOSTBody, docGetSettings, docSetSettings, docXmlPush, docFireTest}
	bodies = append(bodies, docSuccessForms...)
	bodies = append(bodies, docErrorForms...)
	for _, r := range docResponses {
		bodies = append(bodies, r)
	}
	n := len(bodies)
	for _, b := range bodies[:n] {
		bodies = append(bodies, fillNamespaces(b))
	}
	return append(bodies, "", "<html/>", `<CSTAErrorCode><stateIncompatibility>x</stateIncompatibility></CSTAErrorCode>`,
		`<!DOCTYPE a><a/>`, `<a><b></a>`, `<a:b xmlns:a="">&#0;</a:b>`)
}

func FuzzParseResponse(f *testing.F) {
	for _, b := range docBodies() {
		f.Add(200, []byte(b))
		f.Add(500, []byte(b))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		m, err := ParseResponse(status, body)
		m2, err2 := ParseResponse(status, body)
		if (err == nil) != (err2 == nil) || (m == nil) != (m2 == nil) {
			t.Fatal("ParseResponse is not deterministic")
		}
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m, err)
		}
		if err == nil {
			if !strings.HasSuffix(m.Name(), "Response") || status < 200 || status > 299 {
				t.Fatalf("success %s with status %d", m.Name(), status)
			}
			for _, s := range m.Settings() {
				if s.Name == "" || s.Name != strings.TrimSpace(s.Name) || s.Value != strings.TrimSpace(s.Value) {
					t.Fatalf("setting %q not trimmed", s)
				}
			}
			return
		}
		var ce *CSTAError
		var e *Error
		switch {
		case errors.As(err, &ce):
			for _, s := range []string{ce.Category, ce.Operation, ce.FaultCode, ce.FaultString} {
				if len(s) > maxBodyText || !utf8.ValidString(s) {
					t.Fatalf("unbounded or invalid text %q", s)
				}
			}
			if c := ce.Class(); c < ClassUnknown || c > ClassDenied || ce.HTTPStatus != status || !errors.Is(err, ErrCSTA) {
				t.Fatalf("bad csta error %+v", ce)
			}
			_ = ce.Error()
		case errors.As(err, &e):
			if e.Kind != KindBadResponse || len(e.Body) > maxBodyText || !utf8.ValidString(e.Body) {
				t.Fatalf("bad error %+v", e)
			}
			_ = e.Error()
		default:
			t.Fatalf("error of type %T", err)
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	for _, ev := range ActionEvents {
		u := ActionURL("http://10.0.0.9/cb?site=a", ev.Event, "tok")
		f.Add("GET", u[strings.IndexByte(u, '?')+1:], []byte(nil))
		f.Add("GET", substitute(u[strings.IndexByte(u, '?')+1:], callVars), []byte(nil))
	}
	f.Add("POST", "", []byte("event=hold&token=t&csta_id=-2"))
	f.Add("GET", "event=incoming&token=t&csta_id=%zz&remote=a&b=c#d", []byte(nil))
	f.Add("GET", "event=&token=", []byte(nil))
	f.Fuzz(func(t *testing.T, method, rawQuery string, body []byte) {
		cb, err := ParseCallback(method, rawQuery, body)
		if err != nil {
			if !errors.Is(err, ErrInvalidCallback) || cb != (Callback{}) {
				t.Fatalf("error %v with callback %+v", err, cb)
			}
			return
		}
		if !knownEvent(cb.Event) || cb.Token == "" || len(cb.Token) > maxToken || !cb.TokenMatches(cb.Token) {
			t.Fatalf("event %q token %q", cb.Event, cb.Token)
		}
		if cb.CSTAID != "" && checkCallID("", "", cb.CSTAID) != nil {
			t.Fatalf("csta id %q", cb.CSTAID)
		}
		if len(cb.MAC) != 0 && len(cb.MAC) != 12 || cb.OngoingCalls < -1 || cb.OngoingCalls > 999 {
			t.Fatalf("mac %q calls %d", cb.MAC, cb.OngoingCalls)
		}
		for _, s := range []string{cb.CallID, cb.PhoneIP, cb.ActiveUser, cb.ActiveHost, cb.ActiveURL, cb.Local, cb.Remote, cb.DisplayRemote} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("value %q is not clean text", s)
			}
		}
	})
}

func FuzzKeys(f *testing.F) {
	for _, s := range []string{"OFFHOOK", "1,100,200;%23;%2A,50", "#;*", "F_HOLD;1;2;TRANSFER", "EK0", "P256", "cancel", "1,0", "1;;2", "%zz", "P1%3BP2"} {
		f.Add(s, int64(0), int64(0))
	}
	f.Add("#", int64(100), int64(200))
	f.Fuzz(func(t *testing.T, s string, press, pause int64) {
		// ParseKeys then EncodeKeys then ParseKeys gives the same events.
		if events, err := ParseKeys(s); err == nil {
			enc, err := EncodeKeys(events)
			if err != nil {
				t.Fatalf("ParseKeys(%q) = %v, which EncodeKeys refuses: %v", s, events, err)
			}
			if strings.ContainsAny(enc, "#*+ ") {
				t.Fatalf("encoding %q has a raw # * + or space", enc)
			}
			again, err := ParseKeys(enc)
			if err != nil || !reflect.DeepEqual(again, events) {
				t.Fatalf("round trip of %q: %q gives %v, %v", s, enc, again, err)
			}
		} else if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("error %v", err)
		}
		// EncodeKeys of an arbitrary event, then ParseKeys, gives it back.
		ev := []KeyEvent{{Key: s, Press: time.Duration(press) * time.Millisecond, Pause: time.Duration(pause) * time.Millisecond}}
		enc, err := EncodeKeys(ev)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error %v", err)
			}
			return
		}
		got, err := ParseKeys(enc)
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Fatalf("EncodeKeys(%v) = %q, which ParseKeys reads as %v, %v", ev, enc, got, err)
		}
	})
}
