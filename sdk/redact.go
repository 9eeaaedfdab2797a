package sdk

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// secretParams are query parameter and userinfo names whose values are never
// shown. Matching is case-insensitive. A value in double quotes (an hclog
// text key-value pair, `token="a b"`) is replaced quotes and all.
var secretParams = regexp.MustCompile(`(?i)((?:passcode|password|passwd|pwd|pass|secret|token|api_?key|key)=)(?:"(?:[^"\\]|\\.)*"|[^&\s"']*)`)

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
	// Userinfo needs an "@" and a secret parameter an "=": most text (log
	// lines) has neither and skips the parser and the expressions.
	if strings.IndexByte(u, '@') >= 0 {
		if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
			if _, has := parsed.User.Password(); has {
				parsed.User = url.UserPassword(parsed.User.Username(), marker)
				u = parsed.String()
			}
		}
		u = userinfoPassword.ReplaceAllStringFunc(u, func(m string) string {
			return m[:strings.Index(m[3:], ":")+4] + marker + "@"
		})
	}
	if !mayHaveSecretParam(u) {
		return u
	}
	return secretParams.ReplaceAllStringFunc(u, func(m string) string {
		return m[:strings.Index(m, "=")+1] + marker
	})
}

// secretParamNames are the names secretParams matches, lower case.
var secretParamNames = []string{"passcode", "password", "passwd", "pwd", "pass", "secret", "token", "apikey", "api_key", "key"}

// mayHaveSecretParam reports whether secretParams may match s: whether an
// "=" follows one of its names. It spares most log lines the regular
// expression. Matching is case-insensitive, and Unicode case folding lets
// "k" and "s" match non-ASCII letters (U+212A, U+017F): a name that is not
// plain ASCII is left to the expression.
func mayHaveSecretParam(s string) bool {
	for i := strings.IndexByte(s, '='); i >= 0; {
		before := s[max(0, i-3*len("passcode")):i] // a name of 8 runes, up to 3 bytes each
		for n := 0; n < len(before); n++ {
			if before[n] >= utf8.RuneSelf {
				return true
			}
		}
		for _, name := range secretParamNames {
			if len(before) >= len(name) && strings.EqualFold(before[len(before)-len(name):], name) {
				return true
			}
		}
		next := strings.IndexByte(s[i+1:], '=')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// Redactor removes known secret values (passcodes, keys) from text, as
// written, URL-escaped and quoted (Go, JSON and hclog escaping). The zero
// value redacts nothing but URL parameters. Safe for concurrent use once
// built.
type Redactor struct {
	secrets []string // every form of every secret, longest first, so a secret is never half-replaced
	marker  string
	index   *headIndex // finds whether a text holds any of secrets
}

// maxRedactPasses bounds the passes Redact makes before it gives up on the
// text and returns only the marker.
const maxRedactPasses = 8

// NewRedactor returns a Redactor for these secret values in every form in
// which text commonly carries them (see encodings); empty values and values
// shorter than 3 characters are ignored so that redaction cannot shred
// ordinary text.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		for _, v := range encodings(s) {
			if !seen[v] {
				seen[v] = true
				r.secrets = append(r.secrets, v)
			}
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	r.index = newHeadIndex(r.secrets)
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
// replaced by REDACTED. The result never contains a known secret in any of
// its forms: when replacing one rebuilds another from the surrounding text
// (secret "Dab" in "Dabab" gives "REDACTEDab"), Redact replaces again, and
// after maxRedactPasses it returns the marker alone. A text without a
// secret costs one scan of its bytes, whatever the number of secrets.
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return RedactURL(s)
	}
	if !r.leaks(s) { // the common case
		u := redactURL(s, r.marker)
		if u == s || !r.leaks(u) {
			return u
		}
		s = u
	}
	for range maxRedactPasses {
		for _, n := range r.index.find(s, nil) { // longest first
			s = strings.ReplaceAll(s, r.secrets[n], r.marker)
		}
		s = redactURL(s, r.marker)
		if !r.leaks(s) {
			return s
		}
	}
	return r.marker
}

// leaks reports whether s holds any form of any secret.
func (r *Redactor) leaks(s string) bool { return r.index.contains(s) }

// headIndex finds which of a set of strings of at least 3 bytes a text
// contains, in one pass over the text: a bit set of their first three
// bytes, hashed, rules out almost every position; at the others the strings
// with exactly those three bytes are compared.
type headIndex struct {
	strs  []string
	bits  []uint64
	shift uint32           // a hash of three bytes >> shift indexes bits
	heads map[uint32][]int // indexes in strs by their first three bytes
}

// minSecretLen is the length below which NewRedactor ignores a secret; every
// form of a secret is at least as long.
const minSecretLen = 3

