package mirtaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// This file holds the shape-neutral decoding every parser shares: a JSON
// tree that drops secret fields while it reads, records (one row of
// name/value strings) from JSON or from plain pipe-delimited text, and the
// "Success|message|data|" result line.

// errShape is returned by parsers for a body of the wrong shape; the client
// reports it as KindGarbage.
var errShape = errors.New("answer has an unexpected shape")

// maxDepth bounds JSON nesting: no proxyapi.php answer is deeper than 3
// (INFO agentsconnected). Deeper input is refused before it costs stack.
const maxDepth = 16

// node is a JSON value. Object keys keep their order (CHANNEL's pairs and
// FLOWS' columns are ordered).
type node struct {
	kind byte // 's' string/number/bool, 'n' null, 'o' object, 'a' array
	s    string
	keys []string // object keys, parallel to vals
	vals []*node  // object values or array items
}

// secretField matches field names whose values the client never keeps:
// SIP secrets, web passwords, PINs, tokens, 2FA parameters, IMAP
// credentials (INFO extensions returns all of them: "password",
// "ex_webpassword", "ex_lockpin", "ex_token", "ex_2fa_param1",
// DOCS_AUDIT.md; VOICEMAIL "imappassword", A-77).
// A plain substring scan, not a regular expression: it runs for every
// field of every record (a 1,000-extension BLFS has thousands), where a
// regexp cost a third of a poll's CPU.
var secretParts = []string{"pass", "secret", "pwd", "pin", "token", "2fa", "otp", "mfa", "md5", "imap", "apikey", "api_key", "webuser", "authuser"}

// isSecretField reports whether a field of this name is dropped.
func isSecretField(name string) bool {
	l := strings.ToLower(name) // no allocation for names already lower case
	if l == "key" {
		return true
	}
	for _, p := range secretParts {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// parseJSON reads one JSON value from body. Values of secret fields are
// read and discarded without being stored. Trailing data other than white
// space is an error.
func parseJSON(body []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	n, err := readNode(dec, 0, false)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the json value")
	}
	return n, nil
}

// readNode reads the next value. With discard it stores nothing (and
// returns nil): the value of a secret field.
func readNode(dec *json.Decoder, depth int, discard bool) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("json nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("json object key is not a string")
				}
				skip := discard || isSecretField(key)
				v, err := readNode(dec, depth+1, skip)
				if err != nil {
					return nil, err
				}
				if !skip {
					n.keys = append(n.keys, key)
					n.vals = append(n.vals, v)
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			if discard {
				return nil, nil
			}
			return n, nil
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := readNode(dec, depth+1, discard)
				if err != nil {
					return nil, err
				}
				if !discard {
					n.vals = append(n.vals, v)
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			if discard {
				return nil, nil
			}
			return n, nil
		}
		return nil, errors.New("unexpected json delimiter")
	case nil:
		if discard {
			return nil, nil
		}
		return &node{kind: 'n'}, nil
	case string:
		if discard {
			return nil, nil
		}
		return &node{kind: 's', s: t}, nil
	case json.Number:
		if discard {
			return nil, nil
		}
		return &node{kind: 's', s: t.String()}, nil
	case bool:
		if discard {
			return nil, nil
		}
		return &node{kind: 's', s: strconv.FormatBool(t)}, nil
	}
	return nil, errors.New("unexpected json token")
}

// scalar returns n as a string: scalars as written (numbers as their
// digits), null and containers as "".
func (n *node) scalar() string {
	if n == nil || n.kind != 's' {
		return ""
	}
	return n.s
}

// record is one row: lower-case field name to value. Secret fields never
// enter a record.
type record map[string]string

// get returns the first non-empty value among the names (lower case).
func (r record) get(names ...string) string {
	for _, n := range names {
		if v := r[n]; v != "" {
			return v
		}
	}
	return ""
}

// has reports whether any of the names is present, even empty.
func (r record) has(names ...string) bool {
	for _, n := range names {
		if _, ok := r[n]; ok {
			return true
		}
	}
	return false
}

