package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// DefaultMaxPending is the number of requests a Correlator lets wait at
// once when its Max is 0.
const DefaultMaxPending = 1024

// ErrTooManyPending is returned by Expect when Max requests already wait:
// the vendor system stopped answering, or the driver leaks waits.
var ErrTooManyPending = errors.New("too many requests waiting for an answer")

// ErrCanceled is what Pending.Wait returns after Pending.Cancel.
var ErrCanceled = errors.New("request canceled")

// Correlator matches answers to the requests a driver sent over one
// connection, by request id (MTCTI3's requestid, a CSTA invokeID). The
// driver registers the id before sending, so that no answer can arrive
// unexpected:
//
//	p, err := corr.Expect(corr.Next())
//	if err != nil { return err }
//	defer p.Cancel()
//	if err := conn.Write(ctx, request(p.ID())); err != nil { return err }
//	answer, err := p.Wait(ctx)
//
// and its read loop hands every answer to Deliver, logging the ones it
// returns false for (late or unknown). On disconnect it calls FailAll. No
// goroutine is started; the zero value is ready; safe for concurrent use.
type Correlator[T any] struct {
	// Max bounds the requests registered and not yet claimed by Wait or
	// Cancel; 0 means DefaultMaxPending. Set it before first use.
	Max int
	// MaxID is the largest id Next returns before wrapping to 1; 0 means
	// 2^32-1. Set it to the protocol's range: math.MaxInt32 for MTCTI3's
	// int32 requestid, 9999 for a four-digit CSTA invokeID.
	MaxID uint32

	mu      sync.Mutex
	last    uint32
	pending map[uint32]*Pending[T]
}

// Pending is one request waiting for its answer.
type Pending[T any] struct {
	c    *Correlator[T]
	id   uint32
	done chan struct{} // closed once settled

	// Set once under c.mu; read after done is closed.
	settled bool
	val     T
	err     error
}

// Next returns a request id: between 1 and MaxID (vendors read 0 as "no
// answer wanted"), different from every id still waiting, counting up and
// wrapping around.
func (c *Correlator[T]) Next() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	top := c.maxID()
	// Expect keeps fewer than top ids waiting, so a free one exists.
	for {
		if c.last >= top {
			c.last = 0
		}
		c.last++
		if _, busy := c.pending[c.last]; !busy {
			return c.last
		}
	}
}

func (c *Correlator[T]) maxID() uint32 {
	if c.MaxID == 0 {
		return ^uint32(0)
	}
	return c.MaxID
}

// Expect registers id as waiting for an answer. It fails for id 0, for an
// id already waiting and when Max requests wait.
func (c *Correlator[T]) Expect(id uint32) (*Pending[T], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.Max
	if limit <= 0 {
		limit = DefaultMaxPending
	}
	if top := c.maxID(); uint64(limit) >= uint64(top) {
		limit = int(top - 1) // leave Next an id to find
	}
	switch _, busy := c.pending[id]; {
	case id == 0:
		return nil, errors.New("request id 0 cannot be answered")
	case busy:
		return nil, fmt.Errorf("request id %d is already waiting for an answer", id)
	case len(c.pending) >= limit:
		return nil, fmt.Errorf("%w (%d): the vendor system may have stopped answering", ErrTooManyPending, limit)
	}
	if c.pending == nil {
		c.pending = map[uint32]*Pending[T]{}
	}
	p := &Pending[T]{c: c, id: id, done: make(chan struct{})}
	c.pending[id] = p
	return p, nil
}

// Wait waits for the answer to id, which Expect registered. See
// Pending.Wait.
func (c *Correlator[T]) Wait(ctx context.Context, id uint32) (T, error) {
	c.mu.Lock()
	p := c.pending[id]
	c.mu.Unlock()
	if p == nil {
		var zero T
		return zero, fmt.Errorf("request id %d is not waiting for an answer: call Expect before sending", id)
	}
	return p.Wait(ctx)
}

// Deliver hands the answer v to the request id and reports whether one
// waited for it. false means a late answer (its waiter gave up), a second
// answer or an unknown id: the driver logs it. An answer that comes before
// its waiter calls Wait is kept for it.
func (c *Correlator[T]) Deliver(id uint32, v T) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[id]
	if p == nil || p.settled {
		return false
	}
	p.settle(v, nil)
	return true
}

// FailAll ends every waiting request with err, e.g. when the connection
// dropped: their answers will never come. New requests can be made after.
func (c *Correlator[T]) FailAll(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero T
	for _, p := range c.pending {
		if !p.settled {
			p.settle(zero, err)
		}
	}
}

// Len returns the number of requests registered and not yet claimed by
// Wait or Cancel.
func (c *Correlator[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// settle sets p's outcome and wakes its waiters. c.mu is held.
func (p *Pending[T]) settle(v T, err error) {
	p.val, p.err, p.settled = v, err, true
	close(p.done)
}

// release frees p's id once its outcome is claimed. c.mu is held.
func (p *Pending[T]) release() {
	if p.c.pending[p.id] == p {
		delete(p.c.pending, p.id)
	}
}

// ID returns the request id to send.
func (p *Pending[T]) ID() uint32 { return p.id }

// Wait returns the answer, the error FailAll gave, ErrCanceled after
// Cancel, or ctx's error when ctx ends first (a late answer then makes
// Deliver return false). An answer delivered before ctx ended is never
// lost. Wait frees the id; calling it again returns the same outcome.
func (p *Pending[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if !p.settled {
		var zero T
		p.settle(zero, fmt.Errorf("no answer to request %d: %w", p.id, ctx.Err()))
	}
	p.release()
	return p.val, p.err
}

// Cancel frees the id when the answer is no longer wanted, e.g. because
// sending failed. Deferring it after Expect is always right: it changes
// nothing for a request already answered and waited for.
func (p *Pending[T]) Cancel() {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if !p.settled {
		var zero T
		p.settle(zero, ErrCanceled)
	}
	p.release()
}
