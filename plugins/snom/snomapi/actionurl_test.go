package snomapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// substitute replaces $variables in an action URL as the phone does: as
// plain text, longest names first, unknown ones left alone.
func substitute(u string, vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		u = strings.ReplaceAll(u, n, vars[n])
	}
	return u
}

// fired returns the raw query the phone sends for an action URL: the part
// before any "#" (the URL's fragment is not sent).
func fired(t *testing.T, u string, vars map[string]string) string {
	t.Helper()
	s := substitute(u, vars)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	_, q, ok := strings.Cut(s, "?")
	if !ok {
		t.Fatalf("no query in %q", s)
	}
	return q
}

var callVars = map[string]string{
	"$csta_id": "-18", "$call-id": "3c2a@10.0.0.5", "$nr_ongoing_calls": "1", "$mac": "000413A1B2C3",
	"$phone_ip": "10.0.0.5", "$active_user": "201", "$active_host": "pbx.example", "$active_url": "sip:201@pbx.example",
	"$local": "sip:201@pbx.example", "$remote": "sip:+4930123@pbx.example", "$display_remote": "Müller & Söhne = 100%",
}

func TestActionURL(t *testing.T) {
	const want = "http://10.0.0.9:8080/snom/cb?event=incoming&token=t0k-EN.1&csta_id=$csta_id&call_id=$call-id&calls=$nr_ongoing_calls" +
		"&mac=$mac&phone_ip=$phone_ip&active_user=$active_user&active_host=$active_host&active_url=$active_url" +
		"&local=$local&remote=$remote&display_remote=$display_remote"
	if got := ActionURL("http://10.0.0.9:8080/snom/cb", "incoming", "t0k-EN.1"); got != want {
		t.Fatalf("ActionURL =\n%s\nwant\n%s", got, want)
	}
	got := ActionURL("http://h/cb/$dev?site=a&#frag", "hold", "a b")
	if !strings.HasPrefix(got, "http://h/cb/%24dev?site=a&event=hold&token=a%20b&csta_id=") {
		t.Fatalf("ActionURL with a query, a $ and a fragment = %s", got)
	}
	if got := ActionURL("http://h/cb?", "hold", "t"); !strings.HasPrefix(got, "http://h/cb?event=hold&") {
		t.Fatalf("ActionURL after a bare ? = %s", got)
	}
	settings := ActionSettings("http://h/cb", "t")
	if len(settings) != 13 || settings[0].Name != "action_incoming_url" || settings[12].Name != "action_fwtest_url" ||
		!strings.Contains(settings[12].Value, "event=fwtest&") {
		t.Fatalf("ActionSettings = %v", settings)
	}
	for _, s := range settings {
		if !validSettingName(s.Name) {
			t.Fatalf("setting %q", s.Name)
		}
	}
}

