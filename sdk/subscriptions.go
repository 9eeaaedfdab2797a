package sdk

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is the time a helper runs on: the system clock in a driver, a fake
// one in tests so that timers fire when the test says.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f after d, like time.AfterFunc, and never before
	// it has returned: its caller may hold a lock f takes.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer a Clock started.
type Timer interface {
	// Stop prevents the call if it has not started, like time.Timer.Stop.
	Stop() bool
}

// SystemClock is the real time.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                            { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Subscriptions keeps a driver's subscriptions on a vendor system alive
// (MTCTI3 Subscribe with a timeout, SIP SUBSCRIBE, CSTA MonitorStart). The
// driver registers each with Add and a subscribe function; Subscriptions
// calls it:
//
//   - at Start (or at Add, after Start);
//   - at about two thirds of the timeout, to refresh it before the vendor
//     drops it (a little earlier at random, so that a thousand
//     subscriptions made together do not all refresh together);
//   - at once when the driver reports the vendor ended it (Terminated), or
//     a new connection (Reconnected);
//   - after a failure, again and again with a growing delay (RetryMin
//     doubling up to RetryMax) until it works.
//
// subscribe runs in its own goroutine, one call per registration at a
// time; a request made while a call runs (Terminated, Reconnected) is made
// again right after it, so subscribe must be safe to repeat (MTCTI3: the
// same subscribe_id). Everything stops when Start's ctx ends or at Stop.
// Configure the fields before Start; the methods are safe for concurrent
// use.
type Subscriptions struct {
	// Clock is the time; nil means SystemClock.
	Clock Clock
	// RetryMin is the delay after a first failure, doubled after each
	// further one; 0 means one second.
	RetryMin time.Duration
	// RetryMax caps the delay between failed attempts; 0 means one minute.
	RetryMax time.Duration
	// OnError, if set, is told every failed attempt, to log it. It runs
	// on the attempt's goroutine and must not block.
	OnError func(key string, err error)
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2.
	Rand func() float64

	mu      sync.Mutex
	subs    map[string]*subscription
	ctx     context.Context // set by Start
	cancel  context.CancelFunc
	stopped bool
	calls   sync.WaitGroup
}

type subscription struct {
	key       string
	timeout   time.Duration
	subscribe func(context.Context) error

	timer    Timer
	due      time.Time // when timer fires; zero without a timer
	running  bool      // subscribe is being called
	again    bool      // call it again as soon as the running call ends
	failures int       // failed attempts in a row
}

// refreshShare is the part of a subscription's timeout after which it is
// refreshed, and refreshJitter how much of that may be cut at random.
const (
	refreshShare  = 2.0 / 3
	refreshJitter = 0.1
)

// Add registers the subscription key, replacing any with the same key.
// timeout is how long the vendor keeps it without a refresh; 0 means it
// never expires (it is only renewed after Terminated or Reconnected).
// After Start, subscribe is called at once.
func (s *Subscriptions) Add(key string, timeout time.Duration, subscribe func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if old := s.subs[key]; old != nil {
		s.stopTimer(old)
	}
	if s.subs == nil {
		s.subs = map[string]*subscription{}
	}
	sub := &subscription{key: key, timeout: timeout, subscribe: subscribe}
	s.subs[key] = sub
	if s.ctx != nil {
		s.trigger(sub)
	}
}

// Remove forgets key: it is no longer refreshed. A call in progress
// finishes. It reports whether key was registered.
func (s *Subscriptions) Remove(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[key]
	if sub == nil {
		return false
	}
	s.stopTimer(sub)
	delete(s.subs, key)
	return true
}

// Start subscribes everything registered, each in its own goroutine, and
// keeps the subscriptions alive until ctx ends or Stop. ctx is also the
// context every subscribe call gets. Start once.
func (s *Subscriptions) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil || s.stopped {
		return
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	for _, sub := range s.subs {
		s.trigger(sub)
	}
}

