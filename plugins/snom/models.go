package snom

import (
	"fmt"
	"strings"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// capabilities are the same for every D3xx/D7xx model: they are declared
// per model, not per firmware. Call control (answer, reject, hangup, hold,
// resume, blind transfer, complete transfer) is CSTA over HTTP, which firmware before 7.3.4
// and 8.7.0-8.7.2 lack: on such a phone those commands answer
// FAILED_PRECONDITION naming the firmware, and DeviceStatus lists them in
// unavailable_operations. Dial, DTMF, keys, reboot and reset are web pages
// that every firmware has. DND, mute and speaker are toggle keys whose
// state the phone does not report, so SET_DND, SET_MUTE and SPEAKER are not
// declared: use SendKeys DND, MUTE or SPEAKER.
var capabilities = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_DIAL, ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD, ctiv1.Capability_CAPABILITY_RESUME,
	ctiv1.Capability_CAPABILITY_SEND_DTMF, ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
	ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER, ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER,
	ctiv1.Capability_CAPABILITY_SEND_KEYS, ctiv1.Capability_CAPABILITY_REBOOT, ctiv1.Capability_CAPABILITY_FACTORY_RESET,
	ctiv1.Capability_CAPABILITY_SHOW_TEXT, ctiv1.Capability_CAPABILITY_CALL_EVENTS, ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
}

// cstaCapabilities are the operations that need CSTA over HTTP. A
// consultation by keys needs it too: without CSTA the action URLs cannot
// be provisioned, so the driver knows no calls, and the transfer is
// completed with CSTA TransferCall.
var cstaCapabilities = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT, ctiv1.Capability_CAPABILITY_HANGUP,
	ctiv1.Capability_CAPABILITY_HOLD, ctiv1.Capability_CAPABILITY_RESUME, ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
	ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER, ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER,
	ctiv1.Capability_CAPABILITY_SHOW_TEXT,
}

const description = "call control (answer, reject, hangup, hold, resume, blind, consult and complete transfer) and ShowText need CSTA over HTTP, " +
	"firmware 7.3.4 or later except 8.7.0-8.7.2 (see DeviceStatus.unavailable_operations); " +
	"ConsultTransfer uses CSTA ConsultationCall from firmware 8.7.4 and answers consult_call_id; before 8.7.4 it presses the document's keys " +
	"F_HOLD, the destination's digits (0-9 only) and ENTER, and the consultation call appears with related_call_id; " +
	"CompleteTransfer uses CSTA TransferCall and both calls end TRANSFERRED; " +
	"DND, mute and speaker are toggle keys whose state the phone does not report: use SendKeys DND, MUTE or SPEAKER; " +
	"events come from the phone's action URLs, which the driver provisions (needs the host's callback_listen)"

// namedKeys are the document's key events (besides F, P and EK keys).
var namedKeys = []string{
	"CANCEL", "ENTER", "OFFHOOK", "ONHOOK", "RIGHT", "LEFT", "UP", "DOWN", "VOLUME_UP", "VOLUME_DOWN",
	"MENU", "MUTE", "REDIAL", "DND", "REC", "SPEAKER", "HEADSET", "TRANSFER", "F_HOLD",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#",
}

// keysOf lists every key SendKeys accepts on m.
func keysOf(m snomapi.Model) []string {
	keys := append([]string(nil), namedKeys...)
	for i := 1; i <= m.FKeys; i++ {
		keys = append(keys, fmt.Sprintf("F%d", i))
	}
	for i := 1; i <= m.PKeys; i++ {
		keys = append(keys, fmt.Sprintf("P%d", i))
	}
	for i := 0; i < m.EKeys; i++ {
		keys = append(keys, fmt.Sprintf("EK%d", i))
	}
	return keys
}

// models returns the D3xx and D7xx models of snomapi's table.
func models() []*ctiv1.ModelInfo {
	var out []*ctiv1.ModelInfo
	for _, name := range snomapi.ModelNames() {
		m, err := snomapi.LookupModel(name)
		if err != nil || m.Legacy {
			continue
		}
		family := "D7xx"
		if strings.HasPrefix(m.Name, "D3") {
			family = "D3xx"
		}
		out = append(out, &ctiv1.ModelInfo{Model: m.Name, Family: family, Description: description,
			Capabilities: capabilities, Keys: keysOf(m), TimedKeys: true})
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

var (
	ringing   = ctiv1.CallState_CALL_STATE_RINGING
	dialing   = ctiv1.CallState_CALL_STATE_DIALING
	ringback  = ctiv1.CallState_CALL_STATE_RINGBACK
	connected = ctiv1.CallState_CALL_STATE_CONNECTED
	held      = ctiv1.CallState_CALL_STATE_HELD
)

// opsFor is Call.available_operations; without CSTA only DTMF works.
func opsFor(csta func() bool) func(ctiv1.CallState) []ctiv1.Capability {
	return func(s ctiv1.CallState) []ctiv1.Capability {
		if !csta() {
			if s == connected {
				return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_SEND_DTMF}
			}
			return nil
		}
		switch s {
		case ringing:
			return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT, ctiv1.Capability_CAPABILITY_HANGUP}
		case dialing, ringback:
			return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}
		case connected:
			return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD,
				ctiv1.Capability_CAPABILITY_SEND_DTMF, ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
				ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER}
		case held:
			// CompleteTransfer names the held call (call_id).
			return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_RESUME,
				ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER}
		}
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}
	}
}
