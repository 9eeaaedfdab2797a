package mirtasim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// obj is a JSON object whose members keep their order, as PHP's
// json_encode of an associative array does.
type obj []kv

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	encTo(&b, o)
	return b.Bytes(), nil
}

// enc encodes v as JSON without Go's HTML escaping (PHP's json_encode
// leaves <, > and & alone).
func enc(v any) string {
	var b bytes.Buffer
	encTo(&b, v)
	return b.String()
}

// encTo writes v as JSON: the answer shapes directly, anything else
// through encoding/json.
func encTo(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case string:
		encString(b, v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case nil:
		b.WriteString("null")
	case obj:
		b.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			encString(b, m.k)
			b.WriteByte(':')
			encTo(b, m.v)
		}
		b.WriteByte('}')
	case []obj:
		b.WriteByte('[')
		for i, o := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			encTo(b, o)
		}
		b.WriteByte(']')
	default:
		e := json.NewEncoder(b)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			b.WriteString("null")
			return
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	}
}

// encString writes s as a JSON string (invalid UTF-8 becomes U+FFFD).
func encString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			for sh := 12; sh >= 0; sh -= 4 {
				b.WriteByte(hex[(r>>sh)&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// jsonAnswer encodes v as a JSON answer.
func jsonAnswer(v any) answer { return answer{body: enc(v), json: true} }

// fetchBoth builds a PHP "fetch both" row: each value under its position
// and its column name, in the order "0", name0, "1", name1, ... (facts §0,
// OBSERVED FLOWS A-73, BLFS A-72).
func fetchBoth(names, values []string) obj {
	o := make(obj, 0, 2*len(names))
	for i, n := range names {
		o = append(o, kv{itoa(i), values[i]}, kv{n, values[i]})
	}
	return o
}

// fetchBothLine prints a fetch-both row in plain: every value twice, in
// the same order, each followed by "|".
func fetchBothLine(values []string) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteString(v)
		b.WriteByte('|')
		b.WriteString(v)
		b.WriteByte('|')
	}
	return b.String()
}

// table prints a header row and rows, fields joined by "|", no trailing
// "|" (facts §0, OBSERVED EXTENSIONS A-40); an empty table is an empty
// body.
func table(header []string, rows [][]string) answer {
	if len(rows) == 0 {
		return plain("")
	}
	var b strings.Builder
	b.WriteString(strings.Join(header, "|"))
	for _, r := range rows {
		b.WriteByte('\n')
		b.WriteString(strings.Join(r, "|"))
	}
	b.WriteByte('\n')
	return plain(b.String())
}

// pipeLine joins values each followed by "|".
func pipeLine(values ...string) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteString(v)
		b.WriteByte('|')
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }
