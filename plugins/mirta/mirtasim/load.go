package mirtasim

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Load mode: enough extensions and call churn to measure what a driver's
// polling costs at 100 and 1,000 extensions.

// Populate adds n registered extensions numbered first, first+1, ... to
// tenant code (numbers that exist are skipped).
func (p *PBX) Populate(code string, first, n int) error {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return err
	}
	if n < 0 || len(t.exts)+n > MaxExtensions {
		return fmt.Errorf("%w: %d extensions in %s", ErrLimit, MaxExtensions, t.code)
	}
	for i := range n {
		num := strconv.Itoa(first + i)
		if t.exts[num] != nil || t.queueByNumber(num) != nil {
			continue
		}
		if err := p.addExtension(t, ExtensionSpec{Number: num, Name: "User " + num}); err != nil {
			return err
		}
	}
	return nil
}

// LoadStats counts what LoadStep did.
type LoadStats struct {
	Rung, Answered, HungUp int
	Live                   int // external calls up or ringing afterwards
}

// LoadStep moves tenant code's traffic one step towards calls live
// external calls, deterministically: every extension rung by an external
// caller in an earlier step answers; if calls or more are live the oldest
// answered one hangs up; if fewer, an external caller rings the next free
// registered extension (round robin). A step with calls live is one ring,
// one answer and one hang-up: the churn a driver's poll must follow.
func (p *PBX) LoadStep(code string, calls int) (LoadStats, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return LoadStats{}, err
	}
	var st LoadStats
	var inbound []*channel
	for _, c := range p.sortedChans(t) {
		if c.external() && c.dir == "IN" {
			inbound = append(inbound, c)
		}
	}
	for _, c := range inbound {
		for _, leg := range append([]*channel(nil), c.targets...) {
			if leg.state == StateRinging && !leg.ended {
				p.answer(leg)
				st.Answered++
				break
			}
		}
	}
	live := 0
	for _, c := range inbound {
		if !c.ended {
			live++
		}
	}
	if live >= calls {
		for _, c := range inbound {
			if !c.ended && c.peer != nil {
				p.hangup(c)
				st.HungUp++
				live--
				break
			}
		}
	}
	if live < calls && p.room(2) == nil {
		exts := t.sortedExts()
		for i := range exts {
			e := exts[(p.loadNext+i)%len(exts)]
			if p.unreachable(t, e) != "" {
				continue
			}
			p.loadNext = (p.loadNext + i + 1) % len(exts)
			p.loadCaller++
			c := p.newChannel(t, "", fmt.Sprintf("0170%07d", p.loadCaller%10000000), StateRing)
			c.dir, c.cidNum = "IN", c.number
			if err := p.dialDest(c, e.number, ""); err != nil {
				p.hangup(c)
				break
			}
			st.Rung++
			live++
			break
		}
	}
	p.distribute()
	st.Live = live
	return st, nil
}

// RunLoad calls LoadStep every every until ctx is done, keeping calls
// external calls going in tenant code.
func (p *PBX) RunLoad(ctx context.Context, code string, calls int, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("%w: step interval %v", ErrInvalid, every)
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		if _, err := p.LoadStep(code, calls); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}
