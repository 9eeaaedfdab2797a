package ipofficesim

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// UpdateCallControl: MakeCall, UnParkCall and the CallFunction actions
// (lines 2244-2476, 3126-4300). The RequestResponse only says the command
// was received and accepted or refused; what happened shows in the
// Notifies (lines 3195-3199).

type fn = mtcti.CallFunction_Action

// actionBits maps each action to its featuresavailable bit (lines
// 3126-3160 and each function's "Control" line).
var actionBits = map[fn]mtcti.CallFeatures{
	mtcti.CallFunction_DropCall:              mtcti.CallFeatureDrop,
	mtcti.CallFunction_AnswerCall:            mtcti.CallFeatureAnswerCall,
	mtcti.CallFunction_HoldCall:              mtcti.CallFeatureHoldCall,
	mtcti.CallFunction_UnHoldCall:            mtcti.CallFeatureUnHoldCall,
	mtcti.CallFunction_BlindTransfer:         mtcti.CallFeatureBlindTransfer,
	mtcti.CallFunction_Redirect:              mtcti.CallFeatureRedirect,
	mtcti.CallFunction_Dial:                  mtcti.CallFeatureDial,
	mtcti.CallFunction_Park:                  mtcti.CallFeaturePark,
	mtcti.CallFunction_SetupTransfer:         mtcti.CallFeatureSetupTransfer,
	mtcti.CallFunction_SetupConf:             mtcti.CallFeatureSetupTransfer, // same bit (line 3563)
	mtcti.CallFunction_CompleteTransfer:      mtcti.CallFeatureCompleteTransfer,
	mtcti.CallFunction_CompleteConf:          mtcti.CallFeatureCompleteConf,
	mtcti.CallFunction_AddToConf:             mtcti.CallFeatureAddToConf,
	mtcti.CallFunction_MemberFunction:        mtcti.CallFeatureAdminConfMember,
	mtcti.CallFunction_SetTag:                mtcti.CallFeatureSetTag,
	mtcti.CallFunction_SetAccountCode:        mtcti.CallFeatureSetAccountCode,
	mtcti.CallFunction_PushToEC500:           mtcti.CallFeaturePushToEC500,
	mtcti.CallFunction_GenerateDigits:        mtcti.CallFeatureGenerateDigits,
	mtcti.CallFunction_ForceClear:            mtcti.CallFeatureForceClear,
	mtcti.CallFunction_SetAuthCode:           mtcti.CallFeatureSetAuthCode,
	mtcti.CallFunction_CallRecordingOn:       mtcti.CallFeatureCallRecordingOn,
	mtcti.CallFunction_CallRecordingOff:      mtcti.CallFeatureCallRecordingOff,
	mtcti.CallFunction_PrivacyOn:             mtcti.CallFeaturePrivacyOn,
	mtcti.CallFunction_PrivacyOff:            mtcti.CallFeaturePrivacyOff,
	mtcti.CallFunction_MuteOn:                mtcti.CallFeatureMuteOn,
	mtcti.CallFunction_MuteOff:               mtcti.CallFeatureMuteOff,
	mtcti.CallFunction_AgentRecordingControl: mtcti.CallFeatureRecordingPauseControl,
	mtcti.CallFunction_SetPriority:           mtcti.CallFeatureSetPriority,
	mtcti.CallFunction_Finish:                mtcti.CallFeatureFinish,
}

func (s *Server) callControl(sub *subscription, uc *mtcti.UpdateCallControl) int32 {
	if sub.kind != subUser && sub.kind != subQueue && sub.kind != subPark {
		return mtcti.ResultRequestInvalidContext
	}
	switch {
	case uc.Makecall != nil:
		// referencecallid required, callid not (lines 2262-2263).
		if sub.kind != subUser {
			return mtcti.ResultRequestInvalidContext
		}
		if uc.Callid != 0 || uc.Referencecallid == 0 {
			return mtcti.ResultRequestInvalidPayload
		}
		return s.makeCall(sub.user, uc.Makecall, uc.Referencecallid)
	case uc.Unparkcall != nil:
		if sub.kind != subUser {
			return mtcti.ResultRequestInvalidContext
		}
		if uc.Callid != 0 || uc.Referencecallid == 0 {
			return mtcti.ResultRequestInvalidPayload
		}
		return s.unpark(sub.user, uc.Unparkcall.Parkid, uc.Referencecallid)
	case uc.Callfunction != nil:
		if uc.Callid == 0 && uc.Referencecallid == 0 {
			return mtcti.ResultRequestInvalidPayload
		}
		return s.callFunction(sub, uc)
	}
	return mtcti.ResultRequestInvalidPayload
}