func newHeadIndex(strs []string) *headIndex {
	// About 64 bits per string: a text position passes the bit set by
	// chance about once in 64.
	logBits := uint32(10)
	for logBits < 24 && 1<<logBits < 64*len(strs) {
		logBits++
	}
	x := &headIndex{strs: strs, bits: make([]uint64, 1<<logBits/64), shift: 32 - logBits, heads: map[uint32][]int{}}
	for n, s := range strs {
		k := head3(s)
		h := x.hash(k)
		x.bits[h/64] |= 1 << (h % 64)
		x.heads[k] = append(x.heads[k], n)
	}
	return x
}

func head3(s string) uint32 { return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 }

func (x *headIndex) hash(k uint32) uint32 { return (k * 0x9E3779B1) >> x.shift }

// contains reports whether s contains any of the strings.
func (x *headIndex) contains(s string) bool {
	if x == nil {
		return false
	}
	// scan, without its callback: this runs for every text redacted.
	for i := 0; i+minSecretLen <= len(s); i++ {
		k := head3(s[i:])
		if h := x.hash(k); x.bits[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, n := range x.heads[k] {
			if strings.HasPrefix(s[i:], x.strs[n]) {
				return true
			}
		}
	}
	return false
}

// find appends to dst the index of every string s contains, each once, in
// ascending order.
func (x *headIndex) find(s string, dst []int) []int {
	x.scan(s, func(n int) bool {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
		return true
	})
	slices.Sort(dst)
	return dst
}

// scan calls found with the index of each string that occurs at a position
// of s, until it returns false.
func (x *headIndex) scan(s string, found func(int) bool) {
	if x == nil {
		return
	}
	for i := 0; i+minSecretLen <= len(s); i++ {
		k := head3(s[i:])
		if h := x.hash(k); x.bits[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, n := range x.heads[k] {
			if strings.HasPrefix(s[i:], x.strs[n]) && !found(n) {
				return
			}
		}
	}
}

// encodings returns the forms in which s can appear in text, s first, each
// once (most secrets have only the one form):
//
//   - as written;
//   - URL-escaped (query and path), as in a request URL;
//   - quoted, without the surrounding quotes: strconv.Quote (fmt's %q),
//     strconv.QuoteToASCII (%+q), encoding/json with and without HTML
//     escaping (hclog's and the SDK's JSON log lines, protojson), and
//     hclog's text format, which escapes `"` and unprintable runes of a
//     key-value value but not `\`;
//   - those quoted once more by a log line: a message that quotes a secret
//     (an error formatted with %q, a JSON body) becomes a value of a log
//     entry, which quotes it again (plugin stderr re-logged by the host).
//
// Every escaping here is rune by rune, so the escaped secret is a substring
// of the escaped text that contains it.
func encodings(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	add(s)
	add(url.QueryEscape(s))
	add(url.PathEscape(s))
	for _, quote := range quoters {
		add(quote(s))
	}
	inner := slices.Clone(out)
	for _, v := range inner[1:] {
		for _, quote := range quoters {
			add(quote(v))
		}
	}
	return out
}

// quoters escape a string as a quoted string literal's content (without
// the quotes).
var quoters = []func(string) string{
	func(s string) string { return trimQuotes(strconv.Quote(s)) },
	func(s string) string { return trimQuotes(strconv.QuoteToASCII(s)) },
	func(s string) string { return jsonString(s, true) },
	func(s string) string { return jsonString(s, false) },
	hclogEscape,
}

func trimQuotes(q string) string { return q[1 : len(q)-1] }

// jsonString is encoding/json's encoding of s without its quotes.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	return trimQuotes(strings.TrimSuffix(b.String(), "\n"))
}

// hclogEscape is how go-hclog (v1.6.3, writeEscapedForOutput) writes a
// quoted key-value value in its text format: `"` escaped, printable runes
// as they are (`\` too), others as Go escapes.
func hclogEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			switch r {
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\v':
				b.WriteString(`\v`)
			default:
				const hex = "0123456789abcdef"
				switch {
				case r < ' ':
					b.WriteString(`\x`)
					b.WriteByte(hex[r>>4])
					b.WriteByte(hex[r&0xF])
				case r < 0x10000:
					b.WriteString(`\u`)
					for shift := 12; shift >= 0; shift -= 4 {
						b.WriteByte(hex[r>>uint(shift)&0xF])
					}
				default:
					b.WriteString(`\U`)
					for shift := 28; shift >= 0; shift -= 4 {
						b.WriteByte(hex[r>>uint(shift)&0xF])
					}
				}
			}
		}
	}
	return b.String()
}
