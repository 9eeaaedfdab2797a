package ipofficesim

import (
	"bytes"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

func linesSub(flags int32) *mtcti.Subscribe {
	return &mtcti.Subscribe{SubscribeId: 5555, Timeout: 3600, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: flags}}}
}

func TestLinesListsEverythingThenAddDeleteChange(t *testing.T) {
	srv, addr := testServer(t, nil)
	for _, f := range framings {
		c := dialClient(t, srv, addr, f)
		if r := c.subscribe(linesSub(7)); r != 0 {
			t.Fatalf("subscribe: %d", r)
		}
		n := c.notify(5555)
		nl := n.GetLines()
		if n.NotifyId != 1 || nl.Flags != 3 || len(nl.Adduser) != 5 || len(nl.Addqueue) != 2 {
			t.Fatalf("%s first lines notify: id %d %v", f, n.NotifyId, nl)
		}
		if nl.Adduser[0].Extn != "201" || nl.Adduser[0].Name != "Alice" || len(nl.Adduser[0].Guid) != 16 ||
			nl.Addqueue[0].Name != "Sales" || nl.Addqueue[0].Extn != "600" {
			t.Errorf("%s entries: %v", f, nl)
		}
		if r := c.subscribe(linesSub(3)); r != mtcti.ResultSubscriptionInvalidID {
			t.Errorf("same subscribe_id again: %d", r)
		}
		if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 5556, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 1}}}); r != mtcti.ResultTooMany {
			t.Errorf("second lines subscription: %d", r)
		}
		if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 5555, Timeout: 0}); r != 0 { // refresh, no expiry
			t.Fatalf("refresh: %d", r)
		}
	}
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribe(linesSub(3))
	c.notify(5555)
	if err := srv.AddUser(UserSpec{Extension: "206", Name: "Frank"}); err != nil {
		t.Fatal(err)
	}
	nl := c.notify(5555).GetLines()
	if len(nl.Adduser) != 1 || nl.Adduser[0].Extn != "206" || len(nl.Deleteuser)+len(nl.Addqueue) != 0 {
		t.Fatalf("add: %v", nl)
	}
	guid := nl.Adduser[0].Guid
	if err := srv.RenameUser("206", "207", "Frank Z"); err != nil {
		t.Fatal(err)
	}
	nl = c.notify(5555).GetLines()
	if len(nl.Changeuser) != 1 || !bytes.Equal(nl.Changeuser[0].Guid, guid) || nl.Changeuser[0].Extn != "207" {
		t.Fatalf("change: %v", nl)
	}
	if err := srv.RemoveUser("207"); err != nil {
		t.Fatal(err)
	}
	nl = c.notify(5555).GetLines()
	if len(nl.Deleteuser) != 1 || !bytes.Equal(nl.Deleteuser[0].Guid, guid) {
		t.Fatalf("delete: %v", nl)
	}
}

func TestLinesChunked(t *testing.T) {
	srv, addr := testServer(t, func(o *Options) { o.LinesChunk = 3 })
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribe(linesSub(3))
	var users, queues int
	for users+queues < 7 {
		nl := c.notify(5555).GetLines()
		if len(nl.Adduser)+len(nl.Addqueue) > 3 {
			t.Fatalf("chunk too big: %v", nl)
		}
		users += len(nl.Adduser)
		queues += len(nl.Addqueue)
	}
	if users != 5 || queues != 2 {
		t.Fatalf("users %d queues %d", users, queues)
	}
}

