package gsapi

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// guideBodies seed the response fuzzers.
var guideBodies = []string{
	guideComplete, guideFailed, guideGeneralLines, guideLinesCurly, guideLinesStraight, guideAvailable,
	guideBusy, guideTrue, guideFalse, guideAccounts, guideAcctReg, guideAcctNotReg, guideHSPaired,
	guideHSNotPaired, guideHSLines, guideMakeCall, guideKeyComplete, guideKeyUnknown, guideSaveReboot,
	guideDirectReboot, guideReset, `<html><body>login</body></html>`, `{"response":"error","body":"unauthorized"}`,
	`{"response":"success","body":[{"line":"1e3","active":"yes"}]}`, "\xef\xbb\xbf{\"response\":\"success\"}",
}

func FuzzParseEnvelope(f *testing.F) {
	for _, b := range guideBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(data)
		env2, err2 := parseEnvelope(data)
		if (err == nil) != (err2 == nil) || env.success != env2.success || string(env.body) != string(env2.body) {
			t.Fatalf("parseEnvelope is not deterministic")
		}
		if err != nil {
			if env.fields != nil || env.body != nil || env.success {
				t.Fatalf("error %v with a non-zero envelope", err)
			}
			return
		}
		if env.fields == nil {
			t.Fatal("success without fields")
		}
		if b, ok := env.fields["body"]; ok != (env.body != nil) || string(b) != string(env.body) {
			t.Fatal("body does not match fields[\"body\"]")
		}
		if !utf8.ValidString(bodyText(env.body)) || len(bodyText(env.body)) > maxBodyText {
			t.Fatal("bodyText is not bounded valid utf-8")
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, b := range guideBodies {
		f.Add(200, "application/json", []byte(b))
	}
	f.Add(401, "text/html", []byte("denied"))
	f.Add(404, "", []byte{})
	f.Add(500, "text/plain", []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, status int, contentType string, data []byte) {
		env, e := decodeResponse(status, contentType, data)
		if e == nil {
			if status < 200 || status > 299 || !env.success {
				t.Fatalf("no error for status %d success %v", status, env.success)
			}
			return
		}
		if e.Kind < KindRefused || e.Kind > KindUnsupported {
			t.Fatalf("invalid kind %d", e.Kind)
		}
		if !errors.Is(e, e.Kind.sentinel()) {
			t.Fatal("error does not match its sentinel")
		}
		if len(e.Body) > maxBodyText || !utf8.ValidString(e.Body) {
			t.Fatalf("Body %q is not bounded valid utf-8", e.Body)
		}
		e.Function, e.Host = "api-x", "h"
		if msg := e.Error(); !strings.HasPrefix(msg, "gsapi: api-x on h: ") {
			t.Fatalf("message %q", msg)
		}
		switch {
		case status == 401 || status == 403:
			if e.Kind != KindAuth {
				t.Fatalf("status %d gave %v", status, e.Kind)
			}
		case status == 404:
			if e.Kind != KindUnsupported {
				t.Fatalf("status 404 gave %v", e.Kind)
			}
		case status < 200 || status > 299:
			if e.Kind != KindBadResponse {
				t.Fatalf("status %d gave %v", status, e.Kind)
			}
		}
	})
}

func FuzzParseLines(f *testing.F) {
	for _, b := range guideBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(data)
		if err != nil {
			return
		}
		lines, err := parseLines(env.body)
		if err != nil {
			if lines != nil {
				t.Fatal("lines with an error")
			}
			return
		}
		if !slices.IsSortedFunc(lines, func(a, b Line) int { return a.Line - b.Line }) {
			t.Fatal("lines not sorted")
		}
		for _, l := range lines {
			if l.Line < 1 {
				t.Fatalf("line number %d", l.Line)
			}
		}
		if _, err := parseAccounts(env.body); err == nil && env.body == nil {
			t.Fatal("accounts parsed from a missing body")
		}
		if s, err := parsePhoneStatus(env.body); err == nil && s == "" {
			t.Fatal("empty phone status without error")
		}
	})
}

func FuzzParseDPStatus(f *testing.F) {
	for _, b := range guideBodies {
		f.Add([]byte(b), 1)
	}
	f.Add([]byte(`{"response":"success","HS2":{"Line3":{},"Line03":{}}}`), 2)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		env, err := parseEnvelope(data)
		if err != nil {
			return
		}
		if st, err := parseAccountStatus(env, n); err == nil && st.Account != n {
			t.Fatalf("account %d for %d", st.Account, n)
		} else if err != nil && st != (AccountStatus{}) {
			t.Fatal("account status with an error")
		}
		if st, err := parseHandsetStatus(env, n); err == nil && st.Handset != n {
			t.Fatalf("handset %d for %d", st.Handset, n)
		} else if err != nil && st != (HandsetStatus{}) {
			t.Fatal("handset status with an error")
		}
		lines, err := parseHSLines(env, n)
		if err != nil {
			if lines != nil {
				t.Fatal("lines with an error")
			}
			return
		}
		for i, l := range lines {
			if l.Line < 1 || (i > 0 && l.Line <= lines[i-1].Line) {
				t.Fatalf("lines not strictly increasing: %+v", lines)
			}
		}
	})
}

func FuzzNormalizeKeys(f *testing.F) {
	for _, s := range []string{"1:0:0:0", "1:0:0:0:#", "FLASH", "line1:SEND", "hash:star:*", "LINE9", "", "ok:OFFHOOK"} {
		f.Add(1, s)
		f.Add(2, s)
	}
	f.Fuzz(func(t *testing.T, fam int, joined string) {
		family := Family(fam)
		keys := strings.Split(joined, ":")
		out, err := NormalizeKeys(family, keys)
		valid := (family == FamilyGXP || family == FamilyDP) && len(keys) <= maxKeys
		for _, k := range keys {
			u := strings.ToUpper(strings.TrimSpace(k))
			if (family == FamilyGXP && !gxpKeys[u]) || (family == FamilyDP && !dpKeys[u]) {
				valid = false
			}
		}
		if valid != (err == nil) {
			t.Fatalf("NormalizeKeys(%v, %q) err = %v, want valid=%v", family, keys, err, valid)
		}
		if err != nil {
			if out != nil || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error %v with output %q", err, out)
			}
			return
		}
		if len(out) != len(keys) {
			t.Fatalf("%d keys in, %d out", len(keys), len(out))
		}
		for _, k := range out {
			if k != strings.ToUpper(k) || !ValidWireKey(family, k) {
				t.Fatalf("output key %q is not a valid upper-case wire key", k)
			}
			if strings.Contains(encodeKeys([]string{k}), "#") {
				t.Fatalf("key %q would put a raw # in the url", k)
			}
		}
	})
}