// findCall finds a call the subscription can see by callid, else by
// referencecallid.
func (s *Server) findCall(sub *subscription, callid, refid int32) (view, bool) {
	for _, v := range s.visible(sub) {
		if callid != 0 {
			if id, ok := sub.callids[v.key]; ok && id == callid {
				return v, true
			}
			continue
		}
		var r int32
		switch {
		case v.l != nil:
			r = v.l.refID
		case v.qc != nil:
			r = v.qc.refID
		case v.pc != nil:
			r = v.pc.refID
		}
		if r == refid {
			return v, true
		}
	}
	return view{}, false
}

func (s *Server) callFunction(sub *subscription, uc *mtcti.UpdateCallControl) int32 {
	cf := uc.Callfunction
	v, ok := s.findCall(sub, uc.Callid, uc.Referencecallid)
	if !ok || !sub.callControl() {
		if cf.Action == mtcti.CallFunction_DropCall {
			return mtcti.ResultNotFound // "Can't find CallID: MTCTISESS_NOTFOUND" (line 3192)
		}
		return mtcti.ResultCallControlCallNotFound
	}
	if uc.Callid != 0 && uc.Referencecallid != 0 {
		// The app may assert or change the reference at any time (line 2105).
		switch {
		case v.l != nil:
			v.l.refID = uc.Referencecallid
		case v.qc != nil:
			v.qc.refID = uc.Referencecallid
		case v.pc != nil:
			v.pc.refID = uc.Referencecallid
		}
	}
	if l := v.l; l != nil {
		held := l.state == mtcti.CallInfo_ONHOLD || l.state == mtcti.CallInfo_ONHOLDPENDTRANSFER || l.state == mtcti.CallInfo_ONHOLDPENDCONF
		if cf.Action == mtcti.CallFunction_HoldCall && held || cf.Action == mtcti.CallFunction_UnHoldCall && l.state == mtcti.CallInfo_CONNECTED {
			return mtcti.ResultCallControlAlreadyDone // lines 3299, 3336
		}
	}
	bit, known := actionBits[cf.Action]
	if !known {
		if cf.Action == mtcti.CallFunction_AnswerPage {
			// featuresavailable2 bit 0 (line 4006): never offered here.
			return s.unavailable()
		}
		// None, SetNotes and ShortCodeAction ("not supported in this
		// release", lines 3915, 3997) and the Unused values.
		return mtcti.ResultCallControlUnsupported
	}
	var have mtcti.CallFeatures
	switch {
	case v.l != nil:
		have = s.userFeatures(v.l)
	case v.qc != nil:
		st, _, _, _ := s.queueView(v.qc)
		have = queueFeatures(st, v.qc.caller)
	default:
		have = parkFeatures
	}
	if have&bit == 0 {
		return s.unavailable()
	}
	switch {
	case v.l != nil:
		return s.userAction(sub, v.l, cf)
	case v.qc != nil:
		return s.queueAction(v.qc, cf)
	}
	return s.parkAction(v.pc, cf)
}