func TestNotifyAckGating(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	guid := srv.Users()[0].GUID
	c.subscribe(&mtcti.Subscribe{SubscribeId: 7000, Payload: &mtcti.Subscribe_User{User: &mtcti.SubscribeUser{Guid: guid, Flags: 1}}})
	first := c.take("first user notify", isNotify(7000)).GetNotify() // not acked
	if first.NotifyId == 0 || first.GetUser().Extn != "201" || first.GetUser().Mailbox == nil {
		t.Fatalf("first: %v", first)
	}
	if err := srv.SetDND("201", true); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetMailbox("201", 3, 0, 0); err != nil {
		t.Fatal(err)
	}
	c.sync()
	if got := c.pending(isNotify(7000)); len(got) != 0 {
		t.Fatalf("notify before ack: %v", got)
	}
	if srv.PendingNotifies() != 2 {
		t.Fatalf("PendingNotifies %d, want 2", srv.PendingNotifies())
	}
	c.ack(&mtcti.Notify{SubscribeId: 7000, NotifyId: first.NotifyId + 5}) // wrong id: ignored
	c.sync()
	if len(c.pending(isNotify(7000))) != 0 {
		t.Fatal("a wrong NotifyAck released a notify")
	}
	c.ack(first)
	second := c.take("second", isNotify(7000)).GetNotify()
	if !second.GetUser().Dnd || second.NotifyId != first.NotifyId+1 {
		t.Fatalf("second: %v", second)
	}
	c.sync()
	if len(c.pending(isNotify(7000))) != 0 || srv.PendingNotifies() != 1 {
		t.Fatal("third sent before the second was acked")
	}
	c.ack(second)
	third := c.take("third", isNotify(7000)).GetNotify()
	if third.GetUser().Mailbox.GetNewmessages() != 3 {
		t.Fatalf("third: %v", third)
	}
	c.ack(third)
	eventually(t, "nothing pending", func() bool { return srv.PendingNotifies() == 0 })
}

func TestAckNoneAndQueueLimit(t *testing.T) {
	srv, addr := testServer(t, func(o *Options) { o.NotifyAckRequired = AckNone })
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribe(linesSub(1))
	if n := c.take("lines", isNotify(5555)).GetNotify(); n.NotifyId != 0 {
		t.Fatalf("notify_id %d with AckNone", n.NotifyId)
	}

	srv2, addr2 := testServer(t, func(o *Options) { o.NotifyQueueLimit = 2 })
	c2 := dialClient(t, srv2, addr2, mtcti.Framed)
	c2.subscribe(linesSub(1))
	c2.take("lines", isNotify(5555)) // never acked
	for i := range 3 {
		srv2.AddUser(UserSpec{Extension: string(rune('7'+i)) + "00"})
	}
	c2.take("terminated", func(m *mtcti.Message) bool { return m.GetSubscribeterminated().GetSubscribeId() == 5555 })
	if len(srv2.Subscriptions()) != 0 {
		t.Fatal("subscription survived overflow")
	}
}

func TestRefreshTimeoutAndTerminated(t *testing.T) {
	clk := &manualClock{now: time.Unix(1700000000, 0)}
	srv, addr := testServer(t, func(o *Options) { o.Clock = clk })
	c := dialClient(t, srv, addr, mtcti.Framed)
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 1, Timeout: 60, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 1}}}); r != 0 {
		t.Fatal(r)
	}
	c.notify(1)
	clk.Advance(50 * time.Second)
	// Refresh: same subscribe_id, new timeout, no payload (lines 378-410).
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 1, Timeout: 3600}); r != 0 {
		t.Fatalf("refresh: %d", r)
	}
	clk.Advance(50 * time.Second) // past the first timeout
	c.sync()
	if subs := srv.Subscriptions(); len(subs) != 1 || subs[0].Timeout != time.Hour {
		t.Fatalf("after refresh: %+v", subs)
	}
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 2, Timeout: 10}); r != mtcti.ResultSubscriptionInvalidID {
		t.Fatalf("refresh of an unknown subscription: %d", r)
	}
	clk.Advance(time.Hour)
	st := c.take("terminated", func(m *mtcti.Message) bool { return m.GetSubscribeterminated() != nil }).GetSubscribeterminated()
	if st.SubscribeId != 1 {
		t.Fatalf("terminated %v", st)
	}
	if len(srv.Subscriptions()) != 0 {
		t.Fatal("still subscribed")
	}
	// Presence needs 60..86400 seconds (lines 374-375).
	pres := func(timeout int32) *mtcti.Subscribe {
		return &mtcti.Subscribe{SubscribeId: 9, Timeout: timeout, Payload: &mtcti.Subscribe_Presence{Presence: &mtcti.SubscribePresence{
			Entry: []*mtcti.Presentity{{Presentity: "201", Lref: 5678}, {Presentity: "202", Lref: 5679}, {Presentity: "999"}}}}}
	}
	if r := c.subscribe(pres(0)); r != mtcti.ResultSubscriptionTimeoutTooSmall {
		t.Fatalf("presence timeout 0: %d", r)
	}
	if r := c.subscribe(pres(59)); r != mtcti.ResultSubscriptionTimeoutTooSmall {
		t.Fatalf("presence timeout 59: %d", r)
	}
	if r := c.subscribe(pres(3600)); r != 0 {
		t.Fatalf("presence: %d", r)
	}
	np := c.notify(9).GetPresence()
	if np.Full != 1 || len(np.Entry) != 3 || np.Entry[0].Lref != 5678 || np.Entry[0].Presentity != "" ||
		np.Entry[2].Presentity != "999" || np.Entry[2].Phonestate != 8 || np.Entry[0].App != "Offline" {
		t.Fatalf("presence: %v", np)
	}
	srv.SetDND("202", true)
	np = c.notify(9).GetPresence()
	if np.Full != 0 || len(np.Entry) != 1 || np.Entry[0].Lref != 5679 || np.Entry[0].Sac == 0 {
		t.Fatalf("presence change: %v", np)
	}
	// SubscribeEnd: no more notifies, and the id is free again.
	c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribeend{Subscribeend: &mtcti.SubscribeEnd{Requestid: 77, SubscribeId: 9}}})
	if r := c.take("end", isResponse(77)).GetResponse(); r.Result != 0 {
		t.Fatal(r)
	}
	srv.SetDND("202", false)
	c.sync()
	if len(c.pending(isNotify(9))) != 0 {
		t.Fatal("notify after SubscribeEnd")
	}
}

