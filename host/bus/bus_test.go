package bus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func callEvent(site, device string) *ctiv1.Event {
	return &ctiv1.Event{Site: site, Device: device, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{}}}
}

var errStop = errors.New("stop")

// collect subscribes from `from` and returns the first n events received.
// Subscribers send the wire form: it must be the event itself, sequence
// number included.
func collect(t *testing.T, b *Bus, from uint64, f *Filter, n int) []*ctiv1.Event {
	t.Helper()
	var got []*ctiv1.Event
	for _, e := range subscribeEncoded(t, b, from, f, n, nil) {
		ev := &ctiv1.Event{}
		if err := proto.Unmarshal(e.Wire, ev); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(ev, e.Event) {
			t.Fatalf("wire form %v differs from the event %v", ev, e.Event)
		}
		got = append(got, ev)
	}
	return got
}

func TestReplayFromSequenceDeliversInOrder(t *testing.T) {
	b := New(100)
	for i := 0; i < 10; i++ {
		b.Publish(callEvent("hq", "hq/a"))
	}
	got := collect(t, b, 4, nil, 7)
	for i, ev := range got {
		if want := uint64(4 + i); ev.GetSequence() != want {
			t.Fatalf("event %d has sequence %d, want %d", i, ev.GetSequence(), want)
		}
	}
}

func TestResumeOlderThanBufferStartsWithGap(t *testing.T) {
	b := New(5)
	for i := 0; i < 12; i++ {
		b.Publish(callEvent("hq", "hq/a"))
	}
	got := collect(t, b, 2, nil, 6)
	gap := got[0].GetGap()
	if gap == nil || gap.GetFromSequence() != 2 || gap.GetToSequence() != 7 {
		t.Fatalf("first event = %v, want gap 2..7", got[0])
	}
	if got[1].GetSequence() != 8 || got[5].GetSequence() != 12 {
		t.Fatalf("after the gap got sequences %d..%d, want 8..12", got[1].GetSequence(), got[5].GetSequence())
	}
}

func TestResumeFromFutureSequenceAnnouncesRestart(t *testing.T) {
	b := New(5)
	b.Publish(callEvent("hq", "hq/a"))
	done := make(chan []*ctiv1.Event)
	go func() { done <- collect(t, b, 500, nil, 2) }()
	time.Sleep(20 * time.Millisecond)
	b.Publish(callEvent("hq", "hq/a"))
	got := <-done
	if got[0].GetGap() == nil || got[1].GetSequence() != 2 {
		t.Fatalf("got %v, want a gap then sequence 2", got)
	}
}

func TestSlowSubscriberNeverBlocksPublisherOrOthers(t *testing.T) {
	b := New(16)
	stuck := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Subscribe(ctx, 0, nil, func(*Encoded) error { <-stuck; return nil })
	for b.Subscribers() == 0 {
		time.Sleep(time.Millisecond)
	}
	fast := make(chan []*ctiv1.Event)
	go func() {
		var got []*ctiv1.Event
		b.Subscribe(ctx, 1, nil, func(e *Encoded) error {
			ev := e.Event
			got = append(got, ev)
			if ev.GetSequence() == 1000 {
				return errStop
			}
			return nil
		})
		fast <- got
	}()
	published := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			b.Publish(callEvent("hq", "hq/a"))
		}
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("publisher blocked behind a stuck subscriber")
	}
	got := <-fast
	var last uint64
	for _, ev := range got {
		if ev.GetGap() == nil {
			if ev.GetSequence() <= last {
				t.Fatalf("sequence went from %d to %d", last, ev.GetSequence())
			}
			last = ev.GetSequence()
		}
	}
	close(stuck)
}

