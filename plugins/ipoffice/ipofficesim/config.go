package ipofficesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// User and queue configuration: building them, and UpdateUser / UpdateQueue
// (lines 1468-1640, 1855-1872).

// Length limits of NotifyPresentity (lines 768-772), applied to the user
// fields they come from. Modelled: longer text is cut.
const (
	maxAbsence = 21
	maxApp     = 34
)

func (s *Server) userByExt(ext string) *user {
	for _, u := range s.users {
		if u.ext == ext {
			return u
		}
	}
	return nil
}

// numberTaken reports whether a user or queue already has number n.
func (s *Server) numberTaken(n string) bool {
	if s.userByExt(n) != nil {
		return true
	}
	return slices.ContainsFunc(s.queues, func(q *queue) bool { return q.ext == n })
}

func (s *Server) addUser(spec UserSpec) error {
	if spec.Extension == "" {
		return fmt.Errorf("ipofficesim: user without extension")
	}
	if s.numberTaken(spec.Extension) {
		return fmt.Errorf("ipofficesim: number %s already in use", spec.Extension)
	}
	s.guidSeq++
	u := &user{
		guid: newGUID(0, s.guidSeq), ext: spec.Extension, name: spec.Name, full: spec.FullName, email: spec.Email,
		features: spec.Features, callMask: spec.CallFeatureMask, dnd: spec.DND, voicemail: !spec.NoVoicemail,
		loggedOff: spec.LoggedOff, extnFault: spec.ExtnFault, noAnswerTime: 15, offswitch: true,
	}
	if u.name == "" {
		u.name = "Extn" + spec.Extension
	}
	if u.features == 0 {
		u.features = DefaultUserFeatures
	}
	u.features |= mtcti.UserFeatureValid
	s.users = append(s.users, u)
	return nil
}

func (s *Server) addQueue(spec QueueSpec) error {
	if spec.Name == "" || spec.Number == "" {
		return fmt.Errorf("ipofficesim: queue needs a name and a number")
	}
	if s.numberTaken(spec.Number) || s.queueByName(spec.Name) != nil {
		return fmt.Errorf("ipofficesim: queue %s/%s already in use", spec.Name, spec.Number)
	}
	s.guidSeq++
	q := &queue{
		guid: newGUID(1, s.guidSeq), ext: spec.Number, name: spec.Name, email: spec.Email,
		ringMode: spec.RingMode, noAnswer: spec.NoAnswerTime, voicemail: spec.Voicemail,
		vmTime: spec.VoicemailTime, mode: spec.ServiceMode,
	}
	if q.noAnswer == 0 {
		q.noAnswer = 15
	}
	if q.vmTime == 0 {
		q.vmTime = 45
	}
	if q.mode == mtcti.NotifyQueue_Unset {
		q.mode = mtcti.NotifyQueue_Active
	}
	for _, m := range spec.Members {
		q.members = append(q.members, member{ext: m})
	}
	s.queues = append(s.queues, q)
	return nil
}

// updateUser applies an UpdateUser (lines 1468-1527). Every part is
// checked against the user's featuresavailable first; modelled: a part the
// user may not change answers MTCTISESS_CALLCONTROL_PERMISSION and nothing
// is applied.
func (s *Server) updateUser(sub *subscription, up *mtcti.UpdateUser) int32 {
	u := sub.user
	need := mtcti.UserFeatures(0)
	if up.Sac != nil {
		need |= mtcti.UserFeatureSAC
	}
	if up.Absence != nil {
		need |= mtcti.UserFeatureAbsence
	}
	if up.Ec500 != nil {
		need |= mtcti.UserFeatureEC500
	}
	if len(up.Shortcodedata) > 0 {
		need |= mtcti.UserFeatureShortCode
	}
	if up.Loginextn != nil {
		need |= mtcti.UserFeatureLogin
	}
	if up.App != nil && (up.App.Value != "" || (!up.App.Makelive && !up.App.Makedead)) {
		need |= mtcti.UserFeatureApp
	}
	if up.Fwdu != nil {
		need |= mtcti.UserFeatureFwdU
	}
	if need == 0 && up.App == nil {
		return mtcti.ResultRequestInvalidPayload
	}
	if !u.features.Has(need) {
		return mtcti.ResultCallControlPermission
	}
	// Validate the short codes before applying anything.
	for _, sc := range up.Shortcodedata {
		if r := s.shortCode(u, sc, false); r != 0 {
			return r
		}
	}
	if up.Sac != nil {
		u.dnd = up.Sac.Set != 0
	}
	if a := up.Absence; a != nil {
		if a.Set != 0 && a.Absence != nil {
			u.absence = &mtcti.Absence{Msg: a.Absence.Msg, Str: cut(a.Absence.Str, maxAbsence)}
		} else {
			u.absence = nil
		}
	}
	if up.Ec500 != nil {
		u.ec500 = up.Ec500.Set != 0
	}
	for _, sc := range up.Shortcodedata {
		s.shortCode(u, sc, true)
	}
	if le := up.Loginextn; le != nil {
		// Modelled: an empty extension logs the user off.
		u.loginExtn, u.loggedOff = le.Extn, le.Extn == ""
	}
	if a := up.App; a != nil {
		if a.Value != "" || (!a.Makelive && !a.Makedead) {
			u.app = cut(a.Value, maxApp)
		}
		if a.Makelive {
			sub.activeApp = true
		}
		if a.Makedead {
			sub.activeApp = false
		}
	}
	if f := up.Fwdu; f != nil {
		u.fwdu, u.fwdToVM = f.Set, f.Fwdtovm
		if f.FwduNumber != "" {
			u.fwduNumber = f.FwduNumber
		}
	}
	return mtcti.ResultSuccess
}

