package mtcti

import (
	"math/bits"
	"strconv"
)

// UserFeatures is NotifyUser.featuresavailable: what the app may change on a
// user (vendor document, lines 1440-1453).
type UserFeatures uint32

// UserFeatures bits. Older IP Office releases leave the field unset, so test
// UserFeatureValid before trusting the others.
const (
	UserFeatureValid     UserFeatures = 1 << 0 // VALID: the field is populated
	UserFeatureSAC       UserFeatures = 1 << 1 // SAC: can set or unset Do Not Disturb
	UserFeatureAbsence   UserFeatures = 1 << 2 // ABSENCE: can change the absence text
	UserFeatureEC500     UserFeatures = 1 << 3 // EC500: can change mobile twinning
	UserFeatureLogin     UserFeatures = 1 << 4 // LOGIN: can hot-desk to another extension
	UserFeatureShortCode UserFeatures = 1 << 5 // SHORTCODE: may send short codes
	UserFeatureMakeCall  UserFeatures = 1 << 6 // MAKECALL: may MakeCall
	UserFeatureFwdU      UserFeatures = 1 << 7 // FWDU: may set forward unconditional
	UserFeatureDFOI      UserFeatures = 1 << 8 // DFOI: reserved
	UserFeatureApp       UserFeatures = 1 << 9 // APP: may change the app presence string
)

var userFeatureNames = [...]string{
	"VALID", "SAC", "ABSENCE", "EC500", "LOGIN", "SHORTCODE", "MAKECALL", "FWDU", "DFOI", "APP",
}

// Has reports whether every bit of want is set.
func (f UserFeatures) Has(want UserFeatures) bool { return f&want == want }

// Names lists the set bits by the document's names, "bitN" for bits it does
// not name, lowest bit first.
func (f UserFeatures) Names() []string { return names(uint32(f), userFeatureNames[:]) }

// Features returns the user's featuresavailable as UserFeatures.
func (x *NotifyUser) Features() UserFeatures {
	return UserFeatures(uint32(x.GetFeaturesavailable()))
}

// CallFeatures is CallInfo.featuresavailable: the CallFunction actions that
// may work on the call now (vendor document, lines 3126-3160). An action is
// worth trying only when its bit is set, and may still fail; an action sent
// without its bit is ignored (lines 2623-2624).
type CallFeatures uint32

// CallFeatures bits. Bits 15, 18, 19 are "reserved" and 31 is not described,
// yet the document's examples show all four set (0xE0E0E091, line 2778).
const (
	CallFeatureDrop                  CallFeatures = 1 << 0  // DropCall
	CallFeatureAnswerCall            CallFeatures = 1 << 1  // AnswerCall
	CallFeatureHoldCall              CallFeatures = 1 << 2  // HoldCall
	CallFeatureUnHoldCall            CallFeatures = 1 << 3  // UnHoldCall
	CallFeatureBlindTransfer         CallFeatures = 1 << 4  // BlindTransfer
	CallFeatureRedirect              CallFeatures = 1 << 5  // Redirect
	CallFeatureDial                  CallFeatures = 1 << 6  // Dial
	CallFeaturePark                  CallFeatures = 1 << 7  // Park
	CallFeatureSetupTransfer         CallFeatures = 1 << 8  // SetupTransfer, and SetupConf (same bit, line 3563)
	CallFeatureCompleteTransfer      CallFeatures = 1 << 9  // CompleteTransfer
	CallFeatureCompleteConf          CallFeatures = 1 << 10 // CompleteConf
	CallFeatureAddToConf             CallFeatures = 1 << 11 // AddToConf
	CallFeatureAdminConfMember       CallFeatures = 1 << 12 // MemberFunction
	CallFeatureSetTag                CallFeatures = 1 << 13 // SetTag
	CallFeatureSetAccountCode        CallFeatures = 1 << 14 // SetAccountCode
	CallFeaturePushToEC500           CallFeatures = 1 << 16 // PushToEC500
	CallFeatureGenerateDigits        CallFeatures = 1 << 17 // GenerateDigits
	CallFeatureRecordingPauseControl CallFeatures = 1 << 20 // AgentRecordingControl
	CallFeatureForceClear            CallFeatures = 1 << 21 // ForceClear
	CallFeatureSetAuthCode           CallFeatures = 1 << 22 // SetAuthCode
	CallFeatureCallRecordingOn       CallFeatures = 1 << 23 // CallRecordingOn
	CallFeatureCallRecordingOff      CallFeatures = 1 << 24 // CallRecordingOff
	CallFeaturePrivacyOn             CallFeatures = 1 << 25 // PrivacyOn
	CallFeaturePrivacyOff            CallFeatures = 1 << 26 // PrivacyOff
	CallFeatureMuteOn                CallFeatures = 1 << 27 // MuteOn
	CallFeatureMuteOff               CallFeatures = 1 << 28 // MuteOff
	CallFeatureSetPriority           CallFeatures = 1 << 29 // SetPriority
	CallFeatureFinish                CallFeatures = 1 << 30 // Finish
)

// callFeatureNames are the names of the document's table; "" is reserved.
var callFeatureNames = [...]string{
	"Drop", "AnswerCall", "HoldCall", "UnHoldCall", "BlindTransfer", "Redirect", "Dial", "Park",
	"SetupTransfer", "CompleteTransfer", "CompleteConf", "AddToConf", "AdminConfMember", "SetTag",
	"SetAccountCode", "", "PushToEC500", "GenerateDigits", "", "", "RecordingPauseControl",
	"ForceClear", "SetAuthCode", "CallRecordingOn", "CallRecordingOff", "PrivacyOn", "PrivacyOff",
	"MuteOn", "MuteOff", "SetPriority", "Finish",
}

// Has reports whether every bit of want is set.
func (f CallFeatures) Has(want CallFeatures) bool { return f&want == want }

// Names lists the set bits by the document's names, "bitN" for reserved or
// undescribed bits, lowest bit first.
func (f CallFeatures) Names() []string { return names(uint32(f), callFeatureNames[:]) }

// Features returns the call's featuresavailable as CallFeatures. The wire
// field is int32, so a set bit 31 arrives as a negative number; the
// conversion keeps every bit.
func (x *CallInfo) Features() CallFeatures {
	return CallFeatures(uint32(x.GetFeaturesavailable()))
}

// CallFeatures2 is CallInfo.featuresavailable2. The field table says no bit
// is defined (line 2150); the AnswerPage section uses bit 0 (line 4006).
type CallFeatures2 uint32

// CallFeature2AnswerPage: AnswerPage may work on this call.
const CallFeature2AnswerPage CallFeatures2 = 1 << 0

// Has reports whether every bit of want is set.
func (f CallFeatures2) Has(want CallFeatures2) bool { return f&want == want }

// Names lists the set bits, "bitN" for undescribed ones, lowest bit first.
func (f CallFeatures2) Names() []string { return names(uint32(f), []string{"AnswerPage"}) }

// Features2 returns the call's featuresavailable2 as CallFeatures2.
func (x *CallInfo) Features2() CallFeatures2 {
	return CallFeatures2(uint32(x.GetFeaturesavailable2()))
}

// names lists the set bits of v by table, "bitN" where the table has none.
func names(v uint32, table []string) []string {
	out := make([]string, 0, bits.OnesCount32(v))
	for v != 0 {
		i := bits.TrailingZeros32(v)
		v &^= 1 << i
		if i < len(table) && table[i] != "" {
			out = append(out, table[i])
		} else {
			out = append(out, "bit"+strconv.Itoa(i))
		}
	}
	return out
}