// unavailable answers an action whose featuresavailable bit is not set: it
// "will be ignored" (lines 2623-2624), so the RequestResponse says
// success, unless Options.RejectUnavailable.
func (s *Server) unavailable() int32 {
	if s.opts.RejectUnavailable {
		return mtcti.ResultCallControlInvalidCallState
	}
	return mtcti.ResultSuccess
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// argLen checks arg1's length in characters (lines 3361, 3415, 3449,
// 3457, 3505, 3748, 3996).
func argLen(a string, lo, hi int) bool { n := runes(a); return n >= lo && n <= hi }

func dtmf(a string) bool {
	return strings.Trim(a, "0123456789*#") == ""
}

// tagText applies SetTag's rules: cut at a NUL, at most 127 characters,
// longer is truncated rather than refused (lines 3840-3857).
func tagText(a string) string {
	if i := strings.IndexByte(a, 0); i >= 0 {
		a = a[:i]
	}
	if runes(a) > 127 {
		a = string([]rune(a)[:127])
	}
	return a
}

// codeCheck validates an account or authorization code against list.
func codeCheck(a string, list []string, bad int32) int32 {
	if runes(a) > 15 {
		return mtcti.ResultCallControlBadFormatting
	}
	if a != "" && len(list) > 0 && !slices.Contains(list, a) {
		return bad
	}
	return mtcti.ResultSuccess
}

// transferTarget checks and resolves a BlindTransfer or Redirect target.
func (s *Server) transferTarget(a string, self *user) (target, int32) {
	if !argLen(a, 1, 78) {
		return target{}, mtcti.ResultCallControlBadFormatting
	}
	t, ok := s.resolve(a)
	if !ok || !reachable(t) || (t.kind == tUser && t.user == self) {
		return target{}, mtcti.ResultCallControlTransferFailed
	}
	return t, mtcti.ResultSuccess
}

// parkSlot checks a Park slot.
func (s *Server) parkSlot(a string) int32 {
	if !argLen(a, 1, 9) {
		return mtcti.ResultCallControlBadFormatting
	}
	if (len(s.opts.ParkSlots) > 0 && !slices.Contains(s.opts.ParkSlots, a)) || s.parks[a] != nil {
		return mtcti.ResultCallControlParkFailed
	}
	return mtcti.ResultSuccess
}

// common handles the actions that work the same on every line type.
func (s *Server) common(c *conv, cf *mtcti.CallFunction) (int32, bool) {
	switch cf.Action {
	case mtcti.CallFunction_SetTag:
		c.tag = tagText(cf.Arg1)
	case mtcti.CallFunction_SetAccountCode:
		if r := codeCheck(cf.Arg1, s.opts.AccountCodes, mtcti.ResultCallControlBadAcct); r != 0 {
			return r, true
		}
		c.account = cf.Arg1
	case mtcti.CallFunction_SetAuthCode:
		if r := codeCheck(cf.Arg1, s.opts.AuthCodes, mtcti.ResultCallControlBadAuth); r != 0 {
			return r, true
		}
		c.auth = cf.Arg1
	case mtcti.CallFunction_AgentRecordingControl:
		ar := cf.Agentrecording
		if ar == nil || ar.Pause == ar.Resume {
			return mtcti.ResultCallControlBadFormatting, true
		}
		c.paused = ar.Pause
	default:
		return 0, false
	}
	return mtcti.ResultSuccess, true
}

func (s *Server) userAction(sub *subscription, l *leg, cf *mtcti.CallFunction) int32 {
	if r, done := s.common(l.conv, cf); done {
		return r
	}
	u := l.user
	switch cf.Action {
	case mtcti.CallFunction_DropCall:
		if l.state == mtcti.CallInfo_RINGING && l.peer != nil {
			c := l.peer
			queued := c.qc != nil && c.qc.cur != nil
			if !queued && !u.voicemail && len(c.alerting) == 1 {
				// A ringing call goes to coverage; without any, it keeps
				// ringing (lines 3194-3199).
				return mtcti.ResultCallControlNoCoverage
			}
		}
		s.release(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: "dropped"})
	case mtcti.CallFunction_AnswerCall:
		if err := s.answer(l); err != nil {
			return mtcti.ResultCallControlInvalidCallState
		}
	case mtcti.CallFunction_HoldCall:
		s.hold(l)
	case mtcti.CallFunction_UnHoldCall:
		s.unhold(l)
	case mtcti.CallFunction_BlindTransfer, mtcti.CallFunction_Redirect:
		t, r := s.transferTarget(cf.Arg1, u)
		if r != 0 {
			return r
		}
		p := s.takeOver(l, "transferred")
		if p == nil {
			return mtcti.ResultCallControlInvalidCallState
		}
		s.route(p, t)
	case mtcti.CallFunction_Dial:
		if !argLen(cf.Arg1, 1, 78) {
			return mtcti.ResultCallControlBadFormatting
		}
		// Overlap dialling (lines 3420-3430). Modelled: the call proceeds
		// once the digits name a user or queue, or end with '#'.
		if l.dialInfo == nil {
			l.dialInfo = &mtcti.DialInfo{}
		}
		l.dialInfo.Number += cf.Arg1
		l.state = mtcti.CallInfo_DIALLING
		if d := l.dialInfo.Number; strings.HasSuffix(d, "#") {
			s.dial(l, strings.TrimSuffix(d, "#"), false)
		} else if t, ok := s.resolve(d); ok && (t.kind == tUser || t.kind == tQueue) {
			s.dial(l, d, false)
		}
	case mtcti.CallFunction_Park:
		if r := s.parkSlot(cf.Arg1); r != 0 {
			return r
		}
		if !l.connected() {
			return mtcti.ResultCallControlInvalidCallState
		}
		p := s.takeOver(l, "parked")
		s.park(p, cf.Arg1, u.party())
	case mtcti.CallFunction_SetupTransfer, mtcti.CallFunction_SetupConf:
		if !argLen(cf.Arg1, 0, 78) {
			return mtcti.ResultCallControlBadFormatting
		}
		if s.appearances(u) >= s.opts.CallAppearances {
			return mtcti.ResultCallControlMaxCalls
		}
		s.setup(l, cf.Arg1, cf.Action == mtcti.CallFunction_SetupConf)
	case mtcti.CallFunction_CompleteTransfer, mtcti.CallFunction_CompleteConf:
		conf := cf.Action == mtcti.CallFunction_CompleteConf
		if !conf && len(cf.Callinst) > 1 {
			return mtcti.ResultCallControlBadFormatting // "Only 0 or 1 callinst" (line 3616)
		}
		var others []*leg
		for _, ci := range cf.Callinst {
			o, ok := s.findCall(sub, ci.Callid, ci.Referencecallid)
			if !ok || o.l == nil || o.l == l {
				return mtcti.ResultCallControlOtherNotFound
			}
			others = append(others, o.l)
		}
		if len(others) == 0 {
			if l.related == nil {
				return mtcti.ResultCallControlOtherNotFound // line 3624
			}
			others = []*leg{l.related}
		}
		if conf {
			return s.completeConf(l, others)
		}
		return s.completeTransfer(l, others[0])
	case mtcti.CallFunction_AddToConf:
		if !argLen(cf.Arg1, 1, 78) {
			return mtcti.ResultCallControlBadFormatting
		}
		return s.addToConf(l, cf.Arg1)
	case mtcti.CallFunction_MemberFunction:
		return s.memberFunction(l, cf.Memberfunctiondata)
	case mtcti.CallFunction_GenerateDigits:
		if !argLen(cf.Arg1, 1, 32) || !dtmf(cf.Arg1) {
			return mtcti.ResultCallControlBadFormatting
		}
		l.digits += cf.Arg1
	case mtcti.CallFunction_ForceClear:
		s.forceClear(l)
	case mtcti.CallFunction_CallRecordingOn, mtcti.CallFunction_CallRecordingOff:
		if l.privacy {
			return mtcti.ResultCallControlPermission // "fail if the call is private" (line 4165)
		}
		l.recording = cf.Action == mtcti.CallFunction_CallRecordingOn
	case mtcti.CallFunction_PrivacyOn, mtcti.CallFunction_PrivacyOff:
		l.privacy = cf.Action == mtcti.CallFunction_PrivacyOn
	case mtcti.CallFunction_MuteOn, mtcti.CallFunction_MuteOff:
		l.mute = cf.Action == mtcti.CallFunction_MuteOn
	default:
		// PushToEC500 and others whose bit is never set on a user's call.
		return mtcti.ResultCallControlUnsupported
	}
	return mtcti.ResultSuccess
}

