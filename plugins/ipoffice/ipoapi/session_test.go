package ipoapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipoapi"
	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// Tests of a Session against a real simulated IP Office over TLS: nothing
// here is mocked below the websocket. Every wait is on a condition with a
// deadline; nothing is timed.

// wait bounds every wait; it is never a timing assertion.
const wait = 10 * time.Second

var framings = []mtcti.Framing{mtcti.Framed, mtcti.NoFraming}

// startSim serves a simulator on loopback until the test ends.
func startSim(t *testing.T, opts ipofficesim.Options) (*ipofficesim.Server, string) {
	t.Helper()
	sim := ipofficesim.New(opts)
	addr, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, addr
}

// options reaches sim at addr with its default credentials, trusting its
// certificate by pin.
func options(sim *ipofficesim.Server, addr string, f mtcti.Framing) ipoapi.Options {
	return ipoapi.Options{
		Address: addr, Username: ipofficesim.DefaultUsername, Password: ipofficesim.DefaultPassword,
		TLS: wsconn.TLSOptions{PinSHA256: sim.CertFingerprint()}, Framing: f,
	}
}

// recorder is a Handler that keeps everything it is given.
type recorder struct {
	mu         sync.Mutex
	notifies   []*mtcti.Notify
	terminated []int32
}

func (r *recorder) Notify(n *mtcti.Notify) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifies = append(r.notifies, n)
}

func (r *recorder) Terminated(id int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.terminated = append(r.terminated, id)
}

// waitNotify waits for a Notify that ok accepts and returns it.
func (r *recorder) waitNotify(t *testing.T, what string, ok func(*mtcti.Notify) bool) *mtcti.Notify {
	t.Helper()
	var found *mtcti.Notify
	waitFor(t, what, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, n := range r.notifies {
			if ok(n) {
				found = n
				return true
			}
		}
		return false
	})
	return found
}

func (r *recorder) count(ok func(*mtcti.Notify) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.notifies {
		if ok(x) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", wait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dial opens a Session that the test closes at its end.
func dial(t *testing.T, o ipoapi.Options, h ipoapi.Handler) *ipoapi.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := ipoapi.Dial(ctx, o, h)
	if err != nil {
		t.Fatalf("dial %s: %v", o.URL(), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// subscribeLines subscribes every user and queue and returns the id.
func subscribeLines(t *testing.T, s *ipoapi.Session) int32 {
	t.Helper()
	id := s.NewSubscribeID()
	err := s.Subscribe(ctxT(t), &mtcti.Subscribe{SubscribeId: id, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 0x3}}})
	if err != nil {
		t.Fatalf("subscribe lines: %v", err)
	}
	return id
}

// subscribeUser subscribes user ext with call control and returns the id.
func subscribeUser(t *testing.T, sim *ipofficesim.Server, s *ipoapi.Session, ext string) int32 {
	t.Helper()
	var guid []byte
	for _, u := range sim.Users() {
		if u.Extension == ext {
			guid = u.GUID
		}
	}
	if guid == nil {
		t.Fatalf("the simulator has no user %s", ext)
	}
	id := s.NewSubscribeID()
	err := s.Subscribe(ctxT(t), &mtcti.Subscribe{SubscribeId: id, Payload: &mtcti.Subscribe_User{User: &mtcti.SubscribeUser{Guid: guid, Flags: 0x3, Ccflags: 0x99}}})
	if err != nil {
		t.Fatalf("subscribe user %s: %v", ext, err)
	}
	return id
}

// linesAdding matches a lines Notify on sub that adds user ext.
func linesAdding(sub int32, ext string) func(*mtcti.Notify) bool {
	return func(n *mtcti.Notify) bool {
		return n.GetSubscribeId() == sub && slices.ContainsFunc(n.GetLines().GetAdduser(), func(u *mtcti.LinesUser) bool { return u.GetExtn() == ext })
	}
}

// resultCode returns the code of a *ResultError, or fails the test.
func resultCode(t *testing.T, err error) int32 {
	t.Helper()
	var re *ipoapi.ResultError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want a *ipoapi.ResultError", err, err)
	}
	return re.Code
}

var twoUsers = ipofficesim.Options{
	Users:  []ipofficesim.UserSpec{{Extension: "201", Name: "Alice"}, {Extension: "202", Name: "Bob"}},
	Queues: []ipofficesim.QueueSpec{{Name: "Sales", Number: "600", Members: []string{"201", "202"}}},
}

func TestDialBothFramings(t *testing.T) {
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			sim, addr := startSim(t, twoUsers)
			rec := &recorder{}
			s := dial(t, options(sim, addr, f), rec)
			// The simulator registers a connection just after its 101.
			waitFor(t, "the simulator to count the connection", func() bool { return sim.Connections() == 1 })
			// A request and its answer, and a Notify, cross the link in
			// this framing: a framing mismatch would decode as garbage.
			sub := subscribeLines(t, s)
			n := rec.waitNotify(t, "the lines list", linesAdding(sub, "201"))
			if users, queues := len(n.GetLines().GetAdduser()), len(n.GetLines().GetAddqueue()); users != 2 || queues != 1 {
				t.Errorf("lines list has %d users and %d queues, want 2 and 1: %v", users, queues, n)
			}
			if g := s.Garbage.Load(); g != 0 {
				t.Errorf("Garbage = %d on a clean link", g)
			}
			if err := s.Err(); err != nil {
				t.Errorf("Err() = %v on a live session", err)
			}
			select {
			case <-s.Done():
				t.Error("Done() is closed on a live session")
			default:
			}
		})
	}
}

