package supervisor

import (
	"strings"
	"unicode/utf8"
)

// MaxReasonBytes is the most bytes Sanitize returns, its ellipsis included.
const MaxReasonBytes = 512

// reasonEllipsis marks a reason Sanitize cut.
const reasonEllipsis = "…"

// Sanitize turns text a driver or the operating system produced (an error
// message, a stderr line, an exit reason) into something safe to store as an
// instance's last error and to send to apps and operators as a reason: one
// line of valid UTF-8 of at most MaxReasonBytes bytes.
//
//   - Every run of control characters (C0 including \n, \r and \t, DEL, C1),
//     line and paragraph separators (U+2028, U+2029) and bidirectional
//     formatting characters, which can make a terminal show other text than
//     the one sent, becomes one space (none beside a space).
//   - Invalid UTF-8 becomes U+FFFD.
//   - Leading and trailing spaces are dropped.
//   - Longer text is cut on a rune boundary and ends with "…".
//
// Sanitize(Sanitize(s)) == Sanitize(s).
func Sanitize(reason string) string {
	if reasonIsPlain(reason) {
		return strings.TrimSpace(reason)
	}
	var b strings.Builder
	b.Grow(min(len(reason), MaxReasonBytes+utf8.UTFMax))
	space := false     // a run of unwanted characters is pending as one space
	lastSpace := false // the last byte written is a space
	for _, r := range reason {
		// Ranging over a string yields utf8.RuneError for every invalid
		// byte: it is written as U+FFFD.
		if unwantedInReason(r) {
			space = b.Len() > 0 && !lastSpace // none at the start, nor beside a space
			continue
		}
		if r == ' ' && (b.Len() == 0 || space) {
			space = b.Len() > 0 // nor leading spaces; one space for the run and r
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		lastSpace = r == ' '
		if b.Len() > MaxReasonBytes {
			return cutReason(b.String())
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// reasonIsPlain reports whether s is printable ASCII of at most MaxReasonBytes
// bytes, which Sanitize returns as it is (but for surrounding spaces).
func reasonIsPlain(s string) bool {
	if len(s) > MaxReasonBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// unwantedInReason reports whether r must not appear in a reason.
func unwantedInReason(r rune) bool {
	switch {
	case r < ' ', r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f', // bidi marks
		r >= '\u202a' && r <= '\u202e', // bidi embeddings and overrides
		r >= '\u2066' && r <= '\u2069': // bidi isolates
		return true
	}
	return false
}

// cutReason shortens s, valid UTF-8 longer than MaxReasonBytes, to at most
// MaxReasonBytes bytes ending with the reasonEllipsis, on a rune boundary.
func cutReason(s string) string {
	n := MaxReasonBytes - len(reasonEllipsis)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ") + reasonEllipsis
}
