package sdk

import (
	"fmt"
	"strings"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// maxDestination bounds dialled numbers and URIs.
const maxDestination = 64

// validate checks the fields the proto marks REQUIRED, so every driver
// rejects the same malformed requests with the same INVALID_ARGUMENT.
func validate(method string, req any) *Error {
	switch r := req.(type) {
	case *ctiv1.DialRequest:
		switch {
		case len(r.GetCallerId()) > 32 || strings.Trim(r.GetCallerId(), "0123456789+*#") != "":
			return InvalidArgument("caller_id %q must be at most 32 digits (0-9, +, *, #)", r.GetCallerId())
		case len(r.GetAccountCode()) > 15:
			return InvalidArgument("account_code is %d characters long; at most 15", len(r.GetAccountCode()))
		case len(r.GetTag()) > 127:
			return InvalidArgument("tag is %d characters long; at most 127", len(r.GetTag()))
		}
		if r.GetLine() < 0 {
			return InvalidArgument("line must be 0 (any) or a 1-based line number, not %d", r.GetLine())
		}
		return destination(r.GetDestination())
	case *ctiv1.CallRequest:
		return required("call_id", r.GetCallId())
	case *ctiv1.TransferRequest:
		if err := required("call_id", r.GetCallId()); err != nil {
			return err
		}
		return destination(r.GetDestination())
	case *ctiv1.CallPairRequest:
		if err := required("call_id", r.GetCallId()); err != nil {
			return err
		}
		if err := required("other_call_id", r.GetOtherCallId()); err != nil {
			return err
		}
		if r.GetCallId() == r.GetOtherCallId() {
			return InvalidArgument("call_id and other_call_id must name two different calls")
		}
	case *ctiv1.SendDTMFRequest:
		if err := required("call_id", r.GetCallId()); err != nil {
			return err
		}
		d := r.GetDigits()
		if d == "" || len(d) > 32 || strings.Trim(d, "0123456789*#") != "" {
			return InvalidArgument("digits must be 1 to 32 of 0-9, * and #, got %q", truncate(d, 40))
		}
	case *ctiv1.ParkRequest:
		return required("call_id", r.GetCallId())
	case *ctiv1.UnparkRequest:
		return required("slot", r.GetSlot())
	case *ctiv1.SetForwardRequest:
		if r.GetMode() == ctiv1.ForwardMode_FORWARD_MODE_UNSPECIFIED {
			return InvalidArgument("mode is required: always, busy or no_answer")
		}
		return destination(r.GetDestination())
	case *ctiv1.FactoryResetRequest:
		if !r.GetConfirm() {
			return InvalidArgument("factory reset erases the device's configuration: set confirm=true to really do it")
		}
	case *ctiv1.SetCallDataRequest:
		if err := required("call_id", r.GetCallId()); err != nil {
			return err
		}
		switch {
		case r.Tag == nil && r.AccountCode == nil:
			return InvalidArgument("set tag, account_code or both")
		case len(r.GetTag()) > 127:
			return InvalidArgument("tag is %d characters long; at most 127", len(r.GetTag()))
		case len(r.GetAccountCode()) > 15:
			return InvalidArgument("account_code is %d characters long; at most 15", len(r.GetAccountCode()))
		}
	case *ctiv1.ShowTextRequest:
		switch {
		case r.GetText() == "" && r.GetDocument() == "":
			return InvalidArgument("text or document is required")
		case len(r.GetText()) > 1024:
			return InvalidArgument("text is %d bytes long; at most 1024", len(r.GetText()))
		case len(r.GetTitle()) > 128:
			return InvalidArgument("title is %d bytes long; at most 128", len(r.GetTitle()))
		case len(r.GetDocument()) > 64<<10:
			return InvalidArgument("document is %d bytes long; at most 64 KiB", len(r.GetDocument()))
		case r.GetDocument() != "" && r.GetContentType() == "":
			return InvalidArgument("content_type is required with a document")
		case r.GetTimeoutS() > 86400:
			return InvalidArgument("timeout_s %d is more than a day", r.GetTimeoutS())
		}
	case *ctiv1.LookupContactRequest:
		n, q := r.GetNumber(), r.GetQuery()
		switch {
		case (n == "") == (q == ""):
			return InvalidArgument("set exactly one of number and query")
		case len(n) > 32:
			return InvalidArgument("number is %d characters long; at most 32", len(n))
		case n != "" && !lookupNumber(n):
			return InvalidArgument("number %q is not a phone number: digits with an optional leading +", truncate(n, 40))
		case len(q) > 64:
			return InvalidArgument("query is %d bytes long; at most 64", len(q))
		case strings.ContainsAny(q, "%*"):
			return InvalidArgument("query %q holds a wildcard (%% or *); give plain text, partial matching is implied", truncate(q, 64))
		case r.GetLimit() > 100:
			return InvalidArgument("limit %d is more than 100", r.GetLimit())
		}
	case *ctiv1.SetRecordingRequest:
		if err := required("call_id", r.GetCallId()); err != nil {
			return err
		}
		if r.GetAction() == ctiv1.RecordingAction_RECORDING_ACTION_UNSPECIFIED {
			return InvalidArgument("action is required: START, STOP, PAUSE or RESUME")
		}
	case *ctiv1.SetQueueServiceModeRequest:
		if r.GetMode() == ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_UNSPECIFIED {
			return InvalidArgument("mode is required: IN_SERVICE, NIGHT_SERVICE or OUT_OF_SERVICE")
		}
	case *ctiv1.QueueRequest:
		if method == "JoinQueue" || method == "LeaveQueue" {
			return required("queue", r.GetQueue())
		}
	case *ctiv1.SendKeysRequest:
		n := len(r.GetKeys())
		if n == 0 || n > 64 {
			return InvalidArgument("keys must hold 1 to 64 key names, got %d", n)
		}
		if r.GetPressMs() > maxKeyTiming || r.GetPauseMs() > maxKeyTiming {
			return InvalidArgument("press_ms and pause_ms are at most %d, got %d and %d", maxKeyTiming, r.GetPressMs(), r.GetPauseMs())
		}
		for i, k := range r.GetKeys() {
			if strings.TrimSpace(k) == "" {
				return InvalidArgument("keys[%d] is empty", i)
			}
		}
	}
	return nil
}

// ValidateLookup checks a LookupContactRequest as the guard does, for a
// host that answers it from a directory of its own.
func ValidateLookup(r *ctiv1.LookupContactRequest) *Error { return validate("LookupContact", r) }

// lookupNumber reports whether n is digits with an optional leading +.
func lookupNumber(n string) bool {
	n = strings.TrimPrefix(n, "+")
	if n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func required(field, value string) *Error {
	if value == "" {
		return InvalidArgument("%s is required", field)
	}
	return nil
}

func destination(d string) *Error {
	if d == "" {
		return InvalidArgument("destination is required")
	}
	if len(d) > maxDestination {
		return InvalidArgument("destination is %d characters long; at most %d are allowed", len(d), maxDestination)
	}
	if strings.ContainsAny(d, " \t\r\n&?/\\") && !strings.HasPrefix(d, "sip:") {
		return InvalidArgument("destination %q contains characters that cannot be dialled", truncate(d, 40))
	}
	return nil
}

// knownKeys checks SendKeys' keys against the model's key list, when it has
// one: names match case-insensitively, and "#" and "*" are always accepted
// (the driver translates them to the model's own spelling).
func knownKeys(model *ctiv1.ModelInfo, keys []string) *Error {
	if len(model.GetKeys()) == 0 {
		return nil
	}
	for i, k := range keys {
		if k == "#" || k == "*" {
			continue
		}
		known := false
		for _, mk := range model.GetKeys() {
			known = known || strings.EqualFold(strings.TrimSpace(k), mk)
		}
		if !known {
			msg := fmt.Sprintf("keys[%d] %q is not a key of model %s; GetInfo lists its keys", i, truncate(k, 40), model.GetModel())
			if hint := model.GetDescription(); hint != "" {
				msg += " (" + hint + ")"
			}
			return InvalidArgument("%s", msg)
		}
	}
	return nil
}

// HasDialOptions reports whether a Dial sets any option that needs
// CAPABILITY_DIAL_OPTIONS.
func HasDialOptions(r *ctiv1.DialRequest) bool {
	return r.GetCallerId() != "" || r.GetWithholdCallerId() || r.GetAccountCode() != "" || r.GetTag() != ""
}

// DialOptionsUnsupported is the answer to a Dial with options on a model
// without CAPABILITY_DIAL_OPTIONS.
func DialOptionsUnsupported(model string) *Error {
	return Unimplemented("model %s cannot dial with options (caller_id, withhold_caller_id, account_code, tag): dial without them, "+
		"and tag or charge the call with SetCallData where the model offers it", model)
}

// maxKeyTiming bounds press_ms and pause_ms: a long press is seconds.
const maxKeyTiming = 10_000

// TimedKeys reports whether SendKeys asks for key timing.
func TimedKeys(r *ctiv1.SendKeysRequest) bool { return r.GetPressMs() != 0 || r.GetPauseMs() != 0 }

// TimedKeysUnsupported is the answer to timed keys on a model without
// ModelInfo.timed_keys.
func TimedKeysUnsupported(model string) *Error {
	return Unimplemented("model %s presses keys with its own timing: send them without press_ms and pause_ms", model)
}
