package gsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AccountStatus is a DP account, from api-get_account_status's "AccountN"
// object.
type AccountStatus struct {
	Account    int    // the account asked for
	Registered bool   // "Registered"
	Profile    int    // "Profile"
	Active     bool   // "Active"
	HSMode     string // "HSMode", e.g. "HS1"
}

type wireAccountStatus struct {
	Registered flexBool   `json:"Registered"`
	Profile    flexInt    `json:"Profile"`
	Active     flexBool   `json:"Active"`
	HSMode     flexString `json:"HSMode"`
}

// parseAccountStatus decodes the "Account<account>" object of env.
func parseAccountStatus(env envelope, account int) (AccountStatus, error) {
	name := "Account" + strconv.Itoa(account)
	raw, ok := env.field(name)
	if !ok {
		return AccountStatus{}, fmt.Errorf("json answer has no %q object", name)
	}
	var w wireAccountStatus
	if err := decodeField(strconv.Quote(name), raw, &w); err != nil {
		return AccountStatus{}, err
	}
	return AccountStatus{Account: account, Registered: bool(w.Registered), Profile: int(w.Profile),
		Active: bool(w.Active), HSMode: string(w.HSMode)}, nil
}

// AccountStatus sends api-get_account_status (DP) for account (>= 1).
// Read-only.
func (c *Client) AccountStatus(ctx context.Context, account int) (AccountStatus, error) {
	const fn = "api-get_account_status"
	if account < 1 {
		return AccountStatus{}, invalid(fn, "account %d; want >= 1", account)
	}
	env, err := c.get(ctx, fn, c.newQuery().int("account", account))
	if err != nil {
		return AccountStatus{}, err
	}
	st, perr := parseAccountStatus(env, account)
	if perr != nil {
		return AccountStatus{}, c.badShape(fn, perr)
	}
	return st, nil
}

// HandsetStatus is a DP handset, from api-get_hs_status's "HSN" object. An
// unpaired handset answers Initialized and Subscribed false and Status "".
type HandsetStatus struct {
	Handset     int    // the handset asked for
	Initialized bool   // "initialized"
	Subscribed  bool   // "subscribed": paired with the base
	Status      string // "status", e.g. "idle"
}

type wireHandsetStatus struct {
	Initialized flexBool   `json:"initialized"`
	Subscribed  flexBool   `json:"subscribed"`
	Status      flexString `json:"status"`
}

// parseHandsetStatus decodes the "HS<hs>" object of env.
func parseHandsetStatus(env envelope, hs int) (HandsetStatus, error) {
	name := "HS" + strconv.Itoa(hs)
	raw, ok := env.field(name)
	if !ok {
		return HandsetStatus{}, fmt.Errorf("json answer has no %q object", name)
	}
	var w wireHandsetStatus
	if err := decodeField(strconv.Quote(name), raw, &w); err != nil {
		return HandsetStatus{}, err
	}
	return HandsetStatus{Handset: hs, Initialized: bool(w.Initialized), Subscribed: bool(w.Subscribed),
		Status: string(w.Status)}, nil
}

// HandsetStatus sends api-get_hs_status (DP) for handset hs (>= 1).
// Read-only.
func (c *Client) HandsetStatus(ctx context.Context, hs int) (HandsetStatus, error) {
	const fn = "api-get_hs_status"
	if hs < 1 {
		return HandsetStatus{}, invalid(fn, "handset %d; want >= 1", hs)
	}
	env, err := c.get(ctx, fn, c.newQuery().int("hs", hs))
	if err != nil {
		return HandsetStatus{}, err
	}
	st, perr := parseHandsetStatus(env, hs)
	if perr != nil {
		return HandsetStatus{}, c.badShape(fn, perr)
	}
	return st, nil
}

// HSLine is one line of a DP handset, from api-get_hs_line_status.
type HSLine struct {
	Line       int    // N of the "LineN" key
	Status     string // "Status", e.g. "idle"
	Account    int    // "Account", 0 when none
	Registered bool   // "Registered"
	Active     bool   // "Active"
}

type wireHSLine struct {
	Status     flexString `json:"Status"`
	Account    flexInt    `json:"Account"`
	Registered flexBool   `json:"Registered"`
	Active     flexBool   `json:"Active"`
}

