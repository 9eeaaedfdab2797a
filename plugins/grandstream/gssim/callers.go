package gssim

import (
	"context"
	"errors"
	"math/rand/v2"
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
	// Patience is how long a caller lets an unanswered call ring before
	// giving up. Default 20s.
	Patience time.Duration
}

// fakeCallers are the remote parties RunCallers picks from.
var fakeCallers = []struct{ number, name string }{
	{"5551001", "Ada Lovelace"},
	{"5551002", "Grace Hopper"},
	{"+4930123456", "Konrad Zuse"},
	{"5551004", "Alan Turing"},
	{"2002", "Reception"},
}

// RunCallers rings the phone from a random fake caller every c.Every until
// ctx is done; each caller hangs up some time after being answered, or gives
// up when nobody answers. A ring is skipped while another caller is still
// ringing or when it cannot happen (DND, no idle line). It blocks until ctx is done and its callers have returned, and
// fails only for an invalid c.
func (p *Phone) RunCallers(ctx context.Context, c Callers) error {
	if c.Every <= 0 || c.Talk < 0 || c.Patience < 0 {
		return errors.New("gssim: callers need Every > 0 and no negative durations")
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
			continue // one caller at a time waits for an answer
		}
		who := fakeCallers[rand.IntN(len(fakeCallers))]
		ref, err := p.ringIn(who.number, who.name)
		if err != nil {
			continue
		}
		talk := c.Talk/2 + rand.N(c.Talk+1)
		wg.Go(func() { p.followCaller(ctx, ref, talk, c.Patience) })
	}
}

// followCaller plays the remote party of call ref: it hangs up talk after
// the call is answered, or after patience if it never is.
func (p *Phone) followCaller(ctx context.Context, ref callRef, talk, patience time.Duration) {
	poll := min(100*time.Millisecond, max(talk/10, time.Millisecond))
	tick := time.NewTicker(poll)
	defer tick.Stop()
	giveUp := time.Now().Add(patience)
	var hangUp time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		done := false
		p.update(func(d *device) bool {
			h := p.handset(d, ref.hs)
			l := h.line(ref.line)
			if l == nil || l.call != ref.id {
				done = true // the phone ended the call
				return false
			}
			now := time.Now()
			if l.state == StateRinging {
				if now.After(giveUp) {
					done = true
					h.setIdle(ref.line)
					return true
				}
				return false
			}
			if hangUp.IsZero() {
				hangUp = now.Add(talk)
			}
			if now.After(hangUp) {
				done = true
				h.setIdle(ref.line)
				return true
			}
			return false
		})
		if done {
			return
		}
	}
}

// ringing reports whether a line of the control handset is ringing.
func (p *Phone) ringing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.control(&p.dev).find(StateRinging) != 0
}