func TestTerminateSubscriptions(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.NoFraming)
	c.subscribe(linesSub(1))
	c.subscribeQueue(2, "Sales", 3, 1)
	srv.TerminateSubscriptions()
	got := map[int32]bool{}
	for range 2 {
		got[c.take("terminated", func(m *mtcti.Message) bool { return m.GetSubscribeterminated() != nil }).GetSubscribeterminated().SubscribeId] = true
	}
	if !got[5555] || !got[2] {
		t.Fatalf("terminated: %v", got)
	}
	c.sync()
}

func TestUserUpdatesAndShortCodes(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	nu := c.subscribeUser(srv, 7000, "201", 0x0f, 0)
	if !nu.Voicemail || nu.Dnd || nu.Language != "eng" || nu.Featuresavailable != int32(DefaultUserFeatures) || nu.Loggedinextn != "201" {
		t.Fatalf("user: %v", nu)
	}
	user := func(u *mtcti.UpdateUser) int32 {
		return c.cmd(7000, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_User{User: u}})
	}
	if r := user(&mtcti.UpdateUser{Sac: &mtcti.UpdateUserSAC{Set: 1}}); r != 0 {
		t.Fatal(r)
	}
	if nu := c.notify(7000).GetUser(); !nu.Dnd {
		t.Fatalf("dnd: %v", nu)
	}
	r := user(&mtcti.UpdateUser{Shortcodedata: []*mtcti.ShortCodeData{{Code: 70, Val: ";3,1,2"}, {Code: 6, Val: "0123456"}, {Code: 0}, {Code: 8}}})
	if r != 0 {
		t.Fatal(r)
	}
	nu = c.notify(7000).GetUser()
	if nu.Mailbox.GetNewmessages() != 3 || nu.Mailbox.GetSavedmessages() != 2 || !nu.Fwdu || nu.Fwdunumber != "0123456" || nu.Dnd {
		t.Fatalf("short codes: %v", nu)
	}
	if r := user(&mtcti.UpdateUser{Shortcodedata: []*mtcti.ShortCodeData{{Code: 70, Val: "3,1"}}}); r != mtcti.ResultCallControlBadFormatting {
		t.Fatalf("bad 70: %d", r)
	}
	if r := user(&mtcti.UpdateUser{Fwdu: &mtcti.UpdateUserFwdU{Set: false}, App: &mtcti.UpdateUserApp{Value: "In a meeting", Makelive: true}}); r != 0 {
		t.Fatal(r)
	}
	nu = c.notify(7000).GetUser()
	if nu.Fwdu || nu.App != "In a meeting" || nu.Noapphandler {
		t.Fatalf("fwdu/app: %v", nu)
	}
	srv.SetUserFeatures("201", mtcti.UserFeatureValid)
	if nu := c.notify(7000).GetUser(); nu.Featuresavailable != 1 {
		t.Fatalf("features: %v", nu)
	}
	if r := user(&mtcti.UpdateUser{Sac: &mtcti.UpdateUserSAC{Set: 0}}); r != mtcti.ResultCallControlPermission {
		t.Fatalf("without SAC: %d", r)
	}
}

