package eventlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/eventlog"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func event(i int) *ctiv1.Event {
	return &ctiv1.Event{Site: "hq", Device: "hq/a.b", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
		Call: &ctiv1.Call{CallId: fmt.Sprint(i), State: ctiv1.CallState_CALL_STATE_RINGING}}}}
}

// collect subscribes from sequence from and returns the first n events
// (Gaps included).
func collect(t *testing.T, b *bus.Bus, from uint64, n int) []*ctiv1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []*ctiv1.Event
	err := b.Subscribe(ctx, from, nil, func(e *bus.Encoded) error {
		got = append(got, e.Event)
		if len(got) == n {
			cancel()
		}
		return nil
	})
	if len(got) < n {
		t.Fatalf("got %d of %d events: %v", len(got), n, err)
	}
	return got
}

// A durable bus continues its sequence after a restart, and a subscriber
// resumes from before the restart: the old events come from the log, in
// order, then the new ones.
func TestTheSequenceAndTheEventsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*eventlog.Log, *bus.Bus) {
		t.Helper()
		l, err := eventlog.Open(eventlog.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		b, err := bus.NewDurable(ctx, 4, l, func(err error) { t.Errorf("store failed: %v", err) })
		if err != nil {
			t.Fatal(err)
		}
		return l, b
	}
	l, b := open()
	for i := 1; i <= 10; i++ {
		if seq := b.Publish(event(i)); seq != uint64(i) {
			t.Fatalf("event %d got sequence %d", i, seq)
		}
	}
	l.Close()

	l, b = open()
	defer l.Close()
	if seq := b.Publish(event(11)); seq != 11 {
		t.Fatalf("after the restart the next event got sequence %d, want 11", seq)
	}
	got := collect(t, b, 3, 9)
	for i, ev := range got {
		if want := uint64(3 + i); ev.GetSequence() != want || ev.GetGap() != nil {
			t.Fatalf("event %d: sequence %d (gap %v), want %d", i, ev.GetSequence(), ev.GetGap(), want)
		}
	}
	if got[0].GetCallChanged().GetCall().GetCallId() != "3" {
		t.Errorf("the replayed event is not the stored one: %v", got[0])
	}
}

// Events the log's limits removed come as a Gap, then the kept ones.
func TestEventsBeyondTheLimitsAreAGap(t *testing.T) {
	l, err := eventlog.Open(eventlog.Options{Dir: t.TempDir(), MaxAge: time.Second, Sync: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, err := bus.NewDurable(context.Background(), 2, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		b.Publish(event(i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		first, _, _ := l.Bounds(context.Background())
		if first > 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("events older than max_age were kept")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Publish(event(6))
	b.Publish(event(7))
	got := collect(t, b, 1, 3)
	if g := got[0].GetGap(); g == nil || g.GetFromSequence() != 1 || g.GetToSequence() != 5 {
		t.Fatalf("first event %v, want a gap of 1-5", got[0])
	}
	if got[1].GetSequence() != 6 || got[2].GetSequence() != 7 {
		t.Errorf("after the gap: %d, %d", got[1].GetSequence(), got[2].GetSequence())
	}
}

func TestSubjectsAreSafeTokens(t *testing.T) {
	ev := &ctiv1.Event{Site: "hq", Device: "hq/10.0.0.1 *>", Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{}}}
	if got, want := eventlog.Subject(ev), "cti.v1.events.hq.hq/10_0_0_1___.device_changed"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if got := eventlog.Subject(&ctiv1.Event{}); got != "cti.v1.events._._.event" {
		t.Errorf("empty: %q", got)
	}
}