func (s *Server) queueAction(qc *queueCall, cf *mtcti.CallFunction) int32 {
	c := qc.caller
	if r, done := s.common(c.conv, cf); done {
		return r
	}
	switch cf.Action {
	case mtcti.CallFunction_DropCall, mtcti.CallFunction_ForceClear:
		if cf.Action == mtcti.CallFunction_ForceClear && c.connected() && c.peer.svc == svcConfPort {
			s.clearConference(c.peer.conf)
			break
		}
		s.release(c, lostInfo{reason: reasonNormal, thisEnd: true, desc: "dropped"})
	case mtcti.CallFunction_BlindTransfer, mtcti.CallFunction_Redirect:
		var self *user
		if c.kind == userLeg {
			self = c.user
		}
		t, r := s.transferTarget(cf.Arg1, self)
		if r != 0 {
			return r
		}
		s.freeParty(c, "transferred")
		s.route(c, t)
	case mtcti.CallFunction_Park:
		if r := s.parkSlot(cf.Arg1); r != 0 {
			return r
		}
		s.freeParty(c, "parked")
		s.park(c, cf.Arg1, qc.view.party())
	case mtcti.CallFunction_SetPriority:
		switch cf.Arg1 {
		case "1", "2", "3":
			qc.priority = int32(cf.Arg1[0] - '0')
		default:
			return mtcti.ResultCallControlBadFormatting
		}
	case mtcti.CallFunction_Finish:
		if cf.Arg1 != "" && cf.Arg1 != "1" {
			return mtcti.ResultCallControlBadFormatting
		}
		// Ends the reporting on this queue for every client (lines
		// 2556-2558, 4277-4290).
		old := qc.view
		qc.view, qc.overflow = nil, nil
		if cf.Arg1 == "1" && qc.cur != nil && qc.cur != old {
			qc.view = qc.cur
		}
	case mtcti.CallFunction_CallRecordingOn, mtcti.CallFunction_CallRecordingOff:
		c.conv.sysRecording = cf.Action == mtcti.CallFunction_CallRecordingOn
		if !c.conv.sysRecording {
			c.conv.paused = false
		}
	case mtcti.CallFunction_AddToConf:
		if !argLen(cf.Arg1, 1, 78) {
			return mtcti.ResultCallControlBadFormatting
		}
		return s.addToConf(c, cf.Arg1)
	case mtcti.CallFunction_MemberFunction:
		return s.memberFunction(c, cf.Memberfunctiondata)
	default:
		return mtcti.ResultCallControlUnsupported
	}
	return mtcti.ResultSuccess
}