func TestDialRefusedCredentials(t *testing.T) {
	const password = "Canary-IPO-Pass-4f19d2"
	sim, addr := startSim(t, ipofficesim.Options{Username: "svc", Password: password, Users: twoUsers.Users})
	check := func(t *testing.T, o ipoapi.Options) {
		t.Helper()
		s, err := ipoapi.Dial(ctxT(t), o, &recorder{})
		if err == nil {
			s.Close()
			t.Fatal("Dial succeeded")
		}
		if !errors.Is(err, wsconn.ErrUnauthorized) {
			t.Errorf("error = %v, want wsconn.ErrUnauthorized", err)
		}
		basic := base64.StdEncoding.EncodeToString([]byte(o.Username + ":" + o.Password))
		for _, secret := range []string{o.Password, basic} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes a secret %q: %v", secret, err)
			}
		}
	}
	t.Run("wrong password", func(t *testing.T) {
		o := options(sim, addr, mtcti.Framed)
		o.Username, o.Password = "svc", "Wrong-"+password
		check(t, o)
	})
	t.Run("login refused", func(t *testing.T) {
		o := options(sim, addr, mtcti.NoFraming)
		o.Username, o.Password = "svc", password
		// The right credentials work until IP Office refuses every login.
		s := dial(t, o, &recorder{})
		s.Close()
		sim.RefuseLogin(true)
		check(t, o)
	})
}

func TestVersion(t *testing.T) {
	const version = "IP Office 11.1.3.0 build 42"
	for _, tc := range []struct {
		name       string
		noResponse bool
	}{
		{"GeneralData only", true},
		{"RequestResponse before GeneralData", false},
	} {
		for _, f := range framings {
			t.Run(tc.name+"/"+f.String(), func(t *testing.T) {
				sim, addr := startSim(t, ipofficesim.Options{Version: version, NoGeneralCmdResponse: tc.noResponse})
				s := dial(t, options(sim, addr, f), &recorder{})
				got, err := s.Version(ctxT(t))
				if err != nil || got != version {
					t.Errorf("Version() = %q, %v; want %q", got, err, version)
				}
			})
		}
	}
}

