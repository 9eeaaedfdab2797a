package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"passcode in the query", "http://10.0.0.5/cgi-bin/api-make_call?phonenumber=100&passcode=hunter2",
			"http://10.0.0.5/cgi-bin/api-make_call?phonenumber=100&passcode=REDACTED"},
		{"parameter names in any case", "http://h/x?Token=abc&API_KEY=def&apikey=ghi&pwd=jkl",
			"http://h/x?Token=REDACTED&API_KEY=REDACTED&apikey=REDACTED&pwd=REDACTED"},
		{"userinfo password", "https://admin:hunter2@10.0.0.5/state", "https://admin:REDACTED@10.0.0.5/state"},
		{"userinfo without password is kept", "https://admin@10.0.0.5/state", "https://admin@10.0.0.5/state"},
		{"userinfo password inside a message", `Get "http://admin:hunter2@10.0.0.5/state": EOF`,
			`Get "http://admin:REDACTED@10.0.0.5/state": EOF`},
		{"quoted value of a log line", `[INFO]  x: refused: token="a \"b\" c" line=1`, `[INFO]  x: refused: token=REDACTED line=1`},
		{"nothing secret", "http://10.0.0.5/state?line=1", "http://10.0.0.5/state?line=1"},
		{"not a url", "dial tcp 10.0.0.5:80: connection refused", "dial tcp 10.0.0.5:80: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Fatalf("RedactURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactURLErrorText(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "http://10.0.0.5/cgi-bin/api.values.get?request=P1&passcode=hunter2", Err: errors.New("dial tcp: i/o timeout")}
	got := RedactURL(err.Error())
	if strings.Contains(got, "hunter2") {
		t.Fatalf("secret left in %q", got)
	}
	if !strings.Contains(got, "request=P1") || !strings.Contains(got, "i/o timeout") {
		t.Fatalf("redaction removed more than the secret: %q", got)
	}
}

func TestRedactor(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		gone    []string // must not appear in the output
		kept    string   // must appear in the output
	}{
		{"verbatim secret", []string{"s3cr3t!"}, "device said: bad token s3cr3t! for admin", []string{"s3cr3t!"}, "for admin"},
		{"query-escaped secret", []string{"p@ss w0rd&x"}, "GET /api?auth=" + url.QueryEscape("p@ss w0rd&x") + "&line=1", []string{"p%40ss+w0rd%26x"}, "line=1"},
		{"path-escaped secret", []string{"p@ss w0rd"}, "GET /login/" + url.PathEscape("p@ss w0rd") + "/state", []string{url.PathEscape("p@ss w0rd")}, "/state"},
		{"secret url parameter without known value", nil, "GET /x?passcode=1234", []string{"1234"}, "passcode=REDACTED"},
		{"short secrets are ignored", []string{"ab"}, "table cab", nil, "table cab"},
		{"longest secret first", []string{"abc", "abcdef"}, "x abcdef y", []string{"def"}, "x REDACTED y"},
		{"a secret inside the marker", []string{"ACT"}, "ACT ACT", []string{"ACT"}, "*** ***"},
		{"a secret rebuilt by the replacement", []string{"Dab"}, "Dabab", []string{"Dab"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewRedactor(tt.secrets...).Redact(tt.in)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("Redact(%q) = %q still contains %q", tt.in, got, g)
				}
			}
			if !strings.Contains(got, tt.kept) {
				t.Errorf("Redact(%q) = %q, want it to keep %q", tt.in, got, tt.kept)
			}
		})
	}
	var zero *Redactor
	if got := zero.Redact("x?token=1"); got != "x?token=REDACTED" {
		t.Errorf("nil Redactor: %q", got)
	}
}