func (s *Server) parkAction(pc *parkCall, cf *mtcti.CallFunction) int32 {
	p := pc.leg
	if r, done := s.common(p.conv, cf); done {
		return r
	}
	switch cf.Action {
	case mtcti.CallFunction_DropCall, mtcti.CallFunction_ForceClear:
		s.release(p, lostInfo{reason: reasonNormal, thisEnd: true, desc: "dropped"})
	case mtcti.CallFunction_BlindTransfer:
		var self *user
		if p.kind == userLeg {
			self = p.user
		}
		t, r := s.transferTarget(cf.Arg1, self)
		if r != 0 {
			return r
		}
		s.freeParty(p, "transferred")
		s.route(p, t)
	default:
		return mtcti.ResultCallControlUnsupported
	}
	return mtcti.ResultSuccess
}

// makeCall starts a user's outbound call (lines 2279-2334).
func (s *Server) makeCall(u *user, mc *mtcti.MakeCall, ref int32) int32 {
	switch {
	case !u.features.Has(mtcti.UserFeatureMakeCall):
		return mtcti.ResultCallControlPermission
	case u.loggedOff:
		return mtcti.ResultCallControlNoPhone
	case u.extnFault:
		return mtcti.ResultCallControlExtnFault
	case s.appearances(u) >= s.opts.CallAppearances:
		return mtcti.ResultCallControlMaxCalls
	case runes(mc.Target) > 78:
		// Modelled: the document gives no limit for MakeCall; the one of
		// every other dialled string.
		return mtcti.ResultCallControlBadFormatting
	}
	adv := mc.Advanced
	if adv != nil {
		if r := codeCheck(adv.Accountcode, s.opts.AccountCodes, mtcti.ResultCallControlBadAcct); r != 0 {
			return r
		}
		if r := codeCheck(adv.Authcode, s.opts.AuthCodes, mtcti.ResultCallControlBadAuth); r != 0 {
			return r
		}
	}
	l := s.newUserLeg(u, mtcti.CallInfo_OUTBOUND, mtcti.CallInfo_DIALTONE, s.newConv())
	l.refID = ref
	l.dialInfo = &mtcti.DialInfo{Calltype: mc.Type}
	if adv != nil {
		l.conv.tag, l.conv.account, l.conv.auth = tagText(adv.Tag), adv.Accountcode, adv.Authcode
		l.privacy = adv.Privacy
		l.dialInfo.Withholdcli, l.dialInfo.Madn = adv.Withholdcli, adv.Madn
		l.dialInfo.Allowcli, l.dialInfo.Explicitcli = adv.Allowcli, adv.Explicitcli
	}
	s.holdOthers(l)
	if mc.Target != "" {
		s.dial(l, mc.Target, s.opts.MakeCallFailLostOnly)
	}
	return mtcti.ResultSuccess
}

