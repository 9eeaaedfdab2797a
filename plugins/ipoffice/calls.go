package ipoffice

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// stateOf maps IP Office's call state (document, lines 2001-2026) onto the
// unified one. States cti.v1 has no word for while the call still exists
// (a busy or failed call the user still hears, voicemail, after-call work)
// are UNSPECIFIED with the vendor's word in vendor_state.
func stateOf(ci *mtcti.CallInfo) ctiv1.CallState {
	switch ci.GetState() {
	case mtcti.CallInfo_DIALTONE:
		return ctiv1.CallState_CALL_STATE_IDLE
	case mtcti.CallInfo_DIALLING, mtcti.CallInfo_DIALLED, mtcti.CallInfo_WAITINGFORACCT, mtcti.CallInfo_WAITINGFORAUTH, mtcti.CallInfo_WAITINGFORLINE:
		return ctiv1.CallState_CALL_STATE_DIALING
	case mtcti.CallInfo_RINGING, mtcti.CallInfo_RINGINGDIVERT, mtcti.CallInfo_RINGINGVOICEMAIL:
		return ctiv1.CallState_CALL_STATE_RINGING
	case mtcti.CallInfo_RINGBACK:
		return ctiv1.CallState_CALL_STATE_RINGBACK
	case mtcti.CallInfo_CONNECTED:
		if ci.GetActiveheld() {
			return ctiv1.CallState_CALL_STATE_HELD_BY_REMOTE
		}
		return ctiv1.CallState_CALL_STATE_CONNECTED
	case mtcti.CallInfo_ONHOLD, mtcti.CallInfo_ONHOLDPENDTRANSFER, mtcti.CallInfo_ONHOLDPENDCONF, mtcti.CallInfo_REMINDER:
		return ctiv1.CallState_CALL_STATE_HELD
	case mtcti.CallInfo_QUEUEING, mtcti.CallInfo_RETARGETING:
		return ctiv1.CallState_CALL_STATE_QUEUED
	}
	return ctiv1.CallState_CALL_STATE_UNSPECIFIED
}

// toCall is the unified snapshot of one CallInfo on device d.
func toCall(d *device, id string, ci *mtcti.CallInfo) *ctiv1.Call {
	c := &ctiv1.Call{
		CallId:              id,
		GlobalCallId:        hex.EncodeToString(ci.GetGcid()),
		State:               stateOf(ci),
		VendorState:         ci.GetState().String(),
		Muted:               ci.GetMute(),
		AvailableOperations: callOps(ci.Features(), d.ent.queue),
		Local:               &ctiv1.Party{Number: d.ent.extn, Name: d.ent.name},
	}
	switch ci.GetDirection() {
	case mtcti.CallInfo_INBOUND:
		c.Direction = ctiv1.CallDirection_CALL_DIRECTION_INBOUND
	case mtcti.CallInfo_OUTBOUND:
		c.Direction = ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
	case mtcti.CallInfo_PICKUP:
		c.Direction = ctiv1.CallDirection_CALL_DIRECTION_PICKUP
	}
	// The far end: who is connected, else who calls (inbound) or who is
	// called (outbound).
	switch p := ci.GetConnectedparty(); {
	case p.GetNumber() != "" || p.GetName() != "":
		c.Remote = party(p)
	case c.Direction == ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND && ci.GetCalledparty() != "":
		c.Remote = &ctiv1.Party{Number: ci.GetCalledparty()}
	case ci.GetCallingparty() != nil:
		c.Remote = party(ci.GetCallingparty())
	}
	c.ParkSlot, c.Tag, c.AccountCode, c.DialedNumber = ci.GetParkslot(), ci.GetTag(), ci.GetAccountcode(), ci.GetTrunkinfo().GetDid()
	if q := ci.GetQueueinfo(); q.GetNumber() != "" || q.GetName() != "" {
		c.Queue = &ctiv1.CallQueue{Queue: q.GetNumber(), Name: q.GetName(), Priority: q.GetPriority()}
	}
	if p := ci.GetOriginalcalledparty(); p.GetNumber() != "" || p.GetName() != "" {
		c.OriginalCalled = party(p)
	}
	switch {
	case ci.GetRecordingpaused():
		c.Recording = ctiv1.RecordingState_RECORDING_STATE_PAUSED
	case ci.GetRecording():
		c.Recording = ctiv1.RecordingState_RECORDING_STATE_ON
	}
	for _, m := range ci.GetConferencemember() {
		if p := m.GetConnectedparty(); p.GetNumber() != "" || p.GetName() != "" {
			c.ConferenceMembers = append(c.ConferenceMembers, party(p))
		}
	}
	if r := ci.GetRelatedcallid(); r != 0 {
		if key, ok := d.ids[[2]int32{d.vendorSub(id), r}]; ok {
			c.RelatedCallId = key
		}
	}
	return c
}

// vendorSub is the subscription call id is reported on now.
func (d *device) vendorSub(id string) int32 { return d.vendor[id][0] }

func party(p *mtcti.PartyInfo) *ctiv1.Party {
	if p.GetWithheld() {
		return &ctiv1.Party{Name: p.GetName()}
	}
	return &ctiv1.Party{Number: p.GetNumber(), Name: p.GetName()}
}

// endOf maps a CallLost onto why the call ended and who ended it.
// reason is a Q.850 cause (document, line 2219: "16 = Normal").
func endOf(lost *mtcti.CallLost, last *ctiv1.Call) (ctiv1.EndReason, ctiv1.EndedBy) {
	by := ctiv1.EndedBy_ENDED_BY_REMOTE
	if lost.GetThisenddropped() {
		by = ctiv1.EndedBy_ENDED_BY_LOCAL
	}
	connected := last.GetConnectedAt() != nil
	switch lost.GetReason() {
	case 17: // user busy
		return ctiv1.EndReason_END_REASON_BUSY, by
	case 21: // call rejected
		return ctiv1.EndReason_END_REASON_REJECTED, by
	case 26: // non-selected user clearing: another device answered it
		return ctiv1.EndReason_END_REASON_TRANSFERRED, by
	case 18, 19: // no user responding, no answer
		return ctiv1.EndReason_END_REASON_NO_ANSWER, by
	case 1, 3, 22, 27, 28, 34, 38, 41, 42, 44, 47, 57, 58, 63, 88: // unallocated number, no route, out of order, no circuit, barred...
		if !connected {
			return ctiv1.EndReason_END_REASON_FAILED, by
		}
	}
	if !connected && last.GetDirection() == ctiv1.CallDirection_CALL_DIRECTION_INBOUND && !lost.GetThisenddropped() {
		return ctiv1.EndReason_END_REASON_NO_ANSWER, by // the caller gave up, or another agent took it
	}
	return ctiv1.EndReason_END_REASON_NORMAL, by
}

// lostText is the vendor's reason, for logs.
func lostText(lost *mtcti.CallLost) string {
	parts := []string{fmt.Sprintf("cause %d", lost.GetReason())}
	if d := strings.TrimSpace(lost.GetDescription()); d != "" {
		parts = append(parts, d)
	}
	return strings.Join(parts, ": ")
}
