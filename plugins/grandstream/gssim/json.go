package gssim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The fixed answers of the guide, with its spacing: the DP status and
// make_call examples put spaces inside the braces, the others do not.
const (
	answerTrue         = `{"response": "success", "body": true}`
	answerFalse        = `{"response": "error", "body": false}`
	answerSpacedTrue   = `{ "response": "success", "body": true }`
	answerSpacedFalse  = `{ "response": "error", "body": false }`
	answerComplete     = `{"response": "success", "body": "complete"}`
	answerUnknown      = `{"response": "error", "body": "unknown"}`
	answerFailed       = `{ "response": "error", "body": "failed" }`
	answerUnauthorized = `{"response": "error", "body": "unauthorized"}`
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any // string, int, bool or rawJSON
}

// rawJSON is already-encoded JSON.
type rawJSON string

// object renders members in order as {"k": v, "k2": v2}, or with spaces
// inside the braces ({ "k": v }) when spaced, the two styles of the guide.
func object(spaced bool, members ...kv) rawJSON {
	var b strings.Builder
	b.WriteByte('{')
	if spaced {
		b.WriteByte(' ')
	}
	for i, m := range members {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(encode(m.k))
		b.WriteString(": ")
		if r, ok := m.v.(rawJSON); ok {
			b.WriteString(string(r))
		} else {
			b.WriteString(encode(m.v))
		}
	}
	if spaced {
		b.WriteByte(' ')
	}
	b.WriteByte('}')
	return rawJSON(b.String())
}

// array renders items as [a, b].
func array(items []rawJSON) rawJSON {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it)
	}
	return rawJSON("[" + strings.Join(parts, ", ") + "]")
}

// encode marshals a scalar without HTML escaping. Ints, bools and plain
// ASCII strings, the bulk of every answer, are written directly: a fleet of
// simulated phones answers thousands of polls a second on the same cores
// as the host it is benchmarking (examples/bench).
func encode(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		if plainASCII(x) {
			return `"` + x + `"`
		}
	}
	return encodeAny(v)
}

// plainASCII tells whether s is printable ASCII without '"' or '\\', which
// JSON quotes as it is.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// encodeAny marshals any scalar as encoding/json does, without HTML
// escaping.
func encodeAny(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// flag renders a bool as the guide's 0/1.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