// unpark takes a parked call to u; the unparked call is a new call with a
// new callid and the app's referencecallid (lines 2267-2269, 2464-2476).
func (s *Server) unpark(u *user, slot string, ref int32) int32 {
	pc := s.parks[slot]
	switch {
	case pc == nil:
		return mtcti.ResultCallControlTargetNotFound
	case u.loggedOff:
		return mtcti.ResultCallControlNoPhone
	case s.appearances(u) >= s.opts.CallAppearances:
		return mtcti.ResultCallControlMaxCalls
	}
	p := pc.leg
	pc.lost = lostInfo{reason: reasonNormal, desc: "unparked"}
	delete(s.parks, slot)
	p.parked = nil
	l := s.newUserLeg(u, mtcti.CallInfo_PICKUP, mtcti.CallInfo_CONNECTED, p.conv)
	l.refID, l.caller = ref, p.party()
	s.holdOthers(l)
	connect(p, l)
	return mtcti.ResultSuccess
}

// setup starts an assisted transfer or conference: the call goes on hold
// pending, a new related call dials arg (lines 3470-3600).
func (s *Server) setup(l *leg, arg string, conf bool) {
	l.state, l.relKind = mtcti.CallInfo_ONHOLDPENDTRANSFER, relTransfer
	if conf {
		l.state, l.relKind = mtcti.CallInfo_ONHOLDPENDCONF, relConf
	}
	if l.connected() {
		l.peer.activeHeld = true
	}
	a := s.newUserLeg(l.user, mtcti.CallInfo_OUTBOUND, mtcti.CallInfo_DIALTONE, s.newConv())
	a.related, a.relKind, l.related = l, l.relKind, a
	if arg != "" {
		// An invalid target still succeeds, with a FAILED call (line 3515).
		s.dial(a, arg, false)
	}
}

// completeTransfer joins the parties of two calls of one user and drops
// the user out (lines 3605-3660). Both of the user's calls end in the same
// event, so their CallLosts share one Notify (lines 1978-1980). Modelled:
// the surviving conversation is the held one: the party the user consulted
// takes over its gcid, tag and account code.
func (s *Server) completeTransfer(l, other *leg) int32 {
	if other.ended || other.user != l.user {
		return mtcti.ResultCallControlOtherNotFound
	}
	held, act := other, l
	if isHeld(l) && !isHeld(other) {
		held, act = l, other
	}
	p1, p2 := far(held), far(act)
	if p1 == nil || p2 == nil || !held.connected() {
		return mtcti.ResultCallControlInvalidCallState
	}
	if p1.kind == extLeg && p2.kind == extLeg {
		// Modelled: "two public calls may not be allowed to talk together
		// without an internal party" (lines 3631-3633).
		return mtcti.ResultCallControlCantComplete
	}
	ringing := !act.connected()
	detach(held, p1)
	detach(act, p2)
	held.related, act.related = nil, nil
	s.endLeg(held, lostInfo{reason: reasonNormal, thisEnd: true, desc: "transferred"})
	s.endLeg(act, lostInfo{reason: reasonNormal, thisEnd: true, desc: "transferred"})
	p2.conv = p1.conv
	if ringing {
		ring(p1, p2)
	} else {
		connect(p1, p2)
	}
	return mtcti.ResultSuccess
}

func isHeld(l *leg) bool {
	return l.state == mtcti.CallInfo_ONHOLD || l.state == mtcti.CallInfo_ONHOLDPENDTRANSFER || l.state == mtcti.CallInfo_ONHOLDPENDCONF
}

