package sdk

import (
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// watcherBuffer is how many events a WatchEvents stream may lag behind
// before it is cut off.
const watcherBuffer = 4096

// Broadcaster fans a driver's events out to every open WatchEvents stream.
// Publish never blocks: a stream that falls watcherBuffer events behind is
// ended with RESOURCE_EXHAUSTED (the host reconnects and resynchronises)
// rather than slowing the driver. The zero value is ready; safe for
// concurrent use.
type Broadcaster struct {
	mu       sync.Mutex
	watchers map[*watcher]struct{}
}

type watcher struct {
	events chan *ctiv1.Event
	lagged chan struct{}
}

// Publish sends ev to every stream. Events published by one goroutine reach
// every stream in the order published.
func (b *Broadcaster) Publish(ev *ctiv1.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for w := range b.watchers {
		select {
		case w.events <- ev:
		default:
			close(w.lagged)
			delete(b.watchers, w)
		}
	}
}

// Watchers returns the number of open streams.
func (b *Broadcaster) Watchers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.watchers)
}

// Watch serves one WatchEvents stream: it sends initial (the driver's
// current calls and device states, so the watcher starts from a full
// picture), then every published event, until the stream ends.
func (b *Broadcaster) Watch(stream grpc.ServerStreamingServer[ctiv1.Event], initial func() []*ctiv1.Event) error {
	w := &watcher{events: make(chan *ctiv1.Event, watcherBuffer), lagged: make(chan struct{})}
	b.mu.Lock()
	if b.watchers == nil {
		b.watchers = map[*watcher]struct{}{}
	}
	b.watchers[w] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.watchers, w)
		b.mu.Unlock()
	}()
	if initial != nil {
		for _, ev := range initial() {
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
	ctx := stream.Context()
	for {
		// A stream that was cut off stops at once rather than first
		// draining a backlog its reader could not keep up with.
		select {
		case <-w.lagged:
			return status.Error(codes.ResourceExhausted, "event stream fell too far behind; reopen it to resynchronise")
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-w.events:
			if err := stream.Send(ev); err != nil {
				return err
			}
		case <-w.lagged:
			return status.Error(codes.ResourceExhausted, "event stream fell too far behind; reopen it to resynchronise")
		}
	}
}
