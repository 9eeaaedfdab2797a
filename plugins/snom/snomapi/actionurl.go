package snomapi

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
)

// Action URLs are the phone's only event source for CSTA over HTTP: "Our
// CSTA via HTTP implementation does not support Events ... Event
// Notification must be done with Action URLs" (vendor document). The phone
// calls the URL with an HTTP GET when the event happens, after replacing
// each $variable in it by its value (Snom wiki, "Action URLs": "Action
// URLs are basically HTTP GET requests and may contain variable names
// starting with $ as values in the query part"). The replacement is plain
// text: a value may be empty, may contain "&", "=", "+", "%", spaces or
// "#", and "#" ends what the phone sends.

// ActionEvent pairs an action URL setting with the event name ActionURL
// puts in the URL.
type ActionEvent struct {
	Setting string // "action_incoming_url"
	Event   string // "incoming"
}

// ActionEvents are the action URL settings the vendor document lets CSTA
// read and write, plus the hidden firewall test (action_fwtest_url, set
// only by SetSettings, fired by FireTest).
var ActionEvents = []ActionEvent{
	{"action_incoming_url", "incoming"},
	{"action_outgoing_url", "outgoing"},
	{"action_connected_url", "connected"},
	{"action_disconnected_url", "disconnected"},
	{"action_hold", "hold"},
	{"action_unhold", "unhold"},
	{"action_transfer", "transfer"},
	{"action_blind_transfer", "blind_transfer"},
	{"action_attended_transfer", "attended_transfer"},
	{"action_offhook_url", "offhook"},
	{"action_onhook_url", "onhook"},
	{"action_missed_url", "missed"},
	{"action_fwtest_url", "fwtest"},
}

// Variables are the runtime variables of the Snom wiki's "Action URLs"
// page (service.snom.com/display/wiki/Action+URLs, also
// wiki.snom.com/Web_Interface/V8/Action_URL_Settings), and "$mac", a
// setting ("static variables" are the phone's settings; private ones such
// as passwords become empty). ActionURL uses those marked in callbackParams.
var Variables = map[string]string{
	"$local":            "the SIP URI of callee",
	"$remote":           "the SIP URI of caller",
	"$active_url":       "the SIP URI of the active outgoing identity",
	"$active_user":      "the user part of the SIP URI for the active outgoing identity",
	"$active_host":      "the host part of the SIP URI for the active outgoing identity",
	"$csta_id":          "CSTA ID, the ConnectionID of CSTA requests",
	"$call-id":          "the call-id of the active call",
	"$display_local":    "the display name of callee",
	"$display_remote":   "the display name of caller",
	"$expansion_module": "the expansion module in use",
	"$active_key":       "the function key (P1, P5...) associated with a call",
	"$phone_ip":         "the current IP address of the phone",
	"$local_ip":         "the local IP address of the phone",
	"$nr_ongoing_calls": "the number of active calls",
	"$context_url":      "the SIP URI logged on/off, in log on/off actions",
	"$cancel_reason":    "the Reason header of a SIP CANCEL",
	"$longpress_key":    "the function key long pressed",
	"$mac":              "the MAC address (a setting)",
}

// callbackParams are the query parameters ActionURL writes, in order, and
// the variable each carries. The order is what ParseCallback relies on:
// ids and numbers first, free text (SIP URIs, display names) last, so that
// a "#" or "&" in a value damages as little as possible.
var callbackParams = []struct{ name, variable string }{
	{"event", ""},
	{"token", ""},
	{"csta_id", "$csta_id"},
	{"call_id", "$call-id"},
	{"calls", "$nr_ongoing_calls"},
	{"mac", "$mac"},
	{"phone_ip", "$phone_ip"},
	{"active_user", "$active_user"},
	{"active_host", "$active_host"},
	{"active_url", "$active_url"},
	{"local", "$local"},
	{"remote", "$remote"},
	{"display_remote", "$display_remote"},
}