func cut(s string, n int) string {
	if runes(s) > n {
		return string([]rune(s)[:n])
	}
	return s
}

// shortCode checks (apply false) or applies one short code of the table at
// lines 1620-1640, and 70, the mailbox counters ";new,old,saved" (lines
// 1576-1596). Modelled: an unknown code answers
// MTCTISESS_CALLCONTROL_UNSUPPORTED, a badly formed value
// MTCTISESS_CALLCONTROL_BADFORMATTING.
func (s *Server) shortCode(u *user, sc *mtcti.ShortCodeData, apply bool) int32 {
	v := sc.Val
	switch sc.Code {
	case 0, 1, 2, 3, 4, 5, 7, 8, 10, 17, 18, 166, 167:
	case 6, 114:
		if v == "" || runes(v) > 78 {
			return mtcti.ResultCallControlBadFormatting
		}
	case 9:
		if v == "" {
			return mtcti.ResultCallControlBadFormatting
		}
	case 70:
		n, ok := mailboxCounts(v)
		if !ok {
			return mtcti.ResultCallControlBadFormatting
		}
		if apply {
			u.mailbox = n
		}
		return 0
	case 94:
		t, err := strconv.Atoi(v)
		if err != nil || t < 0 {
			return mtcti.ResultCallControlBadFormatting
		}
		if apply {
			u.noAnswerTime = int32(t)
		}
		return 0
	case 109:
		// $set,$val,$str
		parts := strings.SplitN(v, ",", 3)
		if len(parts) < 2 {
			return mtcti.ResultCallControlBadFormatting
		}
		set, err1 := strconv.Atoi(parts[0])
		msg, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return mtcti.ResultCallControlBadFormatting
		}
		if apply {
			if set == 0 {
				u.absence = nil
			} else {
				str := ""
				if len(parts) == 3 {
					str = parts[2]
				}
				u.absence = &mtcti.Absence{Msg: int32(msg), Str: cut(str, maxAbsence)}
			}
		}
		return 0
	default:
		return mtcti.ResultCallControlUnsupported
	}
	if !apply {
		return 0
	}
	switch sc.Code {
	case 0, 1:
		u.fwdu = sc.Code == 0
	case 2, 3:
		u.fwdb = sc.Code == 2
	case 4, 5:
		u.fwdna = sc.Code == 4
	case 6:
		u.fwduNumber = v
	case 7, 8:
		u.dnd = sc.Code == 7
	case 9:
		u.dndExceptions = append(u.dndExceptions, v)
	case 10:
		u.dndExceptions = nil
	case 17, 18:
		u.voicemail = sc.Code == 17
	case 114:
		u.fwdbNumber = v
	case 166, 167:
		u.ec500 = sc.Code == 166
	}
	return 0
}

// mailboxCounts parses ";new,old,saved".
func mailboxCounts(v string) ([3]int32, bool) {
	var n [3]int32
	if !strings.HasPrefix(v, ";") {
		return n, false
	}
	parts := strings.Split(v[1:], ",")
	if len(parts) != 3 {
		return n, false
	}
	for i, p := range parts {
		x, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || x < 0 {
			return n, false
		}
		n[i] = int32(x)
	}
	return n, true
}

// updateQueue applies an UpdateQueue (lines 1855-1872): service mode,
// voicemail, the whole member list, or members added (an existing member's
// disabled flag is updated) and deleted. Modelled: a member who is not a
// user answers MTCTISESS_USERNOTFOUND and nothing is applied; deleting a
// non-member is ignored.
func (s *Server) updateQueue(q *queue, up *mtcti.UpdateQueue) int32 {
	if up.Setservicemode == nil && up.Setvoicemail == nil && up.Members == nil && len(up.Addmember) == 0 && len(up.Deletemember) == 0 {
		return mtcti.ResultRequestInvalidPayload
	}
	if sm := up.Setservicemode; sm != nil && (sm.Servicemode < mtcti.SetServiceMode_Active || sm.Servicemode > mtcti.SetServiceMode_OOS) {
		return mtcti.ResultRequestInvalidPayload
	}
	var check []*mtcti.QueueMember
	if up.Members != nil {
		check = append(check, up.Members.Member...)
	}
	check = append(check, up.Addmember...)
	for _, m := range check {
		if s.userByExt(m.Extn) == nil {
			return mtcti.ResultUserNotFound
		}
	}
	if sm := up.Setservicemode; sm != nil {
		q.mode = mtcti.NotifyQueue_ServiceMode(sm.Servicemode)
	}
	if v := up.Setvoicemail; v != nil {
		q.voicemail = v.Enabled
	}
	if up.Members != nil {
		q.members = nil
		for _, m := range up.Members.Member {
			if q.member(m.Extn) < 0 {
				q.members = append(q.members, member{ext: m.Extn, disabled: m.Disabled})
			}
		}
	}
	for _, m := range up.Addmember {
		if i := q.member(m.Extn); i >= 0 {
			q.members[i].disabled = m.Disabled
		} else {
			q.members = append(q.members, member{ext: m.Extn, disabled: m.Disabled})
		}
	}
	for _, m := range up.Deletemember {
		if i := q.member(m.Extn); i >= 0 {
			q.members = slices.Delete(q.members, i, i+1)
		}
	}
	return mtcti.ResultSuccess
}
