package mtcti

import (
	"slices"
	"testing"
)

// TestCallFeatureExamples decodes the document's featuresavailable examples;
// the names SysMonitor prints beside them are abbreviations of these.
func TestCallFeatureExamples(t *testing.T) {
	for _, tc := range []struct {
		v    uint32
		want []string
	}{
		// line 1416: "DROP ANSWER REDIRECT"
		{0x23, []string{"Drop", "AnswerCall", "Redirect"}},
		// line 1831: "DROP BLINDXFER REDIRECT PARK TAG ACCT FORCECLEAR AUTH PRIO FINISH",
		// plus the reserved bit 15 SysMonitor does not print.
		{0x6060E0B1, []string{"Drop", "BlindTransfer", "Redirect", "Park", "SetTag", "SetAccountCode",
			"bit15", "ForceClear", "SetAuthCode", "SetPriority", "Finish"}},
		// line 2778: bit 31 set, so the wire int32 is negative.
		{0xE0E0E091, []string{"Drop", "BlindTransfer", "Park", "SetTag", "SetAccountCode", "bit15",
			"ForceClear", "SetAuthCode", "CallRecordingOn", "SetPriority", "Finish", "bit31"}},
	} {
		ci := &CallInfo{Featuresavailable: int32(tc.v)}
		if got := ci.Features().Names(); !slices.Equal(got, tc.want) {
			t.Errorf("%#x: %v, want %v", tc.v, got, tc.want)
		}
		if uint32(ci.Features()) != tc.v {
			t.Errorf("%#x: Features() = %#x", tc.v, uint32(ci.Features()))
		}
	}
	f := (&CallInfo{Featuresavailable: 0x23}).Features()
	if !f.Has(CallFeatureDrop|CallFeatureAnswerCall) || f.Has(CallFeatureAnswerCall|CallFeatureHoldCall) {
		t.Error("Has does not require every bit")
	}
	if !f.Has(0) {
		t.Error("Has(0) = false")
	}
	if got := (&CallInfo{Featuresavailable2: 3}).Features2().Names(); !slices.Equal(got, []string{"AnswerPage", "bit1"}) {
		t.Errorf("Features2 names %v", got)
	}
}

func TestUserFeatures(t *testing.T) {
	u := (&NotifyUser{Featuresavailable: 0x243}).Features()
	if got, want := u.Names(), []string{"VALID", "SAC", "MAKECALL", "APP"}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	if !u.Has(UserFeatureValid|UserFeatureSAC) || u.Has(UserFeatureFwdU) {
		t.Error("Has is wrong")
	}
	if got := UserFeatures(1 << 12).Names(); !slices.Equal(got, []string{"bit12"}) {
		t.Errorf("undescribed bit: %v", got)
	}
	if got := UserFeatures(0).Names(); len(got) != 0 {
		t.Errorf("no bits: %v", got)
	}
}