// TestRedactorQuotedForms renders a text around secrets that need escaping
// in each way a secret reaches a log or an error (fmt's %q and %+q, JSON,
// hclog's text and JSON formats, and one inside the other), and expects
// exactly the text rendered around the marker instead.
func TestRedactorQuotedForms(t *testing.T) {
	secrets := []string{
		`pa"ss\word`,        // escaped by every quoting
		`<p&ss>'x`,          // JSON's HTML escaping
		"pässwörd",          // %+q and QuoteToASCII
		"emoji\U0001F600pw", // \U escapes
		"tab\tand\x01ctl",   // control characters
		"sp ace\u2028ls",    // JSON always escapes U+2028
		"del\x7fthis",       // DEL
	}
	jsonOf := func(v any, html bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	logged := func(json bool, log func(hclog.Logger)) string {
		var b bytes.Buffer
		log(hclog.New(&hclog.LoggerOptions{Name: "ctihost", Output: &b, JSONFormat: json, DisableTime: true}))
		return b.String()
	}
	renders := []struct {
		name   string
		render func(v string) string
	}{
		{"as written", func(v string) string { return "device refused " + v + " for admin" }},
		{"query-escaped", func(v string) string { return "GET /api?auth=" + url.QueryEscape(v) + "&line=1" }},
		{"path-escaped", func(v string) string { return "GET /login/" + url.PathEscape(v) + "/state" }},
		{"%q", func(v string) string { return fmt.Sprintf("device refused %q for admin", v) }},
		{"%+q", func(v string) string { return fmt.Sprintf("device refused %+q for admin", v) }},
		{"strconv.QuoteToASCII", func(v string) string { return strconv.QuoteToASCII("refused " + v) }},
		{"json", func(v string) string { return jsonOf(map[string]string{"error": "refused " + v, "a": "<b>"}, true) }},
		{"json without html escaping", func(v string) string { return jsonOf(map[string]string{"error": "refused " + v}, false) }},
		{"%q inside json", func(v string) string { return jsonOf(fmt.Sprintf("bad passcode %q", v), true) }},
		{"json inside %q", func(v string) string { return fmt.Sprintf("body %q", jsonOf(map[string]string{"p": v}, true)) }},
		{"%q inside %q", func(v string) string { return strconv.Quote(fmt.Sprintf("bad passcode %q", v)) }},
		{"hclog text message", func(v string) string {
			return logged(false, func(l hclog.Logger) { l.Info("refused " + v) })
		}},
		{"hclog text value", func(v string) string {
			return logged(false, func(l hclog.Logger) { l.Info("refused", "detail", "passcode "+v+" refused", "n", 1) })
		}},
		{"hclog text value with %q", func(v string) string {
			return logged(false, func(l hclog.Logger) { l.Error("refused", "error", fmt.Sprintf("bad passcode %q", v)) })
		}},
		{"hclog text hclog.Quote", func(v string) string {
			return logged(false, func(l hclog.Logger) { l.Info("refused", "credential", hclog.Quote(v)) })
		}},
		{"hclog json", func(v string) string {
			return logged(true, func(l hclog.Logger) { l.Info("refused "+v, "credential", v, "error", fmt.Sprintf("bad %q", v)) })
		}},
	}
	r := NewRedactor(secrets...)
	for _, secret := range secrets {
		for _, rd := range renders {
			t.Run(rd.name+"/"+strconv.QuoteToASCII(secret), func(t *testing.T) {
				in, want := rd.render(secret), rd.render(Redacted)
				if got := r.Redact(in); got != want {
					t.Fatalf("Redact(%q)\n got %q\nwant %q", in, got, want)
				}
			})
		}
	}
}

// TestRedactorAddsOnlyFormsThatDiffer: a secret that no escaping changes
// has one form, not one per escaping.
func TestRedactorAddsOnlyFormsThatDiffer(t *testing.T) {
	for secret, want := range map[string]int{"hunter2": 1, "Xy9-_.~k": 1, "p w0rd": 3} {
		if got := NewRedactor(secret).secrets; len(got) != want {
			t.Errorf("NewRedactor(%q) has forms %q, want %d", secret, got, want)
		}
	}
}

// FuzzRedact checks the one promise that matters: a secret that appears
// verbatim in the input never appears in the output.
func FuzzRedact(f *testing.F) {
	f.Add("hunter2", "GET /x?passcode=", "&a=1")
	f.Add("Dab", "", "abab")
	f.Add("ACT", "REDACTED", "")
	f.Add("p@ss w0rd", "http://admin:", "@host/")
	f.Add("EDRE", "REDACTED", "REDACTED")
	f.Add("=x&", "token", "y")
	f.Fuzz(func(t *testing.T, secret, prefix, suffix string) {
		if len(secret) < 3 {
			return // NewRedactor ignores such values by design
		}
		r := NewRedactor(secret)
		in := prefix + secret + suffix
		out := r.Redact(in)
		if strings.Contains(out, secret) {
			t.Fatalf("Redact(%q) = %q leaks %q", in, out, secret)
		}
		// The index finds exactly what a search for each form finds.
		for _, text := range []string{in, prefix, suffix} {
			linear := false
			for _, form := range r.secrets {
				linear = linear || strings.Contains(text, form)
			}
			if got := r.leaks(text); got != linear {
				t.Fatalf("leaks(%q) = %v, a search for each of %q finds %v", text, got, r.secrets, linear)
			}
		}
		// Nor does it when the text is quoted.
		quoted := strconv.Quote(in)
		out = r.Redact(quoted)
		if q := strconv.Quote(secret); strings.Contains(out, q[1:len(q)-1]) {
			t.Fatalf("Redact(%q) = %q leaks %q", quoted, out, q)
		}
	})
}

// FuzzSecretParamPrefilter: the cheap check never skips a text the
// expression would change.
func FuzzSecretParamPrefilter(f *testing.F) {
	f.Add("GET /x?passcode=1")
	f.Add("a=1 b=2 Token=3")
	f.Add("\u212Aey=1")       // KELVIN SIGN folds to k
	f.Add("pa\u017F\u017F=1") // LONG S folds to s
	f.Add("x=1 api_KEY=2")
	f.Fuzz(func(t *testing.T, s string) {
		if secretParams.MatchString(s) && !mayHaveSecretParam(s) {
			t.Fatalf("mayHaveSecretParam(%q) = false, but secretParams matches %q", s, secretParams.FindString(s))
		}
	})
}

// BenchmarkRedactLogLine is the cost of redacting one host log line that
// holds no secret, with the secrets of 100 devices.
func BenchmarkRedactLogLine(b *testing.B) {
	var secrets []string
	for n := range 100 {
		secrets = append(secrets, fmt.Sprintf("pa\"ss<%d>w", n), fmt.Sprintf("%08x", n*2654435761))
	}
	r := NewRedactor(secrets...)
	line := `2026-11-24T16:58:29.162Z [INFO]  ctihost.plugin.grandstream: driver running: site=hq version=0.1.0 pid=17513 restarted=false took=73.660129ms` + "\n"
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(line)
	}
}

// BenchmarkRedactLogLineWithSecret is the same line with a secret in it.
func BenchmarkRedactLogLineWithSecret(b *testing.B) {
	var secrets []string
	for n := range 100 {
		secrets = append(secrets, fmt.Sprintf("pa\"ss<%d>w", n), fmt.Sprintf("%08x", n*2654435761))
	}
	r := NewRedactor(secrets...)
	line := fmt.Sprintf(`2026-11-24T16:58:29.162Z [ERROR] ctihost.plugin.grandstream: refused: site=hq error="bad passcode %q" took=73.660129ms`+"\n", secrets[101])
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(line)
	}
}