// ActionURL returns the URL the phone should call for event:
//
//	base?event=EVENT&token=TOKEN&csta_id=$csta_id&call_id=$call-id&calls=$nr_ongoing_calls
//	  &mac=$mac&phone_ip=$phone_ip&active_user=$active_user&active_host=$active_host
//	  &active_url=$active_url&local=$local&remote=$remote&display_remote=$display_remote
//
// base may carry its own query (parameters are appended with "&"; none may
// be named event); its fragment is dropped and any "$" in it is written
// %24 so the phone does not replace it. event and token are
// percent-encoded; the token should be 1 to 256 letters, digits and
// "-._~" (ParseCallback refuses others) and unguessable, one per device.
// It travels as token= so that log redaction (sdk.RedactURL) hides it.
func ActionURL(base, event, token string) string {
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base = base[:i]
	}
	base = strings.ReplaceAll(base, "$", "%24")
	var b strings.Builder
	b.WriteString(base)
	switch {
	case !strings.Contains(base, "?"):
		b.WriteByte('?')
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		b.WriteByte('&')
	}
	for i, p := range callbackParams {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name + "=")
		switch p.name {
		case "event":
			b.WriteString(queryValue(event))
		case "token":
			b.WriteString(queryValue(token))
		default:
			b.WriteString(p.variable)
		}
	}
	return b.String()
}

// Callback is one action URL call, as ParseCallback read it. Empty fields
// were empty, absent or not replaced by the phone.
type Callback struct {
	Event string // one of ActionEvents' Event
	Token string // compare with TokenMatches
	// CSTAID is the call's $csta_id, the id of CSTA requests ("-18").
	CSTAID string
	// CallID is the SIP Call-ID ($call-id).
	CallID string
	// OngoingCalls is $nr_ongoing_calls, -1 when absent.
	OngoingCalls int
	MAC          string // 12 upper-case hex digits
	PhoneIP      string
	ActiveUser   string
	ActiveHost   string
	ActiveURL    string
	Local        string // the callee's SIP URI
	Remote       string // the caller's SIP URI
	// DisplayRemote is the caller's display name.
	DisplayRemote string
	// Truncated: the query ended before display_remote; the value that
	// ends it and everything after it may be cut (a "#" in a value ends
	// the URL the phone sends).
	Truncated bool
}

// TokenMatches compares the callback's token with want in constant time.
func (cb Callback) TokenMatches(want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(cb.Token), []byte(want)) == 1
}

// Limits of a callback.
const (
	MaxCallbackQuery = 8 << 10 // longer queries are refused
	MaxCallbackBody  = 8 << 10 // body bytes read; the rest is ignored
	maxCallbackValue = 2048
	maxToken         = 256
)

// ParseCallbackRequest is ParseCallback for a request a handler received;
// it reads at most MaxCallbackBody bytes of a POST body.
func ParseCallbackRequest(r *http.Request) (Callback, error) {
	var body []byte
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, MaxCallbackBody))
	}
	return ParseCallback(r.Method, r.URL.RawQuery, body)
}