// parseHSLines decodes the "HS<hs>" object of env: {"Line1": {...}, ...}.
// Keys that are not LineN are ignored; the result is sorted by line.
func parseHSLines(env envelope, hs int) ([]HSLine, error) {
	name := "HS" + strconv.Itoa(hs)
	raw, ok := env.field(name)
	if !ok {
		return nil, fmt.Errorf("json answer has no %q object", name)
	}
	var wire map[string]json.RawMessage
	if err := decodeField(strconv.Quote(name), raw, &wire); err != nil {
		return nil, err
	}
	lines := make([]HSLine, 0, len(wire))
	for key, v := range wire {
		if len(key) < 5 || !strings.EqualFold(key[:4], "line") || !isDigits(key[4:]) {
			continue
		}
		n, err := strconv.Atoi(key[4:])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("json %q is not a valid line", key)
		}
		var w wireHSLine
		if err := decodeField(strconv.Quote(key), v, &w); err != nil {
			return nil, err
		}
		lines = append(lines, HSLine{Line: n, Status: string(w.Status), Account: int(w.Account),
			Registered: bool(w.Registered), Active: bool(w.Active)})
	}
	slices.SortFunc(lines, func(a, b HSLine) int { return a.Line - b.Line })
	for i := 1; i < len(lines); i++ {
		if lines[i].Line == lines[i-1].Line {
			return nil, fmt.Errorf("json %q lists line %d twice", name, lines[i].Line)
		}
	}
	return lines, nil
}

// HandsetLineStatus sends api-get_hs_line_status (DP) for handset hs (>= 1)
// and returns its lines sorted by line number. Read-only.
func (c *Client) HandsetLineStatus(ctx context.Context, hs int) ([]HSLine, error) {
	const fn = "api-get_hs_line_status"
	if hs < 1 {
		return nil, invalid(fn, "handset %d; want >= 1", hs)
	}
	env, err := c.get(ctx, fn, c.newQuery().int("hs", hs))
	if err != nil {
		return nil, err
	}
	lines, perr := parseHSLines(env, hs)
	if perr != nil {
		return nil, c.badShape(fn, perr)
	}
	return lines, nil
}

// maxNumber bounds a dialed number.
const maxNumber = 128

// validNumber accepts digits, letters and the characters of dial strings and
// SIP user parts: * # + . - _ @.
func validNumber(n string) bool {
	if n == "" || len(n) > maxNumber {
		return false
	}
	for _, r := range n {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("*#+.-_@", r):
		default:
			return false
		}
	}
	return true
}

// MakeCall sends api-make_call (DP): handset hs (>= 1) dials number, which
// is percent-encoded. Not idempotent: each call places a new call.
func (c *Client) MakeCall(ctx context.Context, hs int, number string) error {
	const fn = "api-make_call"
	if hs < 1 {
		return invalid(fn, "handset %d; want >= 1", hs)
	}
	if !validNumber(number) {
		return invalid(fn, "number %q; want 1-%d digits, letters or * # + . - _ @", number, maxNumber)
	}
	_, err := c.get(ctx, fn, c.newQuery().int("hs", hs).str("phonenumber", number))
	return err
}

// lineCmds need a line; noLineCmds carry no line argument per the guide
// ("For mute, speaker, setdnd and unsetdnd commands, there is no line=x
// argument").
var (
	lineCmds   = []string{CmdEndCall, CmdHoldCall, CmdUnholdCall, CmdAcceptCall, CmdRejectCall, CmdCancel}
	noLineCmds = []string{CmdMute, CmdSpeaker, CmdSetDND, CmdUnsetDND}
)

// DeviceOperation sends api-device_operation (DP) for handset hs (>= 1).
// endcall, holdcall, unholdcall, acceptcall, rejectcall and cancel act on
// line (>= 1); mute, speaker, setdnd and unsetdnd have no line argument and
// line is ignored (not sent). cmd is case-insensitive. A command that does
// not apply is KindRefused (body false).
func (c *Client) DeviceOperation(ctx context.Context, hs, line int, cmd string) error {
	const fn = "api-device_operation"
	cmd = strings.ToLower(strings.TrimSpace(cmd))
	if hs < 1 {
		return invalid(fn, "handset %d; want >= 1", hs)
	}
	q := c.newQuery().int("hs", hs)
	switch {
	case slices.Contains(lineCmds, cmd):
		if line < 1 {
			return invalid(fn, "%s needs a line >= 1, got %d", cmd, line)
		}
		q.int("line", line)
	case slices.Contains(noLineCmds, cmd):
	default:
		return invalid(fn, "unknown cmd %q; want one of %s, %s", cmd,
			strings.Join(lineCmds, ", "), strings.Join(noLineCmds, ", "))
	}
	_, err := c.get(ctx, fn, q.str("cmd", cmd))
	return err
}