// isIndex reports whether s is a positional key such as "0" or "17".
func isIndex(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// objectRecord turns a JSON object into a record. PHP "fetch both" rows
// carry every column twice, under "0", "1", ... and under its name
// (FLOWS, BLFS, SIMPLECDRS: DOCS_AUDIT.md ): when an
// object has named keys its positional keys are dropped, since a
// positional key can repeat a secret column under a name the filter
// cannot recognise. An object with only positional keys (INFO
// agents, A-43) keeps them. Nested containers become "".
func objectRecord(n *node) record {
	named := false
	for _, k := range n.keys {
		if !isIndex(k) {
			named = true
			break
		}
	}
	r := make(record, len(n.keys))
	for i, k := range n.keys {
		if named && isIndex(k) {
			continue
		}
		r[strings.ToLower(k)] = n.vals[i].scalar()
	}
	return r
}

// keyedRecord is a record with the key it was filed under in its answer
// (INFO agents: the agent id; INFO extensions, older form: ex_id).
type keyedRecord struct {
	key string
	rec record
}

// jsonRecords returns the records of a list answer: an array of objects,
// an object of objects (keyed by id), or one object. null and an empty
// array or object give none. Anything else is errShape.
func jsonRecords(n *node) ([]keyedRecord, error) {
	switch n.kind {
	case 'n':
		return nil, nil
	case 'a':
		out := make([]keyedRecord, 0, len(n.vals))
		for _, v := range n.vals {
			switch v.kind {
			case 'o':
				out = append(out, keyedRecord{rec: objectRecord(v)})
			case 'n':
			default:
				return nil, errShape
			}
		}
		return out, nil
	case 'o':
		allObjects := len(n.vals) > 0
		for _, v := range n.vals {
			if v.kind != 'o' && v.kind != 'n' {
				allObjects = false
				break
			}
		}
		if !allObjects {
			if len(n.vals) == 0 {
				return nil, nil
			}
			return []keyedRecord{{rec: objectRecord(n)}}, nil
		}
		out := make([]keyedRecord, 0, len(n.vals))
		for i, v := range n.vals {
			if v.kind == 'o' {
				out = append(out, keyedRecord{key: n.keys[i], rec: objectRecord(v)})
			}
		}
		return out, nil
	}
	return nil, errShape
}

// pair is one key/value of a pair list.
type pair struct{ key, val string }

// jsonPairs returns an object of scalars as ordered pairs (INFO queues:
// {"281":"Support"}, DOCS_AUDIT.md A-56), or an array of two-element
// arrays (CHANNEL: [["k","v"],...], A-69). Secret keys are dropped.
func jsonPairs(n *node) ([]pair, error) {
	switch n.kind {
	case 'n':
		return nil, nil
	case 'o':
		out := make([]pair, 0, len(n.keys))
		for i, k := range n.keys {
			if n.vals[i].kind == 'o' || n.vals[i].kind == 'a' {
				return nil, errShape
			}
			out = append(out, pair{k, n.vals[i].scalar()})
		}
		return out, nil
	case 'a':
		out := make([]pair, 0, len(n.vals))
		for _, v := range n.vals {
			if v.kind != 'a' || len(v.vals) < 2 || v.vals[0].kind == 'o' || v.vals[0].kind == 'a' {
				return nil, errShape
			}
			k := v.vals[0].scalar()
			if isSecretField(k) {
				continue
			}
			out = append(out, pair{k, v.vals[1].scalar()})
		}
		return out, nil
	}
	return nil, errShape
}

// bodyKind says how a body looks once white space is trimmed.
type bodyKind int

const (
	bodyEmpty bodyKind = iota // nothing, or the lone "]" / "null" of an empty list
	bodyJSON                  // starts with '[', '{' or '"'
	bodyHTML                  // starts with '<'
	bodyText                  // anything else: plain format, a bare value, an error text
)

// sniff classifies body. Content-Type is useless: proxyapi.php sends
// application/json for format=json even when the body is an error text,
// and text/html for plain (DOCS_AUDIT.md ).
func sniff(body []byte) bodyKind {
	t := bytes.TrimSpace(body)
	switch {
	case len(t) == 0:
		return bodyEmpty
	// An empty INFO cdrs/simplecdrs/queuelogs list in format=json is the
	// single byte "]"; a nonexistent queue in INFO agents
	// is "null".
	case string(t) == "]", string(t) == "null":
		return bodyEmpty
	case t[0] == '<':
		return bodyHTML
	case t[0] == '[', t[0] == '{', t[0] == '"':
		return bodyJSON
	}
	return bodyText
}

// lines splits plain text into lines without their "\r", skipping blank
// ones. An idle INFO extstate answers "\r\n" alone.
func lines(body []byte) []string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// fields splits a plain line at '|'. A trailing '|' (action lines, pair
// lists: "Success|...|id|", "104-DEVEL:NOT_INUSE|") ends the line and
// yields no empty last field.
func fields(line string) []string {
	line = strings.TrimSuffix(line, "|")
	return strings.Split(line, "|")
}

// undouble halves a PHP "fetch both" plain row, which prints every value
// twice in a row (BLFS: 7 tokens for 3 columns, FLOWS: 37 for 18;
// DOCS_AUDIT.md ). A row that is not doubled is returned as is.
func undouble(f []string) []string {
	if len(f) < 2 || len(f)%2 != 0 {
		return f
	}
	for i := 0; i < len(f); i += 2 {
		if f[i] != f[i+1] {
			return f
		}
	}
	out := make([]string, len(f)/2)
	for i := range out {
		out[i] = f[2*i]
	}
	return out
}

// table parses a plain table. When the first line names at least one of
// cols (case-insensitive) it is the header and its names are used;
// otherwise, unless needHeader, rows are positional in the order of cols.
// Secret columns (the EXTENSIONS "Password" column, A-40) never enter a
// record.
func table(body []byte, cols []string, needHeader bool) ([]record, error) {
	ls := lines(body)
	if len(ls) == 0 {
		return nil, nil
	}
	names := cols
	first := fields(ls[0])
	if isHeader(first, cols) {
		names = make([]string, len(first))
		for i, h := range first {
			names[i] = strings.ToLower(strings.TrimSpace(h))
		}
		ls = ls[1:]
	} else if needHeader {
		return nil, errShape
	}
	out := make([]record, 0, len(ls))
	for _, l := range ls {
		f := fields(l)
		r := make(record, len(names))
		for i, v := range f {
			if i >= len(names) {
				break
			}
			if isSecretField(names[i]) {
				continue
			}
			r[strings.ToLower(names[i])] = v
		}
		out = append(out, r)
	}
	return out, nil
}

// isHeader reports whether f names at least one of cols.
func isHeader(f, cols []string) bool {
	for _, h := range f {
		h = strings.TrimSpace(h)
		for _, c := range cols {
			if strings.EqualFold(h, c) {
				return true
			}
		}
	}
	return false
}

// pairs parses a one-line plain pair list "<k><sep><v>|<k><sep><v>|"
// (INFO agents "104-DEVEL:NOT_INUSE|", A-43; INFO queues "281: Support|",
// A token without sep is errShape. Values are split at the first
// sep and trimmed.
func pairs(body []byte, sep string) ([]pair, error) {
	var out []pair
	for _, l := range lines(body) {
		for _, tok := range fields(l) {
			if strings.TrimSpace(tok) == "" {
				continue
			}
			k, v, ok := strings.Cut(tok, sep)
			if !ok {
				return nil, errShape
			}
			k = strings.TrimSpace(k)
			if isSecretField(k) {
				continue
			}
			out = append(out, pair{k, strings.TrimSpace(v)})
		}
	}
	return out, nil
}

// result is an action line: "Success|Originate successfully queued|
// 15a4cfe6429054|" (Published: https://www.mirtapbx.com/manual/index.php?title=Proxyapi,
// DIAL) or the modelled failure "Error|Channel not found|".
type result struct {
	ok   bool
	msg  string
	data []string
}

// parseResult reads an action line, or the tolerated JSON form
// {"result":"Success","message":"...","id":"..."} (Modelled: no public
// source shows a JSON action reply; proxyapi.php ignores format for raw
// answers, A-42). ok is false with errShape when body is neither.
func parseResult(body []byte) (result, error) {
	if sniff(body) == bodyJSON {
		n, err := parseJSON(body)
		if err != nil || n.kind != 'o' {
			return result{}, errShape
		}
		r := objectRecord(n)
		status := r.get("result", "status")
		switch strings.ToLower(status) {
		case "success", "ok":
			res := result{ok: true, msg: r.get("message", "msg")}
			if id := r.get("id", "originateid", "data"); id != "" {
				res.data = []string{id}
			}
			return res, nil
		case "error", "failure", "ko":
			return result{msg: r.get("message", "msg", "error")}, nil
		}
		return result{}, errShape
	}
	ls := lines(body)
	if len(ls) == 0 {
		return result{}, errShape
	}
	f := fields(strings.TrimSpace(ls[0]))
	res := result{}
	switch strings.ToLower(strings.TrimSpace(f[0])) {
	case "success", "ok":
		res.ok = true
	case "error", "failure", "ko":
	default:
		return result{}, errShape
	}
	if len(f) > 1 {
		res.msg = f[1]
	}
	if len(f) > 2 {
		res.data = f[2:]
	}
	return res, nil
}
