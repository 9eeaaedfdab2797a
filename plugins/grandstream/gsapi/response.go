package gsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// envelope is a decoded CTI answer: {"response": "success"|"error", "body":
// ...} where body may be a string, a bool, an array or absent, and DP status
// answers carry keyed objects such as "Account1" or "HS1" instead.
type envelope struct {
	success bool
	body    json.RawMessage            // nil when absent
	fields  map[string]json.RawMessage // every top-level key
}

// field returns the top-level value named name, matching exactly first and
// then case-insensitively.
func (e *envelope) field(name string) (json.RawMessage, bool) {
	if v, ok := e.fields[name]; ok {
		return v, true
	}
	for k, v := range e.fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// bodyText returns the body as text: a JSON string unquoted, anything else
// compacted, truncated to maxBodyText bytes.
func bodyText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return truncateText(s)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return truncateText(string(raw))
	}
	return truncateText(buf.String())
}

// errNotJSON is the cause of a KindBadResponse for a non-JSON answer.
var errNotJSON = errors.New("answer is not json")

// parseEnvelope decodes a CTI answer. It never panics; the error describes
// what is wrong with the shape.
func parseEnvelope(data []byte) (envelope, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return envelope{}, fmt.Errorf("empty answer: %w", errNotJSON)
	}
	if trimmed[0] == '<' {
		return envelope{}, fmt.Errorf("answer is an html page: %w", errNotJSON)
	}
	if trimmed[0] != '{' {
		return envelope{}, errNotJSON
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return envelope{}, fmt.Errorf("%w: %v", errNotJSON, err)
	}
	raw, ok := fields["response"]
	if !ok {
		return envelope{}, errors.New(`json answer has no "response" field`)
	}
	var resp string
	if err := json.Unmarshal(raw, &resp); err != nil {
		return envelope{}, errors.New(`json "response" field is not a string`)
	}
	env := envelope{fields: fields}
	switch strings.ToLower(strings.TrimSpace(resp)) {
	case "success":
		env.success = true
	case "error":
	default:
		return envelope{}, fmt.Errorf(`json "response" is %q, want "success" or "error"`, truncateText(resp))
	}
	if b, ok := fields["body"]; ok {
		env.body = b
	}
	return env, nil
}

// decodeResponse turns an HTTP answer into an envelope or an *Error without
// Function and Host (the caller fills those in). Only a successful
// {"response": "success"} answer returns a nil error. It never panics.
func decodeResponse(status int, contentType string, data []byte) (envelope, *Error) {
	switch {
	case status == 401 || status == 403:
		return envelope{}, &Error{Kind: KindAuth, HTTPStatus: status, Body: answerText(data)}
	case status == 404:
		return envelope{}, &Error{Kind: KindUnsupported, HTTPStatus: status}
	case status < 200 || status > 299:
		return envelope{}, &Error{Kind: KindBadResponse, HTTPStatus: status, Body: answerText(data)}
	}
	env, err := parseEnvelope(data)
	if err != nil {
		if strings.Contains(strings.ToLower(contentType), "html") && errors.Is(err, errNotJSON) {
			err = fmt.Errorf("content-type %q: %w", truncateText(contentType), err)
		}
		return envelope{}, &Error{Kind: KindBadResponse, HTTPStatus: status, Body: answerText(data), Err: err}
	}
	if !env.success {
		text := bodyText(env.body)
		low := strings.ToLower(text)
		if strings.Contains(low, "unauthorized") || strings.Contains(low, "forbidden") {
			return envelope{}, &Error{Kind: KindAuth, HTTPStatus: status, Body: text}
		}
		return envelope{}, &Error{Kind: KindRefused, HTTPStatus: status, Body: text}
	}
	return env, nil
}

// answerText is the text of an answer for Error.Body: the "body" value of a
// CTI JSON answer, else the start of the raw answer.
func answerText(data []byte) string {
	if env, err := parseEnvelope(data); err == nil && env.body != nil {
		return bodyText(env.body)
	}
	return truncateText(strings.TrimSpace(string(data[:min(len(data), 4*maxBodyText)])))
}

// flexInt decodes a JSON number, numeric string, bool or null as an int:
// firmware versions differ in how they quote numbers.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if n, ok := plainDigits(b); ok { // the common case, without json.Unmarshal's allocations
		*f = flexInt(n)
		return nil
	}
	return f.decodeAny(b)
}

// decodeAny is UnmarshalJSON for every shape.
func (f *flexInt) decodeAny(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*f = 0
	case bool:
		*f = 0
		if x {
			*f = 1
		}
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			return fmt.Errorf("number %v is not a small integer", x)
		}
		*f = flexInt(x)
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			*f = 0
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n > 1<<31 || n < -(1<<31) {
			return fmt.Errorf("string %q is not an integer", truncateText(x))
		}
		*f = flexInt(n)
	default:
		return fmt.Errorf("want a number, got %s", jsonKind(v))
	}
	return nil
}

// flexBool decodes 0/1, true/false, "0"/"1"/"true"/"false" or null.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) { // the common cases, without json.Unmarshal's allocations
	case "0", "false":
		*f = false
		return nil
	case "1", "true":
		*f = true
		return nil
	}
	return f.decodeAny(b)
}

// decodeAny is UnmarshalJSON for every shape.
func (f *flexBool) decodeAny(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes":
			*f = true
			return nil
		case "false", "no":
			*f = false
			return nil
		}
	}
	var n flexInt
	if err := n.decodeAny(b); err != nil {
		return err
	}
	*f = n != 0
	return nil
}

// flexString decodes a JSON string, number, bool or null as text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if s, ok := plainString(b); ok { // the common case, without json.Unmarshal's allocations
		*f = flexString(s)
		return nil
	}
	return f.decodeAny(b)
}

// decodeAny is UnmarshalJSON for every shape.
func (f *flexString) decodeAny(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*f = ""
	case string:
		*f = flexString(x)
	case bool:
		*f = flexString(strconv.FormatBool(x))
	case float64:
		*f = flexString(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		return fmt.Errorf("want a string, got %s", jsonKind(v))
	}
	return nil
}

// The flex types are decoded once per line per poll, thousands of times a
// second on a large site; json.Unmarshal into an any costs several
// allocations each time. plainDigits and plainString take the shapes phones
// send, with exactly json.Unmarshal's result, and leave the rest to it. b is
// one JSON value that encoding/json has already checked.

// plainDigits reads an unquoted run of 1 to 9 decimal digits (below 2^31,
// so flexInt's range check cannot fail).
func plainDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// plainString reads a quoted string without escapes whose bytes are valid
// UTF-8 (json.Unmarshal would replace invalid bytes).
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// decodeField unmarshals raw into dst, describing failures with name.
func decodeField(name string, raw json.RawMessage, dst any) error {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fmt.Errorf("json %s is missing or null", name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("json %s has an unexpected shape: %v", name, err)
	}
	return nil
}