func TestNotifiesAreAcknowledged(t *testing.T) {
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			sim, addr := startSim(t, twoUsers)
			rec := &recorder{}
			s := dial(t, options(sim, addr, f), rec)
			sub := subscribeLines(t, s)
			first := rec.waitNotify(t, "the lines list", linesAdding(sub, "201"))
			if first.GetNotifyId() == 0 {
				t.Fatalf("the lines Notify carries no notify_id, so it proves nothing about acks: %v", first)
			}
			// IP Office holds every later Notify of the subscription until
			// the ack: the adduser arrives only if the Session acked.
			if err := sim.AddUser(ipofficesim.UserSpec{Extension: "203", Name: "Carol"}); err != nil {
				t.Fatal(err)
			}
			second := rec.waitNotify(t, "the adduser after the first Notify", linesAdding(sub, "203"))
			if second.GetNotifyId() == 0 || second.GetNotifyId() == first.GetNotifyId() {
				t.Errorf("second notify_id = %d, first %d", second.GetNotifyId(), first.GetNotifyId())
			}
			waitFor(t, "the second ack", func() bool { return sim.PendingNotifies() == 0 && awaiting(sim) == 0 })

			// A user subscription's Notifies are gated the same way.
			usub := subscribeUser(t, sim, s, "201")
			rec.waitNotify(t, "user 201", func(n *mtcti.Notify) bool { return n.GetSubscribeId() == usub && n.GetUser() != nil })
			if err := sim.SetDND("201", true); err != nil {
				t.Fatal(err)
			}
			rec.waitNotify(t, "user 201 in DND", func(n *mtcti.Notify) bool { return n.GetSubscribeId() == usub && n.GetUser().GetDnd() })
			if err := sim.SetDND("201", false); err != nil {
				t.Fatal(err)
			}
			rec.waitNotify(t, "user 201 out of DND", func(n *mtcti.Notify) bool {
				return n.GetSubscribeId() == usub && n.GetUser() != nil && !n.GetUser().GetDnd() && n.GetNotifyId() > 2
			})
			waitFor(t, "every ack", func() bool { return sim.PendingNotifies() == 0 && awaiting(sim) == 0 })
		})
	}
}

// awaiting counts the simulator's subscriptions waiting for an ack.
func awaiting(sim *ipofficesim.Server) int {
	n := 0
	for _, si := range sim.Subscriptions() {
		if si.AwaitingAck != 0 {
			n++
		}
	}
	return n
}

func TestResultErrors(t *testing.T) {
	sim, addr := startSim(t, twoUsers)
	rec := &recorder{}
	s := dial(t, options(sim, addr, mtcti.Framed), rec)

	t.Run("command on an unknown subscription", func(t *testing.T) {
		err := s.Command(ctxT(t), &mtcti.SubscribeCmd{SubscribeId: 9999, Payload: &mtcti.SubscribeCmd_Timeout{Timeout: 600}})
		if code := resultCode(t, err); code != mtcti.ResultSubscriptionInvalidID {
			t.Errorf("code = %d, want %d", code, mtcti.ResultSubscriptionInvalidID)
		}
		if !strings.Contains(err.Error(), "MTCTISESS_SUBSCRIPTION_INVALID_ID") {
			t.Errorf("error text %q does not name the code", err)
		}
	})
	t.Run("refresh of an unknown subscription", func(t *testing.T) {
		err := s.Subscribe(ctxT(t), &mtcti.Subscribe{SubscribeId: 9998, Timeout: 600})
		if code := resultCode(t, err); code != mtcti.ResultSubscriptionInvalidID {
			t.Errorf("code = %d, want %d", code, mtcti.ResultSubscriptionInvalidID)
		}
	})
	t.Run("subscribing an unknown user", func(t *testing.T) {
		err := s.Subscribe(ctxT(t), &mtcti.Subscribe{SubscribeId: s.NewSubscribeID(), Payload: &mtcti.Subscribe_User{User: &mtcti.SubscribeUser{Guid: []byte("no such user....")}}})
		if code := resultCode(t, err); code != mtcti.ResultUserNotFound {
			t.Errorf("code = %d, want %d", code, mtcti.ResultUserNotFound)
		}
	})
	t.Run("hold twice", func(t *testing.T) {
		sub := subscribeUser(t, sim, s, "201")
		g, err := sim.RingUser("201", "01707123456")
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.AnswerAs("201", g); err != nil {
			t.Fatal(err)
		}
		callIn := func(state mtcti.CallInfo_State) func(*mtcti.Notify) bool {
			return func(n *mtcti.Notify) bool {
				if n.GetSubscribeId() != sub {
					return false
				}
				return slices.ContainsFunc(n.GetCallcontrol().GetCallinfo(), func(ci *mtcti.CallInfo) bool { return g.Equal(ci.GetGcid()) && ci.GetState() == state })
			}
		}
		n := rec.waitNotify(t, "the connected call", callIn(mtcti.CallInfo_CONNECTED))
		var callid int32
		for _, ci := range n.GetCallcontrol().GetCallinfo() {
			if g.Equal(ci.GetGcid()) {
				callid = ci.GetCallid()
			}
		}
		hold := func() error {
			return s.Command(ctxT(t), &mtcti.SubscribeCmd{SubscribeId: sub, Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{
				Callid: callid, Callfunction: &mtcti.CallFunction{Action: mtcti.CallFunction_HoldCall},
			}}})
		}
		if err := hold(); err != nil {
			t.Fatalf("first hold: %v", err)
		}
		rec.waitNotify(t, "the held call", callIn(mtcti.CallInfo_ONHOLD))
		err = hold()
		if code := resultCode(t, err); code != mtcti.ResultCallControlAlreadyDone {
			t.Errorf("second hold: code = %d, want %d", code, mtcti.ResultCallControlAlreadyDone)
		}
		if !strings.Contains(err.Error(), "MTCTISESS_CALLCONTROL_ALREADYDONE") {
			t.Errorf("error text %q does not name the code", err)
		}
	})
	if err := s.Err(); err != nil {
		t.Errorf("refused commands broke the link: %v", err)
	}
}

