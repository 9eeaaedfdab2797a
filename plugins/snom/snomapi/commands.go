package snomapi

import (
	"context"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// The web-page commands of the vendor document's "Other keyevents" list.
// Each is one GET; none is idempotent unless said so. Success means the
// phone's web server took the request (2xx or a 302/303 redirect), not
// that the phone could act on it: the pages answer the same HTML whatever
// the call state.

// PressKeys presses keys: GET /command.htm?key=EncodeKeys(events). The
// document calls key= a "post value" but writes every example as a query
// (http://phoneIP/command.htm?key=KEYEVENT[;KEYEVENT]), and public clients
// send GET (github.com/fxjung/desk_phone_utility, tested on a D717;
// github.com/sebastianmathes/snom-remote-control), so GET is used. With a
// Config.Model the keys are checked against that model. The request's
// timeout grows by KeysDuration(events). Calls on one Client are
// serialized, so two sequences never interleave on the phone.
func (c *Client) PressKeys(ctx context.Context, events []KeyEvent) error {
	if c.hasModel {
		if err := c.model.CheckKeys(events); err != nil {
			return err
		}
	}
	enc, err := EncodeKeys(events)
	if err != nil {
		return err
	}
	select {
	case c.keys <- struct{}{}:
		defer func() { <-c.keys }()
	case <-ctx.Done():
		return c.transportError("command.htm key", 0, ctx.Err())
	}
	return c.command(ctx, "command.htm key", "/command.htm", "key="+enc, KeysDuration(events))
}

// maxDialText bounds a number or outgoing URI.
const maxDialText = 256

// checkText refuses empty, long, non-UTF-8 or control-character text.
func checkText(op, what, s string, maxLen int) error {
	switch {
	case s == "":
		return invalid(op, "%s is empty", what)
	case len(s) > maxLen:
		return invalid(op, "%s is %d bytes long, want at most %d", what, len(s), maxLen)
	case !utf8.ValidString(s):
		return invalid(op, "%s is not valid utf-8", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid(op, "%s %q contains a space or control character", what, truncateText(s))
		}
	}
	return nil
}

// Dial dials number from the phone: GET /command.htm?number=NUMBER, with
// &outgoing_uri=URI when outgoingURI is set ("to place a call from a
// specific outgoing line (SIP account, identity) attach
// &outgoing_uri=user@domain1"). Both are percent-encoded, "+" and "@"
// included.
func (c *Client) Dial(ctx context.Context, number, outgoingURI string) error {
	const op = "command.htm number"
	if err := checkText(op, "number", number, maxDialText); err != nil {
		return err
	}
	q := "number=" + queryValue(number)
	if outgoingURI != "" {
		if err := checkText(op, "outgoing uri", outgoingURI, maxDialText); err != nil {
			return err
		}
		q += "&outgoing_uri=" + queryValue(outgoingURI)
	}
	return c.command(ctx, op, "/command.htm", q, 0)
}

// SendDTMF sends DTMF tones during a call: GET /command.htm?key_dtmf=
// (document: "only available during an active call"). digits are 1 to 64
// of 0-9 * # A-D; "#" and "*" travel as %23 and %2A.
func (c *Client) SendDTMF(ctx context.Context, digits string) error {
	const op = "command.htm key_dtmf"
	if digits == "" || len(digits) > 64 {
		return invalid(op, "want 1 to 64 dtmf digits, got %d", len(digits))
	}
	for i := 0; i < len(digits); i++ {
		switch ch := digits[i]; {
		case '0' <= ch && ch <= '9', ch == '*', ch == '#', 'A' <= ch && ch <= 'D':
		default:
			return invalid(op, "digit %q is not one of 0-9 * # A-D", truncateText(digits[i:i+1]))
		}
	}
	return c.command(ctx, op, "/command.htm", "key_dtmf="+queryValue(digits), 0)
}

// ReleaseAllCalls ends every call: GET /command.htm?RELEASE_ALL_CALLS.
// Idempotent.
func (c *Client) ReleaseAllCalls(ctx context.Context) error {
	return c.command(ctx, "command.htm RELEASE_ALL_CALLS", "/command.htm", "RELEASE_ALL_CALLS", 0)
}

// LogoffAll logs off every identity: GET /command.htm?LOGOFFALL.
func (c *Client) LogoffAll(ctx context.Context) error {
	return c.command(ctx, "command.htm LOGOFFALL", "/command.htm", "LOGOFFALL", 0)
}

// checkLine validates an identity number 1..12.
func checkLine(op string, n int) error {
	if n < 1 || n > 12 {
		return invalid(op, "identity %d; want 1 to 12", n)
	}
	return nil
}

// LogoffLine logs off identity n (1..12): GET /command.htm?LOGOFFLINE=n.
func (c *Client) LogoffLine(ctx context.Context, n int) error {
	const op = "command.htm LOGOFFLINE"
	if err := checkLine(op, n); err != nil {
		return err
	}
	return c.command(ctx, op, "/command.htm", "LOGOFFLINE="+strconv.Itoa(n), 0)
}

// Reregister re-registers identity n (1..12): GET /dummy.htm?REREGISTER=n,
// the page the vendor document names (an older Snom wiki page names
// command.htm; a 404 here suggests that page).
func (c *Client) Reregister(ctx context.Context, n int) error {
	const op = "dummy.htm REREGISTER"
	if err := checkLine(op, n); err != nil {
		return err
	}
	return c.command(ctx, op, "/dummy.htm", "REREGISTER="+strconv.Itoa(n), 0)
}

// PlayRinger plays ring tone x (1..9): GET
// /line_login.htm?PLAY_RINGER:x=+Ringer, the document's form written as
// it is ("+Ringer" is the form-encoded " Ringer" of the web page's button).
func (c *Client) PlayRinger(ctx context.Context, x int) error {
	const op = "line_login.htm PLAY_RINGER"
	if x < 1 || x > 9 {
		return invalid(op, "ring tone %d; want 1 to 9", x)
	}
	return c.command(ctx, op, "/line_login.htm", "PLAY_RINGER:"+strconv.Itoa(x)+"=+Ringer", 0)
}

// Reboot reboots the phone: GET /advanced_update.htm?reboot=Reboot. The
// phone is unreachable for a while afterwards.
func (c *Client) Reboot(ctx context.Context) error {
	return c.command(ctx, "advanced_update.htm reboot", "/advanced_update.htm", "reboot=Reboot", 0)
}

// Reset resets the phone to factory settings: GET
// /advanced_update.htm?reset=Reset. Every setting, action URL included, is
// lost.
func (c *Client) Reset(ctx context.Context) error {
	return c.command(ctx, "advanced_update.htm reset", "/advanced_update.htm", "reset=Reset", 0)
}

// CallList names a call list of the phone.
type CallList string

// The call lists ClearList empties.
const (
	ListDialed   CallList = "dialed"
	ListMissed   CallList = "missed"
	ListReceived CallList = "received"
)

// ClearList empties a call list: GET /index.htm?dialeddel=clear,
// misseddel=clear or receiveddel=clear. Idempotent.
func (c *Client) ClearList(ctx context.Context, list CallList) error {
	const op = "index.htm clear list"
	switch list {
	case ListDialed, ListMissed, ListReceived:
	default:
		return invalid(op, "unknown list %q; want dialed, missed or received", truncateText(string(list)))
	}
	return c.command(ctx, op, "/index.htm", string(list)+"del=clear", 0)
}
