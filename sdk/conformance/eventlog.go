package conformance

import (
	"context"
	"sync"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// eventLog collects the one WatchEvents stream of a run, per device, so that
// scenarios can wait for events and the events check can read them all.
// Safe for concurrent use.
type eventLog struct {
	mu       sync.Mutex
	byDevice map[string][]*ctiv1.Event
	changed  chan struct{} // closed and replaced whenever something is added
	ended    bool
	err      error // why the stream ended
}

func newEventLog() *eventLog {
	return &eventLog{byDevice: map[string][]*ctiv1.Event{}, changed: make(chan struct{})}
}

func (l *eventLog) add(ev *ctiv1.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byDevice[ev.GetDevice()] = append(l.byDevice[ev.GetDevice()], ev)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *eventLog) end(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended, l.err = true, err
	close(l.changed)
	l.changed = make(chan struct{})
}

// len is the number of events of device so far: a position to wait from.
func (l *eventLog) len(device string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byDevice[device])
}

// events returns a copy of device's events from position from on.
func (l *eventLog) events(device string, from int) []*ctiv1.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.byDevice[device]
	if from > len(evs) {
		from = len(evs)
	}
	return append([]*ctiv1.Event(nil), evs[from:]...)
}

// streamEnd reports whether the stream ended, and why.
func (l *eventLog) streamEnd() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ended, l.err
}

// verdict is what a wait's match function says of one event.
type verdict int

const (
	skip  verdict = iota // not the event waited for; keep waiting
	found                // the event waited for
	abort                // an event that makes the wait pointless
)

// wait returns the first event of device at or after position from that
// match finds (or aborts on), waiting until ctx ends.
func (l *eventLog) wait(ctx context.Context, device string, from int, match func(*ctiv1.Event) verdict) (*ctiv1.Event, verdict, error) {
	for {
		l.mu.Lock()
		evs, changed, ended, streamErr := l.byDevice[device], l.changed, l.ended, l.err
		l.mu.Unlock()
		for ; from < len(evs); from++ {
			if v := match(evs[from]); v != skip {
				return evs[from], v, nil
			}
		}
		if ended {
			return nil, skip, errStreamEnded{streamErr}
		}
		select {
		case <-ctx.Done():
			return nil, skip, ctx.Err()
		case <-changed:
		}
	}
}

type errStreamEnded struct{ err error }

func (e errStreamEnded) Error() string { return "the WatchEvents stream ended: " + errString(e.err) }

func errString(err error) string {
	if err == nil {
		return "without error"
	}
	return err.Error()
}