func TestGarbageIsCountedAndSkipped(t *testing.T) {
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			sim, addr := startSim(t, twoUsers)
			rec := &recorder{}
			s := dial(t, options(sim, addr, f), rec)
			waitFor(t, "the simulator to register the connection", func() bool { return sim.Connections() == 1 })
			sim.SendGarbage()
			waitFor(t, "the garbage to be counted", func() bool { return s.Garbage.Load() == 1 })
			sim.SendRaw([]byte{0xff, 0xff, 0xff, 0xff, 0xff}) // bad header framed, a bad tag unframed
			waitFor(t, "the second garbage to be counted", func() bool { return s.Garbage.Load() == 2 })
			// The link still works: a request, a Notify and its ack.
			if err := s.Err(); err != nil {
				t.Fatalf("garbage ended the session: %v", err)
			}
			sub := subscribeLines(t, s)
			rec.waitNotify(t, "the lines list after garbage", linesAdding(sub, "202"))
			if err := sim.AddUser(ipofficesim.UserSpec{Extension: "204"}); err != nil {
				t.Fatal(err)
			}
			rec.waitNotify(t, "an adduser after garbage", linesAdding(sub, "204"))
			if g := s.Garbage.Load(); g != 2 {
				t.Errorf("Garbage = %d, want 2", g)
			}
		})
	}
}

// neverClock is a simulator clock whose timers never fire, so that an
// answer SetSlowAnswers delays stays unanswered without a real timer.
type neverClock struct{}

func (neverClock) Now() time.Time { return time.Now() }
func (neverClock) AfterFunc(time.Duration, func()) ipofficesim.Timer {
	return stopped{}
}

type stopped struct{}

func (stopped) Stop() bool { return true }

