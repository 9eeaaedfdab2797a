package gsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Line is one line of a GXP phone, from api-get_line_status.
type Line struct {
	Line         int    // 1-based line number
	State        string // "idle", "connected", ... as the phone reports it
	Account      string // "acct"; often empty
	RemoteName   string // "remotename"
	RemoteNumber string // "remotenum", or "remotenumner" as the guide's example spells it
	Active       bool   // "active": the line has the phone's focus
}

// wireLine is a line as the phone sends it. The guide's general format says
// "remotenum" but its GXP2135 example says "remotenumner"; both are read.
type wireLine struct {
	Line         flexInt     `json:"line"`
	State        flexString  `json:"state"`
	Acct         flexString  `json:"acct"`
	RemoteName   flexString  `json:"remotename"`
	RemoteNum    *flexString `json:"remotenum"`
	RemoteNumner *flexString `json:"remotenumner"`
	Active       flexBool    `json:"active"`
}

// parseLines decodes the body of api-get_line_status, sorted by line.
func parseLines(body json.RawMessage) ([]Line, error) {
	var wire []wireLine
	if err := decodeField(`"body"`, body, &wire); err != nil {
		return nil, err
	}
	lines := make([]Line, 0, len(wire))
	for i, w := range wire {
		if w.Line < 1 {
			return nil, fmt.Errorf("json line %d has line number %d, want >= 1", i, int(w.Line))
		}
		l := Line{Line: int(w.Line), State: string(w.State), Account: string(w.Acct),
			RemoteName: string(w.RemoteName), Active: bool(w.Active)}
		switch {
		case w.RemoteNum != nil && *w.RemoteNum != "":
			l.RemoteNumber = string(*w.RemoteNum)
		case w.RemoteNumner != nil:
			l.RemoteNumber = string(*w.RemoteNumner)
		}
		lines = append(lines, l)
	}
	slices.SortStableFunc(lines, func(a, b Line) int { return a.Line - b.Line })
	return lines, nil
}

// LineStatus sends api-get_line_status (GXP) and returns every line, sorted
// by line number. Read-only.
func (c *Client) LineStatus(ctx context.Context) ([]Line, error) {
	const fn = "api-get_line_status"
	env, err := c.get(ctx, fn, c.newQuery())
	if err != nil {
		return nil, err
	}
	lines, perr := parseLines(env.body)
	if perr != nil {
		return nil, c.badShape(fn, perr)
	}
	return lines, nil
}

// Phone status values of api-get_phone_status.
const (
	PhoneAvailable = "available"
	PhoneBusy      = "busy"
)

// parsePhoneStatus decodes the body of api-get_phone_status.
func parsePhoneStatus(body json.RawMessage) (string, error) {
	var s string
	if err := decodeField(`"body"`, body, &s); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New(`json "body" is an empty string`)
	}
	return s, nil
}

// PhoneStatus sends api-get_phone_status (GXP) and returns the body,
// "available" or "busy" (PhoneAvailable, PhoneBusy). Read-only.
func (c *Client) PhoneStatus(ctx context.Context) (string, error) {
	const fn = "api-get_phone_status"
	env, err := c.get(ctx, fn, c.newQuery())
	if err != nil {
		return "", err
	}
	s, perr := parsePhoneStatus(env.body)
	if perr != nil {
		return "", c.badShape(fn, perr)
	}
	return s, nil
}

// Commands of api-phone_operation (GXP) and api-device_operation (DP).
const (
	CmdEndCall    = "endcall"    // end the established call
	CmdHoldCall   = "holdcall"   // put the established call on hold
	CmdUnholdCall = "unholdcall" // resume the held call (DP only)
	CmdAcceptCall = "acceptcall" // answer the incoming call
	CmdRejectCall = "rejectcall" // reject the incoming call
	CmdCancel     = "cancel"     // reject or cancel calls
	CmdMute       = "mute"       // mute while on call (DP only, no line)
	CmdSpeaker    = "speaker"    // speaker while on call (DP only, no line)
	CmdSetDND     = "setdnd"     // enable do not disturb (DP only, no line)
	CmdUnsetDND   = "unsetdnd"   // disable do not disturb (DP only, no line)
)

var phoneCmds = []string{CmdEndCall, CmdHoldCall, CmdAcceptCall, CmdRejectCall, CmdCancel}

// PhoneOperation sends api-phone_operation (GXP) with cmd one of endcall,
// holdcall, acceptcall, rejectcall or cancel (case-insensitive). The phone
// acts on its active call; a command that does not apply is KindRefused
// (body false). Not idempotent.
func (c *Client) PhoneOperation(ctx context.Context, cmd string) error {
	const fn = "api-phone_operation"
	cmd = strings.ToLower(strings.TrimSpace(cmd))
	if !slices.Contains(phoneCmds, cmd) {
		return invalid(fn, "unknown cmd %q; want one of %s", cmd, strings.Join(phoneCmds, ", "))
	}
	_, err := c.get(ctx, fn, c.newQuery().str("cmd", cmd))
	return err
}

// Account is one SIP account of a GXP phone, from api-get_accounts.
type Account struct {
	ID         int    // "id", 1-based
	SIPServer  string // "sip_server"
	SIPID      string // "sip_id", the SIP user ID
	Name       string // "name"
	Registered bool   // "reg"
}

type wireAccount struct {
	ID        flexInt    `json:"id"`
	SIPServer flexString `json:"sip_server"`
	SIPID     flexString `json:"sip_id"`
	Name      flexString `json:"name"`
	Reg       flexBool   `json:"reg"`
}

// parseAccounts decodes the body of api-get_accounts.
func parseAccounts(body json.RawMessage) ([]Account, error) {
	var wire []wireAccount
	if err := decodeField(`"body"`, body, &wire); err != nil {
		return nil, err
	}
	accts := make([]Account, 0, len(wire))
	for _, w := range wire {
		accts = append(accts, Account{ID: int(w.ID), SIPServer: string(w.SIPServer), SIPID: string(w.SIPID),
			Name: string(w.Name), Registered: bool(w.Reg)})
	}
	return accts, nil
}

// Accounts sends api-get_accounts (GXP) and returns the accounts in the
// phone's order. Read-only.
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	const fn = "api-get_accounts"
	env, err := c.get(ctx, fn, c.newQuery())
	if err != nil {
		return nil, err
	}
	accts, perr := parseAccounts(env.body)
	if perr != nil {
		return nil, c.badShape(fn, perr)
	}
	return accts, nil
}
