package sdk

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// fakeStream is a WatchEvents server stream whose Send is a function.
type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	send func(*ctiv1.Event) error
}

func (s *fakeStream) Send(ev *ctiv1.Event) error { return s.send(ev) }
func (s *fakeStream) Context() context.Context   { return s.ctx }

// collector is a stream that keeps what it is sent.
type collector struct {
	mu     sync.Mutex
	events []*ctiv1.Event
}

func (c *collector) send(ev *ctiv1.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	return nil
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

func (c *collector) snapshot() []*ctiv1.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*ctiv1.Event(nil), c.events...)
}

// watch runs b.Watch on a new stream and returns its result channel.
func watch(ctx context.Context, b *Broadcaster, send func(*ctiv1.Event) error, initial func() []*ctiv1.Event) <-chan error {
	done := make(chan error, 1)
	go func() { done <- b.Watch(&fakeStream{ctx: ctx, send: send}, initial) }()
	return done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func ev(device string, seq uint64) *ctiv1.Event { return &ctiv1.Event{Device: device, Sequence: seq} }

func TestBroadcasterKeepsEachPublishersOrder(t *testing.T) {
	var b Broadcaster
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got collector
	done := watch(ctx, &b, got.send, nil)
	waitFor(t, "the watcher", func() bool { return b.Watchers() == 1 })

	const publishers, each = 4, 500
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				b.Publish(ev(fmt.Sprint("dev-", p), uint64(i)))
			}
		})
	}
	wg.Wait()
	waitFor(t, "every event", func() bool { return got.len() == publishers*each })
	next := map[string]uint64{}
	for _, e := range got.snapshot() {
		if e.GetSequence() != next[e.GetDevice()] {
			t.Fatalf("%s: got event %d, want %d", e.GetDevice(), e.GetSequence(), next[e.GetDevice()])
		}
		next[e.GetDevice()]++
	}
	cancel()
	if err := <-done; status.Code(err) != codes.Canceled && err != context.Canceled {
		t.Errorf("Watch returned %v after cancel", err)
	}
	waitFor(t, "the watcher to leave", func() bool { return b.Watchers() == 0 })
}

func TestBroadcasterSendsInitialEventsFirst(t *testing.T) {
	var b Broadcaster
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got collector
	release := make(chan struct{})
	initial := func() []*ctiv1.Event {
		<-release // published events queue up meanwhile
		return []*ctiv1.Event{ev("init", 0), ev("init", 1)}
	}
	watch(ctx, &b, got.send, initial)
	waitFor(t, "the watcher", func() bool { return b.Watchers() == 1 })
	b.Publish(ev("live", 0))
	close(release)
	waitFor(t, "three events", func() bool { return got.len() == 3 })
	evs := got.snapshot()
	if evs[0].GetDevice() != "init" || evs[1].GetDevice() != "init" || evs[2].GetDevice() != "live" {
		t.Fatalf("order %v", evs)
	}
}

func TestBroadcasterCutsOffAStalledWatcher(t *testing.T) {
	var b Broadcaster
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	unstall := make(chan struct{})
	stalled := watch(ctx, &b, func(*ctiv1.Event) error {
		<-unstall // a reader that stopped reading
		return nil
	}, nil)
	var healthy collector
	healthyDone := watch(ctx, &b, healthy.send, nil)
	waitFor(t, "both watchers", func() bool { return b.Watchers() == 2 })

	publish := func(from, n int) {
		t.Helper()
		finished := make(chan struct{})
		go func() {
			for i := range n {
				b.Publish(ev("d", uint64(from+i)))
			}
			close(finished)
		}()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Fatal("Publish blocked on a stalled watcher")
		}
	}
	// The stalled watcher holds one event in Send and watcherBuffer in its
	// queue; the next event cuts it off.
	publish(0, watcherBuffer)
	waitFor(t, "the healthy watcher to catch up", func() bool { return healthy.len() == watcherBuffer })
	publish(watcherBuffer, 10)
	waitFor(t, "the cut-off", func() bool { return b.Watchers() == 1 })
	waitFor(t, "the healthy watcher", func() bool { return healthy.len() == watcherBuffer+10 })

	close(unstall)
	select {
	case err := <-stalled:
		if status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("stalled watcher ended with %v, want ResourceExhausted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled watcher's Watch did not return")
	}
	select {
	case err := <-healthyDone:
		t.Fatalf("the healthy watcher ended: %v", err)
	default:
	}
}