func TestDropConnectionsEndsTheSession(t *testing.T) {
	opts := twoUsers
	opts.Clock = neverClock{}
	sim, addr := startSim(t, opts)
	rec := &recorder{}
	s := dial(t, options(sim, addr, mtcti.Framed), rec)

	// A request IP Office has received but not yet answered.
	sim.SetSlowAnswers(time.Hour)
	id := s.NewSubscribeID()
	result := make(chan error, 1)
	go func() {
		result <- s.Subscribe(context.Background(), &mtcti.Subscribe{SubscribeId: id, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 3}}})
	}()
	waitFor(t, "the subscription to reach the simulator", func() bool {
		return slices.ContainsFunc(sim.Subscriptions(), func(si ipofficesim.SubscriptionInfo) bool { return si.SubscribeID == id })
	})
	select {
	case err := <-result:
		t.Fatalf("the delayed request answered: %v", err)
	default:
	}

	sim.DropConnections()
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("Done() not closed after the connection dropped")
	}
	if s.Err() == nil {
		t.Error("Err() = nil after the connection dropped")
	}
	select {
	case err := <-result:
		if !errors.Is(err, ipoapi.ErrLinkDown) {
			t.Errorf("the request in flight failed with %v, want ErrLinkDown", err)
		}
	case <-time.After(wait):
		t.Fatal("the request in flight never returned")
	}
	// A Session that is done stays done: later requests fail at once.
	if _, err := s.Version(ctxT(t)); !errors.Is(err, ipoapi.ErrLinkDown) {
		t.Errorf("Version after the drop = %v, want ErrLinkDown", err)
	}
	if err := s.Command(ctxT(t), &mtcti.SubscribeCmd{SubscribeId: id, Payload: &mtcti.SubscribeCmd_Timeout{Timeout: 60}}); !errors.Is(err, ipoapi.ErrLinkDown) {
		t.Errorf("Command after the drop = %v, want ErrLinkDown", err)
	}
}

func TestCloseFailsRequests(t *testing.T) {
	sim, addr := startSim(t, twoUsers)
	s := dial(t, options(sim, addr, mtcti.NoFraming), &recorder{})
	if err := s.Close(); err != nil {
		t.Logf("close: %v", err) // the close handshake's outcome is not the point
	}
	<-s.Done()
	if s.Err() == nil {
		t.Error("Err() = nil after Close")
	}
	if err := s.Subscribe(ctxT(t), &mtcti.Subscribe{SubscribeId: s.NewSubscribeID(), Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 3}}}); !errors.Is(err, ipoapi.ErrLinkDown) {
		t.Errorf("Subscribe after Close = %v, want ErrLinkDown", err)
	}
}

func TestSubscribeTerminated(t *testing.T) {
	sim, addr := startSim(t, twoUsers)
	rec := &recorder{}
	s := dial(t, options(sim, addr, mtcti.Framed), rec)
	lines := subscribeLines(t, s)
	rec.waitNotify(t, "the lines list", linesAdding(lines, "201"))
	user := subscribeUser(t, sim, s, "202")
	rec.waitNotify(t, "user 202", func(n *mtcti.Notify) bool { return n.GetSubscribeId() == user && n.GetUser() != nil })

	// A user removed: IP Office ends its subscription.
	if err := sim.RemoveUser("202"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Terminated(user)", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Equal(rec.terminated, []int32{user})
	})
	// Every subscription ended at once.
	sim.TerminateSubscriptions()
	waitFor(t, "Terminated(lines)", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Equal(rec.terminated, []int32{user, lines})
	})
	if err := s.Err(); err != nil {
		t.Errorf("a terminated subscription ended the session: %v", err)
	}
	// The link is still good: the lines subscription can be made again.
	again := subscribeLines(t, s)
	rec.waitNotify(t, "the lines list again", linesAdding(again, "201"))
	if n := rec.count(func(n *mtcti.Notify) bool { return n.GetSubscribeId() == user && n.GetUser() != nil }); n != 1 {
		t.Errorf("%d user Notifies on the removed user's subscription, want 1", n)
	}
}

// ExampleSession is the shape of a driver's use, kept compiling here.
func ExampleSession() {
	sim := ipofficesim.New(ipofficesim.Options{Users: []ipofficesim.UserSpec{{Extension: "201"}}})
	addr, err := sim.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	ctx := context.Background()
	s, err := ipoapi.Dial(ctx, options(sim, addr, mtcti.Framed), &recorder{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	v, err := s.Version(ctx)
	fmt.Println(v, err)
	// Output: IP Office 12.1.0.0 build 191 <nil>
}