func TestQueueUpdates(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	nq := c.subscribeQueue(7500, "Sales", 3, 0)
	if nq.Extn != "600" || nq.Servicemode != mtcti.NotifyQueue_Active || len(nq.Queuemembers.GetMember()) != 3 || nq.Ringmode != 2 {
		t.Fatalf("queue: %v", nq)
	}
	q := func(u *mtcti.UpdateQueue) int32 {
		return c.cmd(7500, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_Queue{Queue: u}})
	}
	if r := q(&mtcti.UpdateQueue{Setservicemode: &mtcti.SetServiceMode{Servicemode: mtcti.SetServiceMode_NS}}); r != 0 {
		t.Fatal(r)
	}
	if nq := c.notify(7500).GetQueue(); nq.Servicemode != mtcti.NotifyQueue_NS {
		t.Fatalf("mode: %v", nq)
	}
	if r := q(&mtcti.UpdateQueue{Addmember: []*mtcti.QueueMember{{Extn: "202", Disabled: true}, {Extn: "204"}}, Deletemember: []*mtcti.QueueMember{{Extn: "203"}}}); r != 0 {
		t.Fatal(r)
	}
	m := c.notify(7500).GetQueue().Queuemembers.GetMember()
	if len(m) != 3 || m[1].Extn != "202" || !m[1].Disabled || m[2].Extn != "204" {
		t.Fatalf("members: %v", m)
	}
	if r := q(&mtcti.UpdateQueue{Addmember: []*mtcti.QueueMember{{Extn: "999"}}}); r != mtcti.ResultUserNotFound {
		t.Fatalf("unknown member: %d", r)
	}
	if _, err := srv.RingQueue("Sales", "0123"); err == nil {
		t.Fatal("night service queue took a call")
	}
}

func TestSlowAnswersComeAfterTheirEffect(t *testing.T) {
	clk := &manualClock{now: time.Unix(1700000000, 0)}
	srv, addr := testServer(t, func(o *Options) { o.Clock = clk })
	c := dialClient(t, srv, addr, mtcti.Framed)
	srv.SetSlowAnswers(5 * time.Second)
	c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribe{Subscribe: linesSub(1)}})
	c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribe{Subscribe: &mtcti.Subscribe{Requestid: 1, SubscribeId: 5555}}}) // refresh
	c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribe{Subscribe: &mtcti.Subscribe{Requestid: 2, SubscribeId: 77}}})   // unknown: 101
	n := c.take("lines notify before the answer", isNotify(5555)).GetNotify()
	c.ack(n)
	eventually(t, "all three requests handled", func() bool {
		subs := srv.Subscriptions()
		return len(subs) == 1 && subs[0].AwaitingAck == 0
	})
	if len(c.pending(func(m *mtcti.Message) bool { return m.GetResponse() != nil })) != 0 {
		t.Fatal("answer before its delay")
	}
	srv.SetSlowAnswers(0)
	clk.Advance(5 * time.Second)
	r1 := c.take("answer 1", func(m *mtcti.Message) bool { return m.GetResponse() != nil }).GetResponse()
	r2 := c.take("answer 2", func(m *mtcti.Message) bool { return m.GetResponse() != nil }).GetResponse()
	if r1.Requestid != 1 || r1.Result != 0 || r2.Requestid != 2 || r2.Result != mtcti.ResultSubscriptionInvalidID {
		t.Fatalf("answers out of order or wrong: %v %v", r1, r2)
	}
}

func TestRemoveUserEndsItsSubscriptionsAndRefreshWrapper(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 99, Payload: &mtcti.Subscribe_Refreshwrapper{Refreshwrapper: &mtcti.SubscribeRefreshWrapper{}}}); r != 0 {
		t.Fatal(r)
	}
	c.subscribeUser(srv, 1, "203", 0, 1)
	c.take("wrapper after the user subscription", isNotify(99))
	g, _ := srv.RingUser("203", "0555")
	c.calls(1)
	c.take("wrapper after the call", isNotify(99))
	if err := srv.RemoveUser("203"); err != nil {
		t.Fatal(err)
	}
	c.take("terminated", func(m *mtcti.Message) bool { return m.GetSubscribeterminated().GetSubscribeId() == 1 })
	if err := srv.RemoteHangup(g); err == nil {
		t.Fatal("the removed user's call survived")
	}
	for _, q := range srv.Queues() {
		for _, m := range q.Members {
			if m.Extension == "203" {
				t.Fatal("still a member")
			}
		}
	}
}
