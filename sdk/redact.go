package sdk

import (
	"net/url"
	"regexp"
	"strings"
)

// secretParams are query parameter and userinfo names whose values are never
// shown. Matching is case-insensitive.
var secretParams = regexp.MustCompile(`(?i)((?:passcode|password|passwd|pwd|pass|secret|token|api_?key|key)=)[^&\s"']*`)

// Redacted replaces every secret in text.
const Redacted = "REDACTED"

// RedactURL returns u with the values of secret-looking query parameters and
// any userinfo password replaced by REDACTED. It works on whole URLs and on
// text that contains URLs (such as a *url.Error's message), and never fails.
func RedactURL(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		if _, has := parsed.User.Password(); has {
			parsed.User = url.UserPassword(parsed.User.Username(), Redacted)
			u = parsed.String()
		}
	}
	return secretParams.ReplaceAllString(u, "${1}"+Redacted)
}

// Redactor removes known secret values (passcodes, keys) from text. The zero
// value redacts nothing but URL parameters. Safe for concurrent use once
// built.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for these secret values; empty values and
// values shorter than 3 characters are ignored so that redaction cannot
// shred ordinary text.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) >= 3 {
			r.secrets = append(r.secrets, s, url.QueryEscape(s))
		}
	}
	return r
}

// Redact returns s with every known secret and every secret URL parameter
// replaced by REDACTED.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
	}
	return RedactURL(s)
}
