package grandstream

import (
	"strings"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// c shortens capability names in the tables below.
type c = ctiv1.Capability

// gxpCapabilities is what the GXP16xx/17xx/21xx CTI functions really do:
// api-phone_operation (endcall, holdcall, acceptcall, rejectcall, cancel),
// api-send_key and api-sys_operation. There is no make_call: Dial is
// composed from keypad keys and SEND. There is no unhold command: Resume
// presses the held call's LINEn key, which is how a GXP resumes a held line
// (modeled device behaviour; the guide documents LINE[1-8] as "select phone
// line" only). DND, mute and speaker exist only as toggling keys whose state
// the CTI API does not report, so SetDND/SetMute/EnableSpeaker are not
// declared: use SendKeys DND/MUTE/SPEAKER.
var gxpCapabilities = []c{
	ctiv1.Capability_CAPABILITY_DIAL, ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD, ctiv1.Capability_CAPABILITY_RESUME,
	ctiv1.Capability_CAPABILITY_BLIND_TRANSFER, ctiv1.Capability_CAPABILITY_SEND_DTMF,
	ctiv1.Capability_CAPABILITY_REBOOT, ctiv1.Capability_CAPABILITY_FACTORY_RESET, ctiv1.Capability_CAPABILITY_SEND_KEYS,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS, ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
}

// dpCapabilities is what the DP75x/72x/730 functions do: api-make_call,
// api-device_operation (per handset line: endcall, holdcall, unholdcall,
// acceptcall, rejectcall, cancel; per handset: mute, speaker, setdnd,
// unsetdnd), api-send_key with hs and api-sys_operation. The DP key table has
// no XFER key, so no transfer.
var dpCapabilities = []c{
	ctiv1.Capability_CAPABILITY_DIAL, ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD, ctiv1.Capability_CAPABILITY_RESUME,
	ctiv1.Capability_CAPABILITY_SEND_DTMF, ctiv1.Capability_CAPABILITY_SET_DND, ctiv1.Capability_CAPABILITY_SET_MUTE,
	ctiv1.Capability_CAPABILITY_SPEAKER, ctiv1.Capability_CAPABILITY_REBOOT, ctiv1.Capability_CAPABILITY_FACTORY_RESET,
	ctiv1.Capability_CAPABILITY_SEND_KEYS, ctiv1.Capability_CAPABILITY_CALL_EVENTS, ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
}

const (
	gxpHint = "GXP phones toggle DND, mute and speaker only by key: use SendKeys DND, MUTE or SPEAKER; " +
		"for attended transfer or conference use SendKeys XFER/CONF with the number and SEND"
	gxp1165Hint = "the GXP1165 has a physical FLASH key but the CTI API has none: for an attended transfer use SendKeys XFER, " +
		"the number and SEND (with Auto-Attended Transfer enabled on the phone), to switch calls use LINE1/LINE2; " + gxpHint
	dpHint = "DP models have no XFER key in the CTI API, so no transfer; mute can be switched on but not off by command (SendKeys MUTE toggles)"
)

// modelCatalog lists every model the guide names, grouped by family.
var modelCatalog = []struct {
	family string
	models []string
}{
	{"GXP16xx", []string{"GXP1610", "GXP1615", "GXP1620", "GXP1625", "GXP1628", "GXP1630"}},
	{"GXP1165", []string{"GXP1165"}},
	{"GXP17xx", []string{"GXP1760", "GXP1780", "GXP1782"}},
	{"GXP21xx", []string{"GXP2130", "GXP2135", "GXP2140", "GXP2160", "GXP2170"}},
	{"DP75x", []string{"DP750", "DP752"}},
	{"DP72x/730", []string{"DP720", "DP722", "DP730"}},
}

// models returns the ModelInfo of every supported model.
func models() []*ctiv1.ModelInfo {
	var out []*ctiv1.ModelInfo
	for _, fam := range modelCatalog {
		for _, m := range fam.models {
			info := &ctiv1.ModelInfo{Model: m, Family: fam.family}
			if strings.HasPrefix(m, "DP") {
				info.Capabilities, info.Description, info.Keys = dpCapabilities, dpHint, gsapi.Keys(gsapi.FamilyDP)
			} else {
				info.Capabilities, info.Description, info.Keys = gxpCapabilities, gxpHint, gsapi.Keys(gsapi.FamilyGXP)
			}
			if m == "GXP1165" {
				info.Description = gxp1165Hint
			}
			out = append(out, info)
		}
	}
	return out
}

// modelInfo finds a model case-insensitively.
func modelInfo(model string) *ctiv1.ModelInfo {
	for _, m := range models() {
		if strings.EqualFold(m.GetModel(), model) {
			return m
		}
	}
	return nil
}

// callState maps a line state word of api-get_line_status (GXP) or
// api-get_hs_line_status (DP) onto the unified model. The guide shows only
// "idle" and "connected"; the other words are the ones the phones' web UI
// and firmware use (modeled, see README). Unknown words keep the call with
// state UNSPECIFIED and the word in vendor_state.
func callState(word string) ctiv1.CallState {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "", "idle":
		return ctiv1.CallState_CALL_STATE_IDLE
	case "dialing", "dialling", "offhook":
		return ctiv1.CallState_CALL_STATE_DIALING
	case "ringing", "incoming":
		return ctiv1.CallState_CALL_STATE_RINGING
	case "calling", "ringback", "proceeding":
		return ctiv1.CallState_CALL_STATE_RINGBACK
	case "connected", "talking", "active":
		return ctiv1.CallState_CALL_STATE_CONNECTED
	case "onhold", "hold", "held":
		return ctiv1.CallState_CALL_STATE_HELD
	}
	return ctiv1.CallState_CALL_STATE_UNSPECIFIED
}

// opsFor returns what can be done to a call in a given state on a family,
// for Call.available_operations.
func opsFor(family gsapi.Family) func(ctiv1.CallState) []c {
	return func(state ctiv1.CallState) []c {
		switch state {
		case ctiv1.CallState_CALL_STATE_RINGING:
			return []c{ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT}
		case ctiv1.CallState_CALL_STATE_DIALING, ctiv1.CallState_CALL_STATE_RINGBACK:
			return []c{ctiv1.Capability_CAPABILITY_HANGUP}
		case ctiv1.CallState_CALL_STATE_CONNECTED:
			ops := []c{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD, ctiv1.Capability_CAPABILITY_SEND_DTMF}
			if family == gsapi.FamilyGXP {
				ops = append(ops, ctiv1.Capability_CAPABILITY_BLIND_TRANSFER)
			}
			return ops
		case ctiv1.CallState_CALL_STATE_HELD:
			return []c{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_RESUME}
		}
		return []c{ctiv1.Capability_CAPABILITY_HANGUP}
	}
}
