package ipofficesim

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// loadScript plays the same calls through the far-end controls (load nil)
// or through a Load: two calls to 201 (the second answered while the first
// talks, which holds it), one to 202, every caller hanging up.
func loadScript(t *testing.T, srv *Server, ld *Load) {
	t.Helper()
	ring := func(ext, from string) GCID {
		var g GCID
		var err error
		if ld == nil {
			g, err = srv.RingUser(ext, from)
		} else {
			g, _, err = ld.Ring(ext, from)
		}
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	answer := func(ext string, g GCID) {
		var err error
		if ld == nil {
			err = srv.AnswerAs(ext, g)
		} else {
			_, err = ld.Answer(ext, g)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	hangup := func(g GCID) {
		var err error
		if ld == nil {
			err = srv.RemoteHangup(g)
		} else {
			_, err = ld.RemoteHangup(g)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a := ring("201", "01632000001")
	answer("201", a)
	b := ring("201", "01632000002")
	c := ring("202", "01632000003")
	answer("201", b)
	answer("202", c)
	hangup(a)
	hangup(b)
	hangup(c)
}

// loadClient subscribes to the user and call-control notifies of 201, 202
// and 203 and to the refresh wrapper, and consumes the first notifies.
func loadClient(t *testing.T, srv *Server, addr string) *client {
	c := dialClient(t, srv, addr, mtcti.Framed)
	for i, ext := range []string{"201", "202", "203"} {
		c.subscribeUser(srv, int32(10+i), ext, 0x3, 0x99|0x20|0x40)
	}
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 20, Payload: &mtcti.Subscribe_Refreshwrapper{Refreshwrapper: &mtcti.SubscribeRefreshWrapper{}}}); r != 0 {
		t.Fatalf("subscribe refresh wrapper: %s", mtcti.ResultName(r))
	}
	c.sync()
	c.mu.Lock()
	c.backlog = nil
	c.mu.Unlock()
	return c
}

// drained returns every Notify the client received since the last call.
func (c *client) drained() []*mtcti.Notify {
	c.sync()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*mtcti.Notify
	for _, m := range c.backlog {
		if n := m.GetNotify(); n != nil {
			out = append(out, n)
		}
	}
	c.backlog = nil
	return out
}

func sameNotifies(t *testing.T, what string, got, want []*mtcti.Notify) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d notifies, want %d:\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s: notify %d is\n%v\nwant\n%v", what, i, got[i], want[i])
		}
	}
}

func TestLoadSendsWhatTheFarEndControlsSend(t *testing.T) {
	ref, refAddr := testServer(t, nil)
	refClient := loadClient(t, ref, refAddr)
	loadScript(t, ref, nil)
	want := refClient.drained()
	if len(want) < 9 {
		t.Fatalf("the far-end controls sent %d notifies: %v", len(want), want)
	}

	srv, addr := testServer(t, nil)
	c := loadClient(t, srv, addr)
	loadScript(t, srv, srv.Load())
	sameNotifies(t, "Load", c.drained(), want)
}

func TestLoadHoldsUntilReleaseThenSendsTheSameFrames(t *testing.T) {
	ref, refAddr := testServer(t, nil)
	refClient := loadClient(t, ref, refAddr)
	loadScript(t, ref, nil)
	want := refClient.drained()

	srv, addr := testServer(t, nil)
	c := loadClient(t, srv, addr)
	bare := dialClient(t, srv, addr, mtcti.Framed)
	bare.sync()
	ld := srv.Load()
	ld.Hold()
	loadScript(t, srv, ld)
	if got := c.drained(); len(got) != 0 {
		t.Fatalf("%d notifies sent while holding: %v", len(got), got)
	}
	frames := ld.Release()
	sameNotifies(t, "released", c.drained(), want)
	if len(frames) != len(want) {
		t.Fatalf("Release returned %d frames, want %d", len(frames), len(want))
	}

	ids := srv.ConnIDs()
	if len(ids) != 2 {
		t.Fatalf("ConnIDs = %v, want two connections", ids)
	}
	if err := srv.SendRawTo(ids[1], frames); err != nil {
		t.Fatal(err)
	}
	sameNotifies(t, "replayed to the second connection", bare.drained(), want)
	if err := srv.SendRawTo(99, frames); err == nil {
		t.Error("SendRawTo an unknown connection: no error")
	}
}

func TestLoadSettlesEverythingWhileAQueueCallIsLive(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeQueue(30, "Sales", 0, 0x40039|0x40)
	c.subscribeUser(srv, 31, "204", 0, 0x99)
	q, err := srv.RingQueue("Sales", "01632000009")
	if err != nil {
		t.Fatal(err)
	}
	c.calls(30)
	ld := srv.Load()
	g, _, err := ld.Ring("204", "01632000010")
	if err != nil {
		t.Fatal(err)
	}
	c.calls(31)
	// The caller hangs up on 204: nothing changes for the queue call, but
	// the queue's subscription is still compared (and sends nothing).
	if _, err := ld.RemoteHangup(g); err != nil {
		t.Fatal(err)
	}
	c.calls(31)
	if _, err := ld.RemoteHangup(q); err != nil {
		t.Fatal(err)
	}
	if lost := c.calls(30).GetCalllost(); len(lost) != 1 {
		t.Fatalf("queue call's end: %v", lost)
	}
}