// completeConf joins calls of one user into a conference (lines
// 3665-3720): the user stays on one call, now connected to the conference
// bridge; the other calls of the user end and their far ends join too.
// It fully succeeds or fully fails.
func (s *Server) completeConf(l *leg, others []*leg) int32 {
	all := append([]*leg{l}, others...)
	for _, o := range all {
		if o.ended || o.user != l.user || !o.connected() {
			return mtcti.ResultCallControlInvalidCallState
		}
		if o.privacy {
			return mtcti.ResultCallControlPermission
		}
	}
	// Keep the user's call that is already in a conference, else l.
	keep := l
	for _, o := range all {
		if o.peer.svc == svcConfPort {
			keep = o
		}
	}
	var cf *conference
	if keep.peer.svc == svcConfPort {
		cf = keep.peer.conf
	} else {
		cf = s.newConference()
		p := keep.peer
		detach(keep, p)
		s.join(cf, p)
		s.join(cf, keep)
	}
	for _, o := range all {
		if o == keep {
			continue
		}
		p := o.peer
		detach(o, p)
		o.related = nil
		s.endLeg(o, lostInfo{reason: reasonNormal, thisEnd: true, desc: "conferenced"})
		if p.svc == svcConfPort {
			continue // already a member of a conference: not merged (modelled)
		}
		s.join(cf, p)
	}
	keep.related, keep.relKind = nil, relNone
	keep.state = mtcti.CallInfo_CONNECTED
	for _, m := range cf.members() {
		m.activeHeld = false
	}
	return mtcti.ResultSuccess
}

// addToConf invites a party into the conference m talks to (lines
// 3730-3770). Modelled: an invalid target answers TARGETNOTFOUND rather
// than creating a FAILED member.
func (s *Server) addToConf(m *leg, dest string) int32 {
	if !m.connected() || m.peer.svc != svcConfPort {
		return mtcti.ResultCallControlInvalidCallState
	}
	t, ok := s.resolve(dest)
	if !ok || (t.kind != tUser && t.kind != tExt) || !reachable(t) {
		return mtcti.ResultCallControlTargetNotFound
	}
	cf := m.peer.conf
	port := s.newLeg(svcLeg, s.newConv())
	port.svc, port.who, port.conf, port.state = svcConfPort, cf.who, cf, mtcti.CallInfo_CONNECTED
	port.confLref = int32(port.id)
	cf.ports = append(cf.ports, port)
	s.route(port, t)
	return mtcti.ResultSuccess
}

// memberFunction mutes, unmutes or drops a conference member by lref
// (lines 2436-2457, 3775-3810).
func (s *Server) memberFunction(m *leg, d *mtcti.MemberFunctionData) int32 {
	if d == nil {
		return mtcti.ResultCallControlBadFormatting
	}
	if !m.connected() || m.peer.svc != svcConfPort {
		return mtcti.ResultCallControlInvalidCallState
	}
	i := slices.IndexFunc(m.peer.conf.ports, func(p *leg) bool { return p.confLref == d.Lref })
	if i < 0 {
		return mtcti.ResultCallControlOtherNotFound
	}
	port := m.peer.conf.ports[i]
	target := port.peer
	if target == nil {
		if len(port.alerting) == 0 {
			return mtcti.ResultCallControlOtherNotFound
		}
		target = port.alerting[0]
	}
	switch d.Action {
	case mtcti.MemberFunctionData_DropCall:
		s.release(target, lostInfo{reason: reasonNormal, desc: "dropped from conference"})
	case mtcti.MemberFunctionData_MuteOn:
		target.mute = true
	case mtcti.MemberFunctionData_MuteOff:
		target.mute = false
	default:
		return mtcti.ResultCallControlUnsupported
	}
	return mtcti.ResultSuccess
}

// forceClear clears the call all the way to the source, or a whole
// conference (lines 4030-4060).
func (s *Server) forceClear(l *leg) {
	if l.connected() && l.peer.svc == svcConfPort {
		s.clearConference(l.peer.conf)
		return
	}
	s.release(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: "force cleared"})
}

func (s *Server) clearConference(cf *conference) {
	for _, p := range slices.Clone(cf.ports) {
		for _, a := range slices.Clone(p.alerting) {
			a.peer = nil
			s.release(a, lostInfo{reason: reasonNormal, desc: "conference ended"})
		}
		if m := p.peer; m != nil {
			detach(p, m)
			s.release(m, lostInfo{reason: reasonNormal, desc: "conference ended"})
		}
		s.endLeg(p, lostInfo{reason: reasonNormal})
	}
}