// Terminated reports that the vendor ended the subscription key (MTCTI3
// SubscribeTerminated): it is made again at once. It reports whether key
// is registered.
func (s *Subscriptions) Terminated(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[key]
	if sub != nil && s.ctx != nil {
		s.trigger(sub)
	}
	return sub != nil
}

// Reconnected reports a new connection, on which no subscription exists
// yet: every one is made again at once, with a fresh retry delay.
func (s *Subscriptions) Reconnected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return
	}
	for _, sub := range s.subs {
		sub.failures = 0
		s.trigger(sub)
	}
}

// Next returns when key is next subscribed or refreshed, and false when
// key is unknown or no attempt is scheduled (one is running, or the
// subscription never expires), for a status page.
func (s *Subscriptions) Next(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[key]
	if sub == nil || sub.due.IsZero() {
		return time.Time{}, false
	}
	return sub.due, true
}

// Stop stops every timer, cancels the context of the calls in progress and
// waits for them to return. Nothing is called after Stop.
func (s *Subscriptions) Stop() {
	s.mu.Lock()
	s.stopped = true
	if s.cancel != nil {
		s.cancel()
	}
	for _, sub := range s.subs {
		s.stopTimer(sub)
	}
	s.mu.Unlock()
	s.calls.Wait()
}

// trigger calls sub's subscribe now, or right after the call in progress.
// s.mu is held.
func (s *Subscriptions) trigger(sub *subscription) {
	if s.stopped || s.ctx.Err() != nil {
		return
	}
	if sub.running {
		sub.again = true
		return
	}
	s.stopTimer(sub)
	sub.running = true
	s.calls.Add(1)
	go s.call(s.ctx, sub)
}

// call runs one attempt and schedules the next.
func (s *Subscriptions) call(ctx context.Context, sub *subscription) {
	defer s.calls.Done()
	err := sub.subscribe(ctx)
	if err != nil && s.OnError != nil && ctx.Err() == nil {
		s.OnError(sub.key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub.running = false
	if s.stopped || ctx.Err() != nil || s.subs[sub.key] != sub {
		return // stopped, removed or replaced meanwhile
	}
	switch {
	case sub.again:
		sub.again = false
		s.trigger(sub)
	case err != nil:
		sub.failures++
		s.schedule(sub, s.retryDelay(sub.failures))
	default:
		sub.failures = 0
		if sub.timeout > 0 {
			s.schedule(sub, time.Duration(float64(sub.timeout)*refreshShare*(1-refreshJitter*s.rand())))
		}
	}
}

// schedule arranges sub's next call after d. s.mu is held.
func (s *Subscriptions) schedule(sub *subscription, d time.Duration) {
	clock := s.clock()
	sub.due = clock.Now().Add(d)
	var timer Timer
	timer = clock.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if sub.timer != timer || s.subs[sub.key] != sub {
			return // stopped or replaced by a newer schedule
		}
		sub.timer, sub.due = nil, time.Time{}
		s.trigger(sub)
	})
	sub.timer = timer
}

// stopTimer cancels sub's scheduled call. s.mu is held.
func (s *Subscriptions) stopTimer(sub *subscription) {
	if sub.timer != nil {
		sub.timer.Stop()
	}
	sub.timer, sub.due = nil, time.Time{}
}

// retryDelay is RetryMin doubled for each failure after the first, capped
// at RetryMax, less up to half at random: retries of subscriptions that
// failed together spread out.
func (s *Subscriptions) retryDelay(failures int) time.Duration {
	lo, hi := s.RetryMin, s.RetryMax
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = time.Minute
	}
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, max(hi, lo))
	return d - time.Duration(float64(d)/2*s.rand())
}

func (s *Subscriptions) clock() Clock {
	if s.Clock == nil {
		return SystemClock
	}
	return s.Clock
}

func (s *Subscriptions) rand() float64 {
	if s.Rand == nil {
		return rand.Float64()
	}
	return s.Rand()
}
