package snomsim

import (
	"fmt"
	"strconv"
	"strings"
)

// Transfer is one completed transfer, for tests.
type Transfer struct {
	Kind   string `json:"kind"`    // "blind" or "attended"
	CSTAID string `json:"csta_id"` // the transferred call
	To     string `json:"to"`      // blind: the number; attended: the other call's remote URI
}

// blindTransfer hands the established call c to number and leaves it.
// Modelled order of callbacks: action_transfer, action_blind_transfer,
// then action_disconnected_url of the call.
func (p *Phone) blindTransfer(c *call, number string) error {
	number = strings.TrimSpace(number)
	if number == "" {
		return fmt.Errorf("%w: no transfer target", ErrNotApplicable)
	}
	if c.state != StateConnected && c.state != StateHeld {
		return fmt.Errorf("%w: call %d is %s; only an established call can be transferred", ErrNotApplicable, c.csta, c.state)
	}
	p.dev.transfers = append(p.dev.transfers, Transfer{Kind: "blind", CSTAID: strconv.Itoa(c.csta), To: number})
	p.emit(ActionTransfer, c)
	p.emit(ActionBlindTransfer, c)
	p.end(c, ActionDisconnected)
	return nil
}

// attendedTransfer connects the held call a with the active call b (the
// one that called the target and announced the transfer) and leaves both.
// Modelled order: action_transfer, action_attended_transfer (both with
// the held call's variables), then action_disconnected_url of a and of b.
func (p *Phone) attendedTransfer(a, b *call) error {
	if a == b || a.state != StateHeld || (b.state != StateConnected && b.state != StateCalling) {
		return fmt.Errorf("%w: an attended transfer needs a held call and an active one", ErrNotApplicable)
	}
	p.dev.transfers = append(p.dev.transfers, Transfer{Kind: "attended", CSTAID: strconv.Itoa(a.csta), To: b.remote})
	p.emit(ActionTransfer, a)
	p.emit(ActionAttendedTransfer, a)
	p.end(a, ActionDisconnected)
	p.end(b, ActionDisconnected)
	return nil
}