func TestParseCallback(t *testing.T) {
	u := ActionURL("http://10.0.0.9/cb?site=berlin", "incoming", "tok")
	cb, err := ParseCallback("GET", fired(t, u, callVars), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Callback{Event: "incoming", Token: "tok", CSTAID: "-18", CallID: "3c2a@10.0.0.5", OngoingCalls: 1, MAC: "000413A1B2C3",
		PhoneIP: "10.0.0.5", ActiveUser: "201", ActiveHost: "pbx.example", ActiveURL: "sip:201@pbx.example",
		Local: "sip:201@pbx.example", Remote: "sip:+4930123@pbx.example", DisplayRemote: "Müller & Söhne = 100%"}
	if cb != want {
		t.Fatalf("callback\n%+v\nwant\n%+v", cb, want)
	}
	if !cb.TokenMatches("tok") || cb.TokenMatches("tok2") || cb.TokenMatches("") {
		t.Fatal("TokenMatches")
	}

	t.Run("empty values and unreplaced variables", func(t *testing.T) {
		q := fired(t, ActionURL("http://h/cb", "offhook", "tok"), map[string]string{"$csta_id": "", "$mac": "00:04:13:a1:b2:c3"})
		cb, err := ParseCallback("GET", q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cb.CSTAID != "" || cb.Remote != "" || cb.OngoingCalls != -1 || cb.MAC != "000413A1B2C3" || cb.Truncated {
			t.Fatalf("%+v", cb)
		}
	})
	t.Run("percent-encoded values", func(t *testing.T) {
		q := fired(t, ActionURL("http://h/cb", "connected", "tok"), map[string]string{"$remote": "sip%3A%2B49%40pbx", "$display_remote": "A%20B"})
		cb, err := ParseCallback("GET", q, nil)
		if err != nil || cb.Remote != "sip:+49@pbx" || cb.DisplayRemote != "A B" {
			t.Fatalf("%+v %v", cb, err)
		}
	})
	t.Run("a hash cuts the query", func(t *testing.T) {
		q := fired(t, ActionURL("http://h/cb", "outgoing", "tok"), map[string]string{"$csta_id": "-4", "$remote": "sip:*31#200@pbx"})
		cb, err := ParseCallback("GET", q, nil)
		if err != nil || !cb.Truncated || cb.CSTAID != "-4" || cb.Remote != "sip:*31" || cb.DisplayRemote != "" {
			t.Fatalf("%+v %v", cb, err)
		}
	})
	t.Run("control characters and invalid utf-8", func(t *testing.T) {
		q := fired(t, ActionURL("http://h/cb", "missed", "tok"), map[string]string{"$display_remote": "a%00b\xffc"})
		cb, err := ParseCallback("GET", q, nil)
		if err != nil || cb.DisplayRemote != "a\uFFFDb\uFFFDc" {
			t.Fatalf("%q %v", cb.DisplayRemote, err)
		}
	})
	t.Run("post body", func(t *testing.T) {
		q := fired(t, ActionURL("http://h/cb", "hold", "tok"), callVars)
		cb, err := ParseCallback("POST", "", []byte(q))
		if err != nil || cb.Event != "hold" || cb.CSTAID != "-18" {
			t.Fatalf("%+v %v", cb, err)
		}
	})
	t.Run("from a request", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/cb?"+fired(t, ActionURL("http://h/cb", "fwtest", "tok"), nil), nil)
		cb, err := ParseCallbackRequest(r)
		if err != nil || cb.Event != "fwtest" {
			t.Fatalf("%+v %v", cb, err)
		}
	})
}

func TestParseCallbackRefuses(t *testing.T) {
	good := fired(t, ActionURL("http://h/cb", "incoming", "tok"), callVars)
	with := func(v string, val string) string {
		vars := map[string]string{}
		for k, x := range callVars {
			vars[k] = x
		}
		vars[v] = val
		return fired(t, ActionURL("http://h/cb", "incoming", "tok"), vars)
	}
	for name, tc := range map[string]struct{ method, query string }{
		"method":        {"PUT", good},
		"too long":      {"GET", good + "&x=" + strings.Repeat("a", MaxCallbackQuery)},
		"no event":      {"GET", "token=tok"},
		"no token":      {"GET", "event=incoming&csta_id=1"},
		"unknown event": {"GET", strings.Replace(good, "event=incoming", "event=ringing", 1)},
		"empty token":   {"GET", strings.Replace(good, "token=tok", "token=", 1)},
		"token chars":   {"GET", strings.Replace(good, "token=tok", "token=t%20k", 1)},
		"csta_id":       {"GET", with("$csta_id", "abc")},
		"calls":         {"GET", with("$nr_ongoing_calls", "many")},
		"mac":           {"GET", with("$mac", "0004")},
		"phone_ip":      {"GET", with("$phone_ip", "10.0.0.300")},
		"long value":    {"GET", with("$remote", strings.Repeat("a", maxCallbackValue+1))},
		"empty":         {"GET", ""},
	} {
		if _, err := ParseCallback(tc.method, tc.query, nil); !errors.Is(err, ErrInvalidCallback) {
			t.Errorf("%s: err = %v, want ErrInvalidCallback", name, err)
		}
	}
	// A token in an error message is redacted by the SDK's URL redaction.
	if got := (&Error{Op: "x", Err: errors.New(ActionURL("http://h/cb", "hold", "secret-token"))}).Error(); strings.Contains(got, "secret-token") {
		t.Fatalf("token in %q", got)
	}
	if _, err := url.ParseQuery(good); err != nil {
		t.Logf("note: net/url cannot split this query (%v); ParseCallback can", err)
	}
}
