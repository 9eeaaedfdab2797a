package sdk

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// secretParams are query parameter and userinfo names whose values are never
// shown. Matching is case-insensitive.
var secretParams = regexp.MustCompile(`(?i)((?:passcode|password|passwd|pwd|pass|secret|token|api_?key|key)=)[^&\s"']*`)

// userinfoPassword matches the password of a URL's userinfo anywhere in a
// text ("http://admin:pw@host"), including URLs quoted inside an error
// message that url.Parse cannot parse as a whole.
var userinfoPassword = regexp.MustCompile(`(://[^/?#@\s"':]*:)[^/?#@\s"']*@`)

// Redacted replaces every secret in text.
const Redacted = "REDACTED"

// RedactURL returns u with the values of secret-looking query parameters and
// any userinfo password replaced by REDACTED. It works on whole URLs and on
// text that contains URLs (such as a *url.Error's message), and never fails.
func RedactURL(u string) string { return redactURL(u, Redacted) }

func redactURL(u, marker string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		if _, has := parsed.User.Password(); has {
			parsed.User = url.UserPassword(parsed.User.Username(), marker)
			u = parsed.String()
		}
	}
	u = userinfoPassword.ReplaceAllStringFunc(u, func(m string) string {
		return m[:strings.Index(m[3:], ":")+4] + marker + "@"
	})
	return secretParams.ReplaceAllStringFunc(u, func(m string) string {
		return m[:strings.Index(m, "=")+1] + marker
	})
}

// Redactor removes known secret values (passcodes, keys) from text. The zero
// value redacts nothing but URL parameters. Safe for concurrent use once
// built.
type Redactor struct {
	secrets []string // longest first, so a secret is never half-replaced
	marker  string
}

// maxRedactPasses bounds the passes Redact makes before it gives up on the
// text and returns only the marker.
const maxRedactPasses = 8

// NewRedactor returns a Redactor for these secret values, as written and
// URL-escaped; empty values and values shorter than 3 characters are ignored
// so that redaction cannot shred ordinary text.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < 3 {
			continue
		}
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if !seen[v] {
				seen[v] = true
				r.secrets = append(r.secrets, v)
			}
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	// The marker must not itself contain a secret (a passcode "ACT" would
	// reappear in every "REDACTED"); "-" is shorter than any secret.
	r.marker = "-"
	for _, m := range []string{Redacted, "***"} {
		if !r.leaks(m) {
			r.marker = m
			break
		}
	}
	return r
}

// Redact returns s with every known secret and every secret URL parameter
// replaced by REDACTED. The result never contains a known secret: when
// replacing one rebuilds another from the surrounding text (secret "Dab" in
// "Dabab" gives "REDACTEDab"), Redact replaces again, and after
// maxRedactPasses it returns the marker alone.
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return RedactURL(s)
	}
	for range maxRedactPasses {
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, r.marker)
		}
		s = redactURL(s, r.marker)
		if !r.leaks(s) {
			return s
		}
	}
	return r.marker
}

func (r *Redactor) leaks(s string) bool {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}
