package ipoffice

import (
	"slices"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The models: what an IP Office's lines list holds. Model names are what
// config.hcl writes for a configured user or queue; discovered devices get
// them too.
const (
	ModelUser  = "user"
	ModelQueue = "queue"
)

// userCaps are the capabilities of a user: what MTCTI3 call control and
// UpdateUser offer for one user, whatever phone it is logged in to. Each
// is still subject to the user's and the call's featuresavailable, which
// the driver checks before sending (a command IP Office would ignore
// answers FAILED_PRECONDITION naming the feature).
var userCaps = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_DIAL,
	ctiv1.Capability_CAPABILITY_DIAL_OPTIONS,
	ctiv1.Capability_CAPABILITY_ANSWER,
	ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP,
	ctiv1.Capability_CAPABILITY_HOLD,
	ctiv1.Capability_CAPABILITY_RESUME,
	ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
	ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER,
	ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER,
	ctiv1.Capability_CAPABILITY_CONFERENCE,
	ctiv1.Capability_CAPABILITY_SEND_DTMF,
	ctiv1.Capability_CAPABILITY_REDIRECT,
	ctiv1.Capability_CAPABILITY_PARK,
	ctiv1.Capability_CAPABILITY_UNPARK,
	ctiv1.Capability_CAPABILITY_SET_CALL_DATA,
	ctiv1.Capability_CAPABILITY_SET_RECORDING,
	ctiv1.Capability_CAPABILITY_SET_DND,
	ctiv1.Capability_CAPABILITY_SET_FORWARD,
	ctiv1.Capability_CAPABILITY_JOIN_QUEUE,
	ctiv1.Capability_CAPABILITY_LEAVE_QUEUE,
	ctiv1.Capability_CAPABILITY_PAUSE_AGENT,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
	ctiv1.Capability_CAPABILITY_DISCOVERY,
}

// queueCaps: a hunt group's calls wait QUEUED on it; its service mode is
// set on it, its members on the users' devices.
var queueCaps = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_SET_QUEUE_SERVICE_MODE,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
	ctiv1.Capability_CAPABILITY_DISCOVERY,
}

func models() []*ctiv1.ModelInfo {
	return []*ctiv1.ModelInfo{{
		Model: ModelUser, Family: "IP Office",
		Description:  "an IP Office user (extension), on whatever phone it is logged in to; what a user or a call may do follows IP Office's featuresavailable",
		Capabilities: slices.Clone(userCaps),
	}, {
		Model: ModelQueue, Family: "IP Office",
		Description:  "an IP Office hunt group: its calls show QUEUED while they wait",
		Capabilities: slices.Clone(queueCaps),
	}}
}

// callFeature is the call feature bit a capability needs (document, lines
// 2623-2778): IP Office silently ignores an action whose bit is not set.
var callFeature = map[ctiv1.Capability]mtcti.CallFeatures{
	ctiv1.Capability_CAPABILITY_ANSWER:            mtcti.CallFeatureAnswerCall,
	ctiv1.Capability_CAPABILITY_REJECT:            mtcti.CallFeatureDrop,
	ctiv1.Capability_CAPABILITY_HANGUP:            mtcti.CallFeatureDrop,
	ctiv1.Capability_CAPABILITY_HOLD:              mtcti.CallFeatureHoldCall,
	ctiv1.Capability_CAPABILITY_RESUME:            mtcti.CallFeatureUnHoldCall,
	ctiv1.Capability_CAPABILITY_BLIND_TRANSFER:    mtcti.CallFeatureBlindTransfer,
	ctiv1.Capability_CAPABILITY_REDIRECT:          mtcti.CallFeatureRedirect,
	ctiv1.Capability_CAPABILITY_PARK:              mtcti.CallFeaturePark,
	ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER:  mtcti.CallFeatureSetupTransfer,
	ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER: mtcti.CallFeatureCompleteTransfer,
	ctiv1.Capability_CAPABILITY_CONFERENCE:        mtcti.CallFeatureCompleteConf,
	ctiv1.Capability_CAPABILITY_SEND_DTMF:         mtcti.CallFeatureGenerateDigits,
}

// callFeatureAny lists the capabilities any of several bits allows:
// SetCallData sets a tag or an account code, SetRecording starts, stops,
// pauses or resumes; which bit a request needs is checked when it comes.
var callFeatureAny = map[ctiv1.Capability]mtcti.CallFeatures{
	ctiv1.Capability_CAPABILITY_SET_CALL_DATA: mtcti.CallFeatureSetTag | mtcti.CallFeatureSetAccountCode,
	ctiv1.Capability_CAPABILITY_SET_RECORDING: mtcti.CallFeatureCallRecordingOn | mtcti.CallFeatureCallRecordingOff | mtcti.CallFeatureRecordingPauseControl,
}

// callOps lists the operations a call's featuresavailable allows that the
// device's model offers, in capability order. A hunt group's calls offer
// IP Office's call control too, which the driver does not take on a hunt
// group yet: commands go to the user who has the call.
func callOps(f mtcti.CallFeatures, queue bool) []ctiv1.Capability {
	if queue {
		return nil
	}
	var ops []ctiv1.Capability
	for _, c := range userCaps {
		if bit, ok := callFeature[c]; ok && f.Has(bit) || f&callFeatureAny[c] != 0 {
			ops = append(ops, c)
		}
	}
	return ops
}

// userFeature is the user feature bit a device-level capability needs
// (document, lines 1440-1452).
var userFeature = map[ctiv1.Capability]mtcti.UserFeatures{
	ctiv1.Capability_CAPABILITY_DIAL:         mtcti.UserFeatureMakeCall,
	ctiv1.Capability_CAPABILITY_DIAL_OPTIONS: mtcti.UserFeatureMakeCall,
	ctiv1.Capability_CAPABILITY_SET_DND:      mtcti.UserFeatureSAC,
	ctiv1.Capability_CAPABILITY_SET_FORWARD:  mtcti.UserFeatureFwdU,
}

// unavailable lists the user-level capabilities the user's
// featuresavailable withholds. An IP Office older than the VALID bit
// reports no features: nothing is then known to be missing.
func unavailable(f mtcti.UserFeatures) []ctiv1.Capability {
	if !f.Has(mtcti.UserFeatureValid) {
		return nil
	}
	var out []ctiv1.Capability
	for _, c := range userCaps {
		if bit, ok := userFeature[c]; ok && !f.Has(bit) {
			out = append(out, c)
		}
	}
	return out
}
