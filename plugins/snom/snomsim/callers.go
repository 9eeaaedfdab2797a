package snomsim

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Callers configures RunCallers, which makes a demo phone lively.
type Callers struct {
	// Every is the interval between inbound calls (REQUIRED, > 0).
	Every time.Duration
	// Talk is the mean talk time: the remote hangs up between Talk/2 and
	// 3*Talk/2 after the call is answered. Default 8s.
	Talk time.Duration
	// Patience is how long a caller lets an unanswered call ring. Default 20s.
	Patience time.Duration
}

var fakeCallers = []struct{ number, name string }{
	{"5551001", "Ada Lovelace"},
	{"5551002", "Grace Hopper"},
	{"+4930123456", "Konrad Zuse"},
	{"5551004", "Alan Turing"},
	{"2002", "Reception"},
}

// RunCallers rings the phone from a random fake caller every c.Every until
// ctx is done; each caller hangs up some time after being answered, or
// gives up (a missed call) when nobody answers. A ring is skipped while
// another call still rings or when it cannot happen (DND). It blocks
// until ctx is done and its callers have returned, and fails only for an
// invalid c.
func (p *Phone) RunCallers(ctx context.Context, c Callers) error {
	if c.Every <= 0 || c.Talk < 0 || c.Patience < 0 {
		return errors.New("snomsim: callers need Every > 0 and no negative durations")
	}
	if c.Talk == 0 {
		c.Talk = 8 * time.Second
	}
	if c.Patience == 0 {
		c.Patience = 20 * time.Second
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(c.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if p.ringing() {
			continue
		}
		who := fakeCallers[rand.IntN(len(fakeCallers))]
		call, err := p.RingIn(who.number, who.name)
		if err != nil {
			continue
		}
		talk := c.Talk/2 + time.Duration(rand.Int64N(int64(c.Talk)+1))
		wg.Go(func() { p.caller(ctx, call.CSTAID, c.Patience, talk) })
	}
}

func (p *Phone) ringing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dev.first(StateRinging) != nil
}

// caller waits for call id to be answered, then hangs up after talk.
func (p *Phone) caller(ctx context.Context, id string, patience, talk time.Duration) {
	n, _ := strconv.Atoi(id)
	state := func() (CallState, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if c := p.dev.find(n); c != nil {
			return c.state, true
		}
		return "", false
	}
	giveUp := time.Now().Add(patience)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s, ok := state()
		if !ok {
			return
		}
		if s == StateRinging {
			if time.Now().After(giveUp) {
				_ = p.RemoteHangup(id)
				return
			}
			continue
		}
		t := time.NewTimer(talk)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
			_ = p.RemoteHangup(id)
		}
		return
	}
}
