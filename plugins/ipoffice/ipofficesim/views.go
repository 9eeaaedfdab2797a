package ipofficesim

import (
	"slices"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// What each subscription sees of the calls, as CallInfo snapshots, and the
// featuresavailable of each state.

// CallInfo detail bits of ccflags (lines 1324-1362, 1895-1918).
const (
	ccConf     = 0x08
	ccDial     = 0x10
	ccTrunk    = 0x20
	ccQueue    = 0x40
	ccCallData = 0x80
	ccConf2    = 0x100
	ccTargets  = 0x40000
)

// visible returns the calls the subscription can see now, in creation
// order. Caller holds s.mu.
func (s *Server) visible(sub *subscription) []view {
	var out []view
	switch sub.kind {
	case subUser:
		for _, l := range s.legs {
			if l.kind == userLeg && l.user == sub.user {
				out = append(out, view{key: l.id, l: l, build: func(sub *subscription) *mtcti.CallInfo { return s.userCallInfo(sub, l) },
					lost: func() lostInfo { return l.lost }})
			}
		}
	case subQueue:
		q := sub.queue
		for _, qc := range s.qcalls {
			if qc.ended || qc.view != q {
				continue
			}
			if sub.ccflags&ccEphemeral != 0 && !qc.waiting() {
				continue
			}
			out = append(out, view{key: qc.id, qc: qc, build: func(sub *subscription) *mtcti.CallInfo { return s.queueCallInfo(sub, qc) },
				lost: func() lostInfo {
					switch {
					case qc.ended:
						return qc.lost
					case qc.view != q:
						return lostInfo{reason: reasonNormal, desc: "finished"}
					}
					return lostInfo{reason: reasonNormal, desc: "no longer queueing"}
				}})
		}
	case subPark:
		var pcs []*parkCall
		for _, pc := range s.parks {
			pcs = append(pcs, pc)
		}
		slices.SortFunc(pcs, func(a, b *parkCall) int { return a.id - b.id })
		for _, pc := range pcs {
			out = append(out, view{key: pc.id, pc: pc, build: func(sub *subscription) *mtcti.CallInfo { return s.parkCallInfo(sub, pc) },
				lost: func() lostInfo { return pc.lost }})
		}
	}
	return out
}

// waiting reports whether the queue call still waits for an agent, which
// is when an ephemeral subscription sees it (line 1916).
func (qc *queueCall) waiting() bool {
	c := qc.caller
	return c.parked == nil && !c.connected()
}

// farParty is the other end as l sees it: the connected party, or the one
// party it rings.
func farParty(l *leg) *party {
	switch {
	case l.connected():
		if l.peer.svc == svcConfPort {
			return l.peer.conf.who
		}
		return l.peer.party()
	case len(l.alerting) == 1:
		return l.alerting[0].party()
	}
	return nil
}

// trunkLeg returns the external leg of l's conversation, if any.
func trunkLeg(l *leg) *leg {
	if l.kind == extLeg {
		return l
	}
	if l.peer != nil && l.peer.kind == extLeg {
		return l.peer
	}
	return nil
}

func (s *Server) userCallInfo(sub *subscription, l *leg) *mtcti.CallInfo {
	ci := &mtcti.CallInfo{
		Callid: sub.callid(l.id), Referencecallid: l.refID,
		State: l.state, Direction: l.dir, Activeheld: l.activeHeld,
		Gcid:                append([]byte(nil), l.conv.gcid...),
		Featuresavailable:   int32(s.userFeatures(l)),
		Calledparty:         l.called,
		Callingparty:        l.caller.info(),
		Connectedparty:      farParty(l).info(),
		Originalcalledparty: l.orig.info(),
		Tag:                 l.conv.tag, Accountcode: l.conv.account,
		Mute: l.mute, Failedcause: l.failed, Recording: l.recording,
		Recordingpaused: l.conv.paused,
	}
	if l.related != nil {
		ci.Relatedcallid = sub.callid(l.related.id)
	}
	if l.connected() && l.peer.kind == userLeg && l.peer.user.absence != nil {
		// The FAR END's absence text (line 2160).
		ci.Absence = &mtcti.Absence{Msg: l.peer.user.absence.Msg, Str: l.peer.user.absence.Str}
	}
	s.addDetail(sub, ci, l)
	if sub.ccflags&ccQueue != 0 && l.qinfo != nil {
		qi := &mtcti.QueueInfo{Number: l.qinfo.ext, Name: l.qinfo.name, Priority: 1}
		if l.peer != nil && l.peer.qc != nil {
			qi.Priority = l.peer.qc.priority
		}
		ci.Queueinfo = qi
	}
	return ci
}

// addDetail adds the ccflags-selected parts common to user and queue views.
func (s *Server) addDetail(sub *subscription, ci *mtcti.CallInfo, l *leg) {
	cc := sub.ccflags
	if cc&(ccConf|ccConf2) != 0 && l.connected() && l.peer.svc == svcConfPort {
		for _, p := range l.peer.conf.ports {
			if p == l.peer {
				continue
			}
			m := &mtcti.ConferenceMember{Lref: p.confLref, State: mtcti.ConferenceMember_CONNECTED, Direction: mtcti.ConferenceMember_INBOUND}
			switch {
			case p.peer != nil:
				m.Connectedparty = p.peer.party().info()
				m.Mute = p.peer.mute
			case len(p.alerting) == 1:
				m.State = mtcti.ConferenceMember_RINGING
				m.Direction = mtcti.ConferenceMember_OUTBOUND
				m.Connectedparty = p.alerting[0].party().info()
			default:
				continue
			}
			ci.Conferencemember = append(ci.Conferencemember, m)
		}
	}
	if cc&ccDial != 0 && l.dialInfo != nil {
		ci.Dialinfo = &mtcti.DialInfo{
			Number: l.dialInfo.Number, Calltype: l.dialInfo.Calltype, Withholdcli: l.dialInfo.Withholdcli,
			Complete: l.dialInfo.Complete, Madn: l.dialInfo.Madn, Allowcli: l.dialInfo.Allowcli, Explicitcli: l.dialInfo.Explicitcli,
		}
	}
	if cc&ccTrunk != 0 {
		if t := trunkLeg(l); t != nil {
			ci.Trunkinfo = &mtcti.TrunkInfo{Trunktype: mtcti.TrunkInfo_TrunkSIP}
			if t.dir == mtcti.CallInfo_OUTBOUND {
				ci.Trunkinfo.Did = t.called
			}
		}
	}
	if cc&ccCallData != 0 {
		ci.Calldata = &mtcti.CallData{Language: "eng", Privacy: l.privacy}
	}
}

// queueView derives what the queue reports of its caller.
func (s *Server) queueView(qc *queueCall) (st mtcti.CallInfo_State, held bool, conn *party, targets []*leg) {
	c := qc.caller
	switch {
	case c.parked != nil:
		return mtcti.CallInfo_ONHOLD, false, &party{number: c.parked.slot, name: "Park " + c.parked.slot}, nil
	case !c.connected():
		targets = c.alerting
		switch {
		case qc.arriving:
			st = mtcti.CallInfo_RINGING
		case qc.queued:
			st = mtcti.CallInfo_QUEUEING
		case len(c.alerting) > 0:
			st = mtcti.CallInfo_RINGING
		default:
			st = mtcti.CallInfo_QUEUEING
		}
		return st, false, nil, targets
	case c.peer.svc == svcVoicemail:
		return mtcti.CallInfo_ANSWEREDBYVOICEMAIL, false, c.peer.who, nil
	}
	if c.activeHeld && s.opts.QueueHoldShowsOnHold {
		return mtcti.CallInfo_ONHOLD, false, farParty(c), nil
	}
	return mtcti.CallInfo_CONNECTED, c.activeHeld, farParty(c), nil
}

func (s *Server) queueCallInfo(sub *subscription, qc *queueCall) *mtcti.CallInfo {
	c := qc.caller
	st, held, conn, targets := s.queueView(qc)
	ci := &mtcti.CallInfo{
		Callid: sub.callid(qc.id), Referencecallid: qc.refID, State: st, Direction: mtcti.CallInfo_INBOUND, Activeheld: held,
		Gcid:              append([]byte(nil), c.conv.gcid...),
		Featuresavailable: int32(queueFeatures(st, c)),
		Calledparty:       c.called,
		Callingparty:      c.party().info(),
		Connectedparty:    conn.info(),
		Tag:               c.conv.tag, Accountcode: c.conv.account,
		Recording: c.conv.sysRecording, Recordingpaused: c.conv.paused,
	}
	if c.kind == userLeg {
		ci.Calledparty = qc.view.ext
	}
	s.addDetail(sub, ci, c)
	if sub.ccflags&ccQueue != 0 {
		qi := &mtcti.QueueInfo{Number: qc.view.ext, Name: qc.view.name, Priority: qc.priority}
		if qc.overflow != nil {
			qi.OverflowNumber, qi.OverflowName = qc.overflow.ext, qc.overflow.name
		}
		ci.Queueinfo = qi
	}
	if sub.ccflags&ccTargets != 0 && len(targets) > 0 {
		ci.Targets = &mtcti.Targets{}
		for _, t := range targets {
			ci.Targets.Target = append(ci.Targets.Target, &mtcti.Target{Partyinfo: t.party().info()})
		}
	}
	return ci
}

func (s *Server) parkCallInfo(sub *subscription, pc *parkCall) *mtcti.CallInfo {
	l := pc.leg
	ci := &mtcti.CallInfo{
		Callid: sub.callid(pc.id), Referencecallid: pc.refID, State: mtcti.CallInfo_ONHOLD, Direction: mtcti.CallInfo_INBOUND,
		Gcid:              append([]byte(nil), l.conv.gcid...),
		Featuresavailable: int32(parkFeatures),
		Callingparty:      l.party().info(),
		Connectedparty:    pc.by.info(),
		Tag:               l.conv.tag, Accountcode: l.conv.account,
		Parkslot: pc.slot,
	}
	s.addDetail(sub, ci, l)
	return ci
}

// Queue featuresavailable, from the document's examples: RINGING 0x6060E0B1
// (line 1826), QUEUEING 0x6060E091 (line 2980), ANSWEREDBYVOICEMAIL
// 0xE0E0E091 (line 2778), CONNECTED to a conference 0x60E0F801 (line
// 2826). Bit 15 (reserved) is set in all of them, and so is bit 31 in the
// voicemail one: kept as shown.
const (
	qfRinging   mtcti.CallFeatures = 0x6060E0B1
	qfQueueing  mtcti.CallFeatures = 0x6060E091
	qfVoicemail mtcti.CallFeatures = 0xE0E0E091
	qfConf      mtcti.CallFeatures = 0x60E0F801
	bit15       mtcti.CallFeatures = 1 << 15
)

// Modelled: a connected queue call offers what the examples offer around
// it: DROP BLINDXFER PARK TAG ACCT FORCECLEAR AUTH, recording, PRIO and
// FINISH (both are set on the connected conference example).
const qfConnected = mtcti.CallFeatureDrop | mtcti.CallFeatureBlindTransfer | mtcti.CallFeaturePark |
	mtcti.CallFeatureSetTag | mtcti.CallFeatureSetAccountCode | bit15 | mtcti.CallFeatureForceClear |
	mtcti.CallFeatureSetAuthCode | mtcti.CallFeatureSetPriority | mtcti.CallFeatureFinish

// parkFeatures: the actions whose line types include ParkServer: DropCall,
// BlindTransfer, SetTag, ForceClear (lines 3180-3895).
const parkFeatures = mtcti.CallFeatureDrop | mtcti.CallFeatureBlindTransfer | mtcti.CallFeatureSetTag | mtcti.CallFeatureForceClear

func queueFeatures(st mtcti.CallInfo_State, c *leg) mtcti.CallFeatures {
	rec := mtcti.CallFeatureCallRecordingOn
	if c.conv.sysRecording {
		rec = mtcti.CallFeatureCallRecordingOff | mtcti.CallFeatureRecordingPauseControl
	}
	switch st {
	case mtcti.CallInfo_RINGING:
		return qfRinging
	case mtcti.CallInfo_QUEUEING:
		return qfQueueing
	case mtcti.CallInfo_ANSWEREDBYVOICEMAIL:
		return qfVoicemail
	}
	if c.connected() && c.peer.svc == svcConfPort {
		return qfConf&^mtcti.CallFeatureCallRecordingOn | rec
	}
	return qfConnected | rec
}

// userFeatures is the featuresavailable of a user's call in its state.
// RINGING is the example's 0x23 DROP ANSWER REDIRECT (line 1413); the other
// states are modelled from the line types and "Control" rule of each
// function (lines 3165-4300).
func (s *Server) userFeatures(l *leg) mtcti.CallFeatures {
	const (
		drop  = mtcti.CallFeatureDrop
		admin = mtcti.CallFeatureSetTag | mtcti.CallFeatureSetAccountCode
	)
	var f mtcti.CallFeatures
	complete := mtcti.CallFeatures(0)
	if l.related != nil || s.otherCalls(l) {
		complete = mtcti.CallFeatureCompleteTransfer | mtcti.CallFeatureCompleteConf
	}
	inConf := l.connected() && l.peer.svc == svcConfPort
	switch l.state {
	case mtcti.CallInfo_DIALTONE, mtcti.CallInfo_DIALLING:
		f = drop | mtcti.CallFeatureDial
	case mtcti.CallInfo_RINGING:
		f = drop | mtcti.CallFeatureAnswerCall | mtcti.CallFeatureRedirect
	case mtcti.CallInfo_RINGBACK:
		f = drop | admin
		if l.related != nil {
			f |= complete
		}
	case mtcti.CallInfo_CONNECTED:
		if inConf {
			f = drop | mtcti.CallFeatureAddToConf | mtcti.CallFeatureAdminConfMember | admin | mtcti.CallFeatureForceClear
			if l.mute {
				f |= mtcti.CallFeatureMuteOff
			} else {
				f |= mtcti.CallFeatureMuteOn
			}
			break
		}
		f = drop | mtcti.CallFeatureHoldCall | mtcti.CallFeatureBlindTransfer | mtcti.CallFeaturePark |
			mtcti.CallFeatureSetupTransfer | admin | mtcti.CallFeatureGenerateDigits |
			mtcti.CallFeatureForceClear | mtcti.CallFeatureSetAuthCode | complete
		if l.privacy {
			f |= mtcti.CallFeaturePrivacyOff
		} else {
			f |= mtcti.CallFeaturePrivacyOn
		}
		if l.recording {
			f |= mtcti.CallFeatureCallRecordingOff
		} else {
			f |= mtcti.CallFeatureCallRecordingOn
		}
	case mtcti.CallInfo_ONHOLD:
		f = drop | mtcti.CallFeatureUnHoldCall | mtcti.CallFeatureBlindTransfer | mtcti.CallFeaturePark |
			admin | mtcti.CallFeatureForceClear | complete
	case mtcti.CallInfo_ONHOLDPENDTRANSFER, mtcti.CallInfo_ONHOLDPENDCONF:
		f = drop | mtcti.CallFeatureUnHoldCall | admin | mtcti.CallFeatureForceClear | complete
	default: // BUSY, FAILED, DIALLED
		f = drop
	}
	if l.conv.sysRecording && (l.state == mtcti.CallInfo_CONNECTED || l.state == mtcti.CallInfo_ONHOLD) {
		f |= mtcti.CallFeatureRecordingPauseControl
	}
	if l.user.callMask != 0 {
		f &= l.user.callMask
	}
	return f
}

// otherCalls reports whether l's user has another talking or held call, which
// CompleteTransfer and CompleteConf can join with callinst (lines 2406-2411).
func (s *Server) otherCalls(l *leg) bool {
	for _, o := range s.legs {
		if o != l && o.user == l.user && o.kind == userLeg && o.connected() {
			return true
		}
	}
	return false
}
