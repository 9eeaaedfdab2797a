package sdk

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Clock whose timers fire only in Advance, on the caller's
// goroutine. scheduled receives the delay of every timer started.
type fakeClock struct {
	mu        sync.Mutex
	now       time.Time
	timers    []*fakeTimer
	scheduled chan time.Duration
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
	fired   bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), scheduled: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.scheduled <- d
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}

// Advance moves the time on by d and fires the timers due, in order, and
// returns how many fired.
func (c *fakeClock) Advance(d time.Duration) int {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now) {
			t.fired = true
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
	return len(due)
}

// nextScheduled waits for the manager to start a timer and returns its
// delay.
func (c *fakeClock) nextScheduled(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.scheduled:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no timer was started")
		return 0
	}
}

// probe is a subscribe function the test answers call by call.
type probe struct {
	calls chan chan error
	total atomic.Int32
}

func newProbe() *probe { return &probe{calls: make(chan chan error, 10)} }

func (p *probe) subscribe(ctx context.Context) error {
	p.total.Add(1)
	reply := make(chan error, 1)
	p.calls <- reply
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answer waits for the next call and makes it return err.
func (p *probe) answer(t *testing.T, err error) {
	t.Helper()
	select {
	case reply := <-p.calls:
		reply <- err
	case <-time.After(10 * time.Second):
		t.Fatal("subscribe was not called")
	}
}

// newSubs returns a manager on a fake clock with no jitter, stopped at the
// end of the test.
func newSubs(t *testing.T) (*Subscriptions, *fakeClock) {
	clock := newFakeClock()
	s := &Subscriptions{Clock: clock, RetryMin: time.Second, RetryMax: 8 * time.Second, Rand: func() float64 { return 0 }}
	t.Cleanup(s.Stop)
	return s, clock
}

func TestSubscriptionsSubscribeAtStartAndRefreshAtTwoThirds(t *testing.T) {
	s, clock := newSubs(t)
	p := newProbe()
	s.Add("presence", 90*time.Second, p.subscribe)
	if _, ok := s.Next("presence"); ok || p.total.Load() != 0 {
		t.Fatal("something was scheduled or called before Start")
	}
	s.Start(context.Background())
	p.answer(t, nil)
	if d := clock.nextScheduled(t); d != 60*time.Second {
		t.Fatalf("refresh after %v, want 60s", d)
	}
	if at, ok := s.Next("presence"); !ok || !at.Equal(clock.Now().Add(60*time.Second)) {
		t.Errorf("Next = %v, %v", at, ok)
	}
	if clock.Advance(60*time.Second-time.Nanosecond) != 0 {
		t.Fatal("refreshed early")
	}
	clock.Advance(time.Nanosecond)
	p.answer(t, nil) // the refresh
	if d := clock.nextScheduled(t); d != 60*time.Second {
		t.Fatalf("second refresh after %v", d)
	}
	s.Stop()
	if n := p.total.Load(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestSubscriptionsRefreshJitterIsEarlyAndSmall(t *testing.T) {
	s, clock := newSubs(t)
	s.Rand = func() float64 { return 0.999 }
	p := newProbe()
	s.Add("user", 3600*time.Second, p.subscribe)
	s.Start(context.Background())
	p.answer(t, nil)
	d := clock.nextScheduled(t)
	if d >= 2400*time.Second || d < 2160*time.Second {
		t.Errorf("refresh after %v, want within the 10%% before 40m", d)
	}
}

func TestSubscriptionsRetryFailuresWithBackoff(t *testing.T) {
	s, clock := newSubs(t)
	var reported []error
	s.OnError = func(key string, err error) {
		if key != "lines" {
			t.Errorf("OnError key %q", key)
		}
		reported = append(reported, err) // one call at a time: no lock needed
	}
	p := newProbe()
	s.Add("lines", time.Hour, p.subscribe)
	s.Start(context.Background())
	down := errors.New("no connection")
	for _, want := range []time.Duration{1, 2, 4, 8, 8} {
		p.answer(t, down)
		if d := clock.nextScheduled(t); d != want*time.Second {
			t.Fatalf("retry after %v, want %v", d, want*time.Second)
		}
		clock.Advance(want * time.Second)
	}
	p.answer(t, nil) // works again: back to refreshing
	if d := clock.nextScheduled(t); d != 40*time.Minute {
		t.Fatalf("refresh after %v", d)
	}
	clock.Advance(40 * time.Minute)
	p.answer(t, down)
	if d := clock.nextScheduled(t); d != time.Second {
		t.Errorf("first retry after a success: %v, want the minimum again", d)
	}
	s.Stop()
	if len(reported) != 6 {
		t.Errorf("OnError told %d failures, want 6", len(reported))
	}
}

func TestSubscriptionsRetryJitter(t *testing.T) {
	s, clock := newSubs(t)
	s.Rand = func() float64 { return 0.5 }
	p := newProbe()
	s.Add("q", 0, p.subscribe)
	s.Start(context.Background())
	p.answer(t, errors.New("refused"))
	if d := clock.nextScheduled(t); d != 750*time.Millisecond {
		t.Errorf("retry after %v, want 1s less a quarter", d)
	}
}

func TestSubscriptionsTerminatedResubscribesAtOnce(t *testing.T) {
	s, clock := newSubs(t)
	p := newProbe()
	s.Add("presence", 90*time.Second, p.subscribe)
	s.Start(context.Background())
	p.answer(t, nil)
	clock.nextScheduled(t)
	if !s.Terminated("presence") {
		t.Fatal("Terminated does not know the key")
	}
	if _, ok := s.Next("presence"); ok {
		t.Error("the old refresh is still scheduled")
	}
	p.answer(t, nil) // at once, without the clock moving
	if d := clock.nextScheduled(t); d != 60*time.Second {
		t.Fatalf("refresh after %v", d)
	}
	// Only the new refresh fires, not the one from before Terminated.
	if n := clock.Advance(60 * time.Second); n != 1 {
		t.Errorf("%d timers fired, want 1", n)
	}
	p.answer(t, nil)
	if s.Terminated("unknown") {
		t.Error("Terminated knows an unknown key")
	}
	s.Stop()
	if n := p.total.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestSubscriptionsRequestDuringCallRepeatsIt(t *testing.T) {
	s, clock := newSubs(t)
	p := newProbe()
	s.Add("user", time.Minute, p.subscribe)
	s.Start(context.Background())
	reply := <-p.calls // the first call runs
	s.Terminated("user")
	s.Reconnected()
	reply <- nil
	p.answer(t, nil) // once more, for both requests
	clock.nextScheduled(t)
	s.Stop()
	if n := p.total.Load(); n != 2 {
		t.Errorf("%d calls, want 2: one call per key at a time, requests merged", n)
	}
}

func TestSubscriptionsReconnectedResubscribesAll(t *testing.T) {
	s, clock := newSubs(t)
	a, b := newProbe(), newProbe()
	s.Add("a", time.Minute, a.subscribe)
	s.Add("b", 0, b.subscribe) // never expires: no refresh
	s.Start(context.Background())
	a.answer(t, nil)
	clock.nextScheduled(t) // a's refresh
	b.answer(t, errors.New("down"))
	clock.nextScheduled(t) // b's retry

	s.Reconnected()
	a.answer(t, nil) // both at once, without the clock moving
	if d := clock.nextScheduled(t); d != 40*time.Second {
		t.Errorf("a refreshes after %v", d)
	}
	b.answer(t, errors.New("still down"))
	if d := clock.nextScheduled(t); d != time.Second {
		t.Errorf("b retries after %v, want the minimum: a new connection starts the backoff over", d)
	}
	// The timers from before Reconnected were stopped: only the new two fire.
	if n := clock.Advance(time.Minute); n != 2 {
		t.Errorf("%d timers fired, want 2", n)
	}
	a.answer(t, nil)
	b.answer(t, nil)
	clock.nextScheduled(t) // a's next refresh; b, never expiring, has none
	if _, ok := s.Next("b"); ok {
		t.Error("b, which never expires, has a refresh scheduled")
	}
	s.Stop()
	if na, nb := a.total.Load(), b.total.Load(); na != 3 || nb != 3 {
		t.Errorf("calls a=%d b=%d, want 3 each", na, nb)
	}
}

func TestSubscriptionsAddAfterStartAndRemove(t *testing.T) {
	s, clock := newSubs(t)
	s.Start(context.Background())
	p := newProbe()
	s.Add("late", time.Minute, p.subscribe)
	p.answer(t, nil) // at once
	clock.nextScheduled(t)
	if !s.Remove("late") || s.Remove("late") {
		t.Error("Remove does not report the key once")
	}
	if n := clock.Advance(time.Hour); n != 0 {
		t.Errorf("%d timers fired after Remove", n)
	}
	if s.Terminated("late") {
		t.Error("a removed key is still known")
	}
	s.Stop()
	if n := p.total.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestSubscriptionsReplaceWhileRunning(t *testing.T) {
	s, clock := newSubs(t)
	old, replacement := newProbe(), newProbe()
	s.Add("k", time.Minute, old.subscribe)
	s.Start(context.Background())
	reply := <-old.calls
	s.Add("k", 3*time.Minute, replacement.subscribe)
	replacement.answer(t, nil)
	if d := clock.nextScheduled(t); d != 2*time.Minute {
		t.Errorf("refresh after %v, want the new timeout's", d)
	}
	reply <- errors.New("old call fails late") // must not schedule a retry
	s.Stop()
	select {
	case d := <-clock.scheduled:
		t.Errorf("the replaced subscription scheduled a call after %v", d)
	default:
	}
}

func TestSubscriptionsStopCancelsAndWaits(t *testing.T) {
	s, clock := newSubs(t)
	var ended atomic.Bool
	started := make(chan struct{})
	s.Add("slow", time.Minute, func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		ended.Store(true)
		return ctx.Err()
	})
	reported := false
	s.OnError = func(string, error) { reported = true }
	s.Start(context.Background())
	<-started
	s.Stop()
	if !ended.Load() {
		t.Error("Stop returned before the call did")
	}
	if reported {
		t.Error("the cancellation by Stop was reported as a failure")
	}
	select {
	case d := <-clock.scheduled:
		t.Errorf("a call was scheduled after %v by a stopped manager", d)
	default:
	}
	s.Add("after", time.Minute, func(context.Context) error { t.Error("called after Stop"); return nil })
	s.Reconnected()
	s.Start(context.Background())
}

func TestSubscriptionsEndWithStartContext(t *testing.T) {
	s, clock := newSubs(t)
	ctx, cancel := context.WithCancel(context.Background())
	p := newProbe()
	s.Add("k", time.Minute, p.subscribe)
	s.Start(ctx)
	reply := <-p.calls
	cancel()
	reply <- context.Canceled
	s.Terminated("k")
	s.Stop() // waits for the call
	select {
	case d := <-clock.scheduled:
		t.Errorf("scheduled after %v though the context ended", d)
	default:
	}
	if n := p.total.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestSubscriptionsOnSystemClock runs the real timers: refreshes keep
// coming. Only that they come is asserted, not when.
func TestSubscriptionsOnSystemClock(t *testing.T) {
	var s Subscriptions
	defer s.Stop()
	calls := make(chan struct{}, 10)
	s.Add("k", 3*time.Millisecond, func(context.Context) error {
		select {
		case calls <- struct{}{}:
		default:
		}
		return nil
	})
	s.Start(context.Background())
	for i := range 3 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d never came", i+1)
		}
	}
}
