package sdk

import (
	"errors"
	"net/url"
	"strings"
	"testing"
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
		in := prefix + secret + suffix
		out := NewRedactor(secret).Redact(in)
		if strings.Contains(out, secret) {
			t.Fatalf("Redact(%q) = %q leaks %q", in, out, secret)
		}
	})
}