// ParseCallback reads a call of a URL made by ActionURL: method GET (the
// phone's) or POST (whose body, up to MaxCallbackBody bytes, is read when
// the query is empty), rawQuery as received (at most MaxCallbackQuery
// bytes). Parameters are found by their order, not split at every "&", so
// values may contain "&" and "="; values are percent-decoded when they
// decode ("+" stays "+", a phone number's plus), invalid UTF-8 and control
// characters become U+FFFD, and a variable the phone left as "$name" reads
// as empty. Event, token, csta_id, calls, mac and phone_ip are checked
// strictly. Errors wrap ErrInvalidCallback; it never panics.
func ParseCallback(method, rawQuery string, body []byte) (Callback, error) {
	fail := func(format string, args ...any) (Callback, error) {
		return Callback{}, fmt.Errorf("snomapi: action url callback: %s: %w", fmt.Sprintf(format, args...), ErrInvalidCallback)
	}
	if method != http.MethodGet && method != http.MethodPost {
		return fail("method %q; the phone sends GET", truncateText(method))
	}
	if len(rawQuery) > MaxCallbackQuery {
		return fail("query of %d bytes, want at most %d", len(rawQuery), MaxCallbackQuery)
	}
	q := rawQuery
	if q == "" && method == http.MethodPost {
		q = string(body[:min(len(body), MaxCallbackBody)])
	}
	start := -1
	if strings.HasPrefix(q, "event=") {
		start = 0
	} else if i := strings.Index(q, "&event="); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return fail("no event parameter; was the action url made by ActionURL?")
	}
	vals := make([]string, len(callbackParams))
	pos := start + len("event=")
	cb := Callback{OngoingCalls: -1}
	for i := range callbackParams {
		if i+1 == len(callbackParams) {
			vals[i] = q[pos:]
			break
		}
		marker := "&" + callbackParams[i+1].name + "="
		j := strings.Index(q[pos:], marker)
		if j < 0 {
			vals[i] = q[pos:]
			cb.Truncated = true
			if i < 1 {
				return fail("no token parameter")
			}
			break
		}
		vals[i] = q[pos : pos+j]
		pos += j + len(marker)
	}
	for i, v := range vals {
		if len(v) > maxCallbackValue {
			return fail("%s is %d bytes long, want at most %d", callbackParams[i].name, len(v), maxCallbackValue)
		}
		vals[i] = cleanValue(v, callbackParams[i].variable)
	}
	cb.Event, cb.Token = vals[0], vals[1]
	if !knownEvent(cb.Event) {
		return fail("unknown event %q", truncateText(cb.Event))
	}
	if cb.Token == "" || len(cb.Token) > maxToken || strings.Trim(cb.Token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		return fail("token is empty, longer than %d or not made of letters, digits and -._~", maxToken)
	}
	cb.CSTAID, cb.CallID = vals[2], vals[3]
	if cb.CSTAID != "" && checkCallID("", "", cb.CSTAID) != nil {
		return fail("csta_id %q is not a csta id", truncateText(cb.CSTAID))
	}
	if vals[4] != "" {
		n, err := parseMillis(vals[4])
		if err != nil || len(vals[4]) > 3 {
			return fail("calls %q is not a number of calls", truncateText(vals[4]))
		}
		cb.OngoingCalls = int(n)
	}
	var ok bool
	if cb.MAC, ok = normalizeMAC(vals[5]); !ok {
		return fail("mac %q is not a mac address", truncateText(vals[5]))
	}
	if ip := vals[6]; ip != "" {
		addr, err := netip.ParseAddr(strings.Trim(ip, "[]"))
		if err != nil {
			return fail("phone_ip %q is not an ip address", truncateText(ip))
		}
		cb.PhoneIP = addr.String()
	}
	cb.ActiveUser, cb.ActiveHost, cb.ActiveURL = vals[7], vals[8], vals[9]
	cb.Local, cb.Remote, cb.DisplayRemote = vals[10], vals[11], vals[12]
	return cb, nil
}

func knownEvent(e string) bool {
	for _, a := range ActionEvents {
		if a.Event == e {
			return true
		}
	}
	return false
}

// cleanValue percent-decodes v when it decodes, makes it valid UTF-8
// without control characters, and empties an unreplaced variable.
func cleanValue(v, variable string) string {
	if variable != "" && v == variable {
		return ""
	}
	if strings.IndexByte(v, '%') >= 0 {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, v)
}

// normalizeMAC accepts "" or 12 hex digits, optionally separated by ":"
// or "-", and returns them upper case without separators.
func normalizeMAC(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case '0' <= ch && ch <= '9', 'A' <= ch && ch <= 'F':
			b.WriteByte(ch)
		case 'a' <= ch && ch <= 'f':
			b.WriteByte(ch - 'a' + 'A')
		case ch == ':' || ch == '-':
		default:
			return "", false
		}
	}
	if b.Len() != 12 {
		return "", false
	}
	return b.String(), true
}
