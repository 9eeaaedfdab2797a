package sdk

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestCorrelatorDeliversToTheWaiter(t *testing.T) {
	var c Correlator[string]
	p, err := c.Expect(c.Next())
	if err != nil {
		t.Fatal(err)
	}
	// The answer may come before the waiter waits: it is kept.
	if !c.Deliver(p.ID(), "ok") {
		t.Fatal("Deliver found no waiter")
	}
	if v, err := p.Wait(context.Background()); v != "ok" || err != nil {
		t.Errorf("Wait = %q, %v", v, err)
	}
	if v, err := p.Wait(context.Background()); v != "ok" || err != nil {
		t.Errorf("second Wait = %q, %v", v, err)
	}
	if c.Deliver(p.ID(), "again") {
		t.Error("a second answer to the same id was delivered")
	}
	if c.Len() != 0 {
		t.Errorf("Len = %d after the answer", c.Len())
	}
}

func TestCorrelatorWaitByID(t *testing.T) {
	var c Correlator[int]
	if _, err := c.Wait(context.Background(), 7); err == nil {
		t.Error("Wait on an id never expected works")
	}
	p, _ := c.Expect(7)
	got := make(chan int)
	go func() {
		v, _ := c.Wait(context.Background(), 7)
		got <- v
	}()
	// Deliver only once the waiter may be blocked or not: either way it
	// gets the answer.
	c.Deliver(7, 42)
	if v := <-got; v != 42 {
		t.Errorf("got %d", v)
	}
	if v, _ := p.Wait(context.Background()); v != 42 {
		t.Errorf("Pending.Wait got %d", v)
	}
}

func TestCorrelatorUnknownAndLateAnswers(t *testing.T) {
	var c Correlator[string]
	if c.Deliver(99, "x") {
		t.Error("an unknown id was delivered")
	}
	p, _ := c.Expect(c.Next())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after the caller gave up: %v", err)
	}
	if c.Deliver(p.ID(), "late") {
		t.Error("a late answer was delivered")
	}
	if c.Len() != 0 {
		t.Errorf("a request that gave up still waits: Len %d", c.Len())
	}
}

func TestCorrelatorNextSkipsZeroAndWaitingIDs(t *testing.T) {
	var c Correlator[int]
	c.last = ^uint32(0) - 2 // near the wrap
	var ids []uint32
	for range 3 {
		id := c.Next()
		ids = append(ids, id)
		if _, err := c.Expect(id); err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] != ^uint32(0)-1 || ids[1] != ^uint32(0) || ids[2] != 1 {
		t.Errorf("ids across the wrap: %v", ids)
	}
	// Wrap once more around to the ids still waiting: they are skipped.
	c.last = ^uint32(0) - 2
	if id := c.Next(); id != 2 {
		t.Errorf("Next = %d, want 2 (the waiting ids and 0 skipped)", id)
	}
}

func TestCorrelatorMaxID(t *testing.T) {
	c := Correlator[int]{MaxID: 3, Max: 10}
	var ids []uint32
	for range 4 {
		ids = append(ids, c.Next())
	}
	if !slices.Equal(ids, []uint32{1, 2, 3, 1}) {
		t.Errorf("ids %v, want 1 2 3 1", ids)
	}
	c.Expect(2)
	c.Expect(3)
	if id := c.Next(); id != 1 {
		t.Errorf("Next = %d, want 1, the only free id", id)
	}
	// Max is cut to leave Next a free id: 2 of 3 ids wait.
	if _, err := c.Expect(1); !errors.Is(err, ErrTooManyPending) {
		t.Errorf("Expect of the last free id: %v", err)
	}
}

func TestCorrelatorExpectRefusals(t *testing.T) {
	c := Correlator[int]{Max: 2}
	if _, err := c.Expect(0); err == nil {
		t.Error("Expect(0) works")
	}
	a, _ := c.Expect(1)
	if _, err := c.Expect(1); err == nil {
		t.Error("Expect of an id already waiting works")
	}
	c.Expect(2)
	if _, err := c.Expect(3); !errors.Is(err, ErrTooManyPending) {
		t.Errorf("third Expect with Max 2: %v", err)
	}
	a.Cancel()
	if _, err := c.Expect(3); err != nil {
		t.Errorf("Expect after a Cancel freed a slot: %v", err)
	}
	if _, err := a.Wait(context.Background()); !errors.Is(err, ErrCanceled) {
		t.Errorf("Wait after Cancel: %v", err)
	}
}

func TestCorrelatorCancelAfterAnswerKeepsIt(t *testing.T) {
	var c Correlator[string]
	p, _ := c.Expect(5)
	c.Deliver(5, "answer")
	p.Cancel()
	if v, err := p.Wait(context.Background()); v != "answer" || err != nil {
		t.Errorf("Wait = %q, %v", v, err)
	}
}

func TestCorrelatorFailAllWakesEveryWaiter(t *testing.T) {
	var c Correlator[int]
	down := errors.New("connection lost")
	const n = 20
	var started, finished sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		p, err := c.Expect(c.Next())
		if err != nil {
			t.Fatal(err)
		}
		started.Add(1)
		finished.Go(func() {
			started.Done()
			_, err := p.Wait(context.Background())
			errs <- err
		})
	}
	started.Wait()
	c.FailAll(down)
	finished.Wait() // would hang if a waiter were not woken
	close(errs)
	for err := range errs {
		if !errors.Is(err, down) {
			t.Errorf("waiter got %v", err)
		}
	}
	if c.Len() != 0 {
		t.Errorf("Len = %d after FailAll", c.Len())
	}
	if _, err := c.Expect(1); err != nil {
		t.Errorf("Expect after FailAll: %v", err)
	}
}

// TestCorrelatorRacingAnswersAndDeadlines checks that an answer Deliver
// accepted always reaches its waiter, even when the waiter's deadline ends
// at the same moment.
func TestCorrelatorRacingAnswersAndDeadlines(t *testing.T) {
	var c Correlator[uint32]
	var wg sync.WaitGroup
	for range 200 {
		p, err := c.Expect(c.Next())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		delivered := make(chan bool, 1)
		wg.Go(func() { delivered <- c.Deliver(p.ID(), p.ID()) })
		wg.Go(cancel)
		v, err := p.Wait(ctx)
		if <-delivered {
			if err != nil || v != p.ID() {
				t.Fatalf("Deliver accepted the answer but Wait returned %d, %v", v, err)
			}
		} else if !errors.Is(err, context.Canceled) {
			t.Fatalf("Deliver refused the answer but Wait returned %d, %v", v, err)
		}
	}
	wg.Wait()
	if c.Len() != 0 {
		t.Errorf("Len = %d", c.Len())
	}
}

func TestCorrelatorWaitHonoursDeadline(t *testing.T) {
	var c Correlator[int]
	p, _ := c.Expect(1)
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0)) // already past
	defer cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
}