func TestFilter(t *testing.T) {
	f := NewFilter(&ctiv1.WatchEventsRequest{Devices: []string{"hq/a"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL, ctiv1.EventKind_EVENT_KIND_DRIVER}})
	driverDown := &ctiv1.Event{Site: "hq", Payload: &ctiv1.Event_DriverChanged{DriverChanged: &ctiv1.DriverChanged{}}}
	otherSite := &ctiv1.Event{Site: "branch", Payload: &ctiv1.Event_DriverChanged{DriverChanged: &ctiv1.DriverChanged{}}}
	device := &ctiv1.Event{Site: "hq", Device: "hq/a", Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{}}}
	cases := []struct {
		name string
		ev   *ctiv1.Event
		want bool
	}{
		{"call of the device", callEvent("hq", "hq/a"), true},
		{"call of another device", callEvent("hq", "hq/b"), false},
		{"driver event of the device's site", driverDown, true},
		{"driver event of another site", otherSite, false},
		{"kind not asked for", device, false},
		{"gap always", gapEvent(1, 2, "x").Event, true},
	}
	for _, c := range cases {
		if got := f.Match(c.ev); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

// subscribeEncoded subscribes from `from` through f and returns the first
// n encoded events received, Gap events included; onSend, if set, sees each.
func subscribeEncoded(t *testing.T, b *Bus, from uint64, f *Filter, n int, onSend func(*Encoded)) []*Encoded {
	t.Helper()
	var got []*Encoded
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.Subscribe(ctx, from, f, func(e *Encoded) error {
		got = append(got, e)
		if onSend != nil {
			onSend(e)
		}
		if len(got) == n {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("subscribe ended with %v after %d of %d events", err, len(got), n)
	}
	return got
}

// A Gap of events the buffer overwrote counts them as lost: what the
// host's ctihost_events_dropped_total{reason="gap"} adds.
func TestGapOfOverwrittenEventsCountsThemLost(t *testing.T) {
	b := New(5)
	for i := 0; i < 12; i++ {
		b.Publish(callEvent("hq", "hq/a"))
	}
	got := subscribeEncoded(t, b, 2, nil, 6, nil)
	gap := got[0].Event.GetGap()
	if gap == nil || gap.GetFromSequence() != 2 || gap.GetToSequence() != 7 {
		t.Fatalf("first event = %v, want gap 2..7", got[0].Event)
	}
	if got[0].Lost != 6 {
		t.Fatalf("gap 2..7 has Lost %d, want 6", got[0].Lost)
	}
	for _, e := range got[1:] {
		if e.Lost != 0 {
			t.Fatalf("event %d has Lost %d, want 0", e.Event.GetSequence(), e.Lost)
		}
	}
}

// A subscriber that falls behind while it reads: every published event is
// either delivered or counted in a Gap's Lost, exactly once.
func TestSlowSubscriberGapAccountsForEveryEvent(t *testing.T) {
	const capacity, published = 4, 21
	b := New(capacity)
	b.Publish(callEvent("hq", "hq/a"))
	first := make(chan struct{})
	resume := make(chan struct{})
	done := make(chan []*Encoded)
	go func() {
		done <- subscribeEncoded(t, b, 1, nil, 1+1+capacity, func(e *Encoded) {
			if e.Event.GetSequence() == 1 {
				close(first)
				<-resume // the buffer is overwritten meanwhile
			}
		})
	}()
	<-first
	for i := 1; i < published; i++ {
		b.Publish(callEvent("hq", "hq/a"))
	}
	close(resume)
	got := <-done
	var delivered, lost uint64
	for _, e := range got {
		if gap := e.Event.GetGap(); gap != nil {
			if want := gap.GetToSequence() - gap.GetFromSequence() + 1; e.Lost != want {
				t.Fatalf("gap %d..%d has Lost %d, want %d", gap.GetFromSequence(), gap.GetToSequence(), e.Lost, want)
			}
			lost += e.Lost
			continue
		}
		delivered++
	}
	if delivered+lost != published || lost != published-1-capacity {
		t.Fatalf("delivered %d and lost %d of %d published events (buffer %d)", delivered, lost, published, capacity)
	}
}

// A subscriber resuming with sequence numbers of an earlier host run gets a
// Gap, but no event of this run was lost: up to from_sequence = 2^64-1,
// which once made the gap metric count ~1.8e19 dropped events.
func TestRestartGapLosesNothing(t *testing.T) {
	for _, from := range []uint64{500, math.MaxUint64} {
		t.Run(fmt.Sprint(from), func(t *testing.T) {
			b := New(5)
			b.Publish(callEvent("hq", "hq/a"))
			got := subscribeEncoded(t, b, from, nil, 1, nil)
			gap := got[0].Event.GetGap()
			if gap == nil || gap.GetFromSequence() != 2 || gap.GetToSequence() != from-1 {
				t.Fatalf("first event = %v, want gap 2..%d", got[0].Event, from-1)
			}
			if got[0].Lost != 0 {
				t.Fatalf("restart gap has Lost %d, want 0", got[0].Lost)
			}
		})
	}
}
