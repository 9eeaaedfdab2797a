// Package bus is the host's event bus: it stamps every event with a per-host
// sequence number, keeps the newest events in a bounded replay buffer, and
// lets any number of subscribers read from it at their own pace.
//
// Subscribers pull from the buffer by cursor instead of owning queues, so a
// slow subscriber never blocks a driver or another subscriber: it only falls
// behind, and when the buffer has overwritten what it has not read yet it
// receives a Gap event and continues with the oldest event still held.
//
// Every event is encoded once, when it is published, and subscribers send
// those bytes: the cost of an event does not grow with the number of apps
// watching it.
//
// A durable bus (NewDurable) also writes every event to a Store (the
// host's event log) before subscribers see it, takes up its sequence where
// the store left off, and replays from the store what the memory buffer no
// longer holds: a subscriber resumes across a host restart.
package bus

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// batch is how many events a subscriber takes from the buffer per lock.
const batch = 256

// Encoded is an event and its protobuf wire form, made once for every
// subscriber. Neither may be changed. Wire is nil if ev did not marshal.
type Encoded struct {
	Event *ctiv1.Event
	Wire  []byte
	// Lost is, for a Gap, how many published events the subscriber will
	// never receive: the replay buffer overwrote them before it read them
	// (ToSequence-FromSequence+1). It is 0 for every other event, and for
	// the Gap of a subscriber that asked for sequence numbers of an earlier
	// host run ("sequence numbers restarted"): those events were never
	// published by this run, so none was lost here. Not part of Wire.
	Lost uint64
}

// encode stamps nothing: it only pairs ev with its wire form.
func encode(ev *ctiv1.Event) *Encoded {
	// Events come decoded from a plugin (so their strings are valid UTF-8)
	// or from the host, and marshal. Should one not, Wire stays nil and the
	// sender encodes Event itself, failing that stream with the error
	// rather than sending an empty event.
	wire, _ := proto.Marshal(ev)
	return &Encoded{Event: ev, Wire: wire}
}

// Bus is the event bus. Safe for concurrent use.
type Bus struct {
	mu     sync.Mutex
	ring   []*Encoded    // ring[seq % len(ring)]
	next   uint64        // sequence the next event gets; starts at 1
	base   uint64        // the first sequence this run published (the ring holds none before it)
	notify chan struct{} // closed and replaced on every publish

	store       Store       // nil: memory only
	storeFailed bool        // the store refused a write: memory only from then on
	onStoreErr  func(error) // told once, when the store fails
	shared      Shared      // a cluster's log: events reach the ring through it
	lastErr     time.Time   // when onStoreErr was last told of a shared publish's failure

	subscribers atomic.Int64
	published   atomic.Uint64
}

// New returns a bus that keeps the newest capacity events for replay.
func New(capacity int) *Bus {
	if capacity < 1 {
		capacity = 1
	}
	return &Bus{ring: make([]*Encoded, capacity), next: 1, base: 1, notify: make(chan struct{})}
}

// Store is a durable bus's event log (eventlog.Log).
type Store interface {
	// Bounds are the first and last stored sequences (0, 0: empty).
	Bounds(ctx context.Context) (first, last uint64, err error)
	// Append stores an event as sequence seq, the one after the last.
	Append(ctx context.Context, seq uint64, ev *ctiv1.Event, wire []byte) error
	// Read returns stored events from sequence from on, at most max.
	Read(ctx context.Context, from uint64, max int) ([]*ctiv1.Event, [][]byte, error)
}

// Shared is a cluster's event log (eventlog.Log on a shared NATS): every
// host publishes into it, and every host's bus follows it, so all hosts
// serve all events under one sequence.
type Shared interface {
	Store
	// Publish stores an event after the others and returns its sequence.
	Publish(ctx context.Context, ev *ctiv1.Event, wire []byte) (uint64, error)
	// Follow calls fn with every stored event from from on, in order,
	// until ctx ends.
	Follow(ctx context.Context, from uint64, fn func(*ctiv1.Event)) error
}

// NewShared returns a bus of one host of a cluster: Publish stores the
// event in log, and the bus's ring follows log from its end (so it holds
// every host's events, numbered by log), replaying from log what the
// ring no longer holds. Publish failures (NATS unreachable) are told to
// onError, at most every 10 seconds; those events are lost to everyone.
// The follower runs until ctx ends.
func NewShared(ctx context.Context, capacity int, log Shared, onError func(error)) (*Bus, error) {
	_, last, err := log.Bounds(ctx)
	if err != nil {
		return nil, err
	}
	b := New(capacity)
	b.next, b.base, b.store, b.shared, b.onStoreErr = last+1, last+1, log, log, onError
	go func() {
		if err := log.Follow(ctx, last+1, b.insert); err != nil && ctx.Err() == nil && onError != nil {
			onError(fmt.Errorf("following the cluster's events: %w", err))
		}
	}()
	return b, nil
}

// insert puts an event the shared log numbered into the ring.
func (b *Bus) insert(ev *ctiv1.Event) {
	b.mu.Lock()
	seq, n := ev.GetSequence(), uint64(len(b.ring))
	if seq < b.next {
		b.mu.Unlock()
		return // seen already
	}
	for s := b.next; s < seq && seq-s <= n; s++ {
		b.ring[s%n] = nil // removed by the log's limits before this host saw them
	}
	b.next = seq + 1
	b.ring[seq%n] = encode(ev)
	wake := b.notify
	b.notify = make(chan struct{})
	b.mu.Unlock()
	close(wake)
	b.published.Add(1)
}

// NewDurable returns a bus that writes every event to store before its
// subscribers see it and continues store's sequence. Should a write fail
// (a full disk), onError is told once and the bus goes on in memory: the
// host keeps working, without durability until it restarts.
func NewDurable(ctx context.Context, capacity int, store Store, onError func(error)) (*Bus, error) {
	_, last, err := store.Bounds(ctx)
	if err != nil {
		return nil, err
	}
	b := New(capacity)
	b.next, b.base, b.store, b.onStoreErr = last+1, last+1, store, onError
	return b, nil
}

// Publish stamps ev with the next sequence number, encodes it, stores it
// and wakes the subscribers. It never blocks on a subscriber. ev must not
// be changed after it is published.
func (b *Bus) Publish(ev *ctiv1.Event) uint64 {
	if b.shared != nil {
		return b.publishShared(ev)
	}
	b.mu.Lock()
	seq := b.next
	b.next++
	ev.Sequence = seq
	enc := encode(ev)
	if b.store != nil && !b.storeFailed {
		// Under the lock: the store takes the events in sequence order.
		if err := b.store.Append(context.Background(), seq, ev, enc.Wire); err != nil {
			b.storeFailed = true
			if b.onStoreErr != nil {
				b.onStoreErr(err)
			}
		}
	}
	b.ring[seq%uint64(len(b.ring))] = enc
	wake := b.notify
	b.notify = make(chan struct{})
	b.mu.Unlock()
	close(wake)
	b.published.Add(1)
	return seq
}

// publishShared stores ev in the cluster's log; the ring gets it back,
// numbered, through the follower.
func (b *Bus) publishShared(ev *ctiv1.Event) uint64 {
	ev.Sequence = 0
	wire, err := proto.Marshal(ev)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var seq uint64
		if seq, err = b.shared.Publish(ctx, ev, wire); err == nil {
			return seq
		}
	}
	b.mu.Lock()
	tell := time.Since(b.lastErr) > 10*time.Second
	if tell {
		b.lastErr = time.Now()
	}
	b.mu.Unlock()
	if tell && b.onStoreErr != nil {
		b.onStoreErr(fmt.Errorf("an event could not be published to the cluster: %w", err))
	}
	return 0
}

// Next returns the sequence number the next event will get.
func (b *Bus) Next() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next
}

// Published returns how many events were published.
func (b *Bus) Published() uint64 { return b.published.Load() }

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int64 { return b.subscribers.Load() }

// oldest is the sequence of the oldest buffered event. Callers hold mu.
func (b *Bus) oldest() uint64 {
	if n := uint64(len(b.ring)); b.next > n {
		return max(b.next-n, b.base)
	}
	return b.base
}

// Subscribe calls send for every event from sequence from on (0: only events
// published from now on) that passes filter, in sequence order, until ctx
// ends or send fails. When events the subscriber asked for are no longer
// buffered it first receives a Gap event (sequence 0) naming them.
func (b *Bus) Subscribe(ctx context.Context, from uint64, filter *Filter, send func(*Encoded) error) error {
	b.subscribers.Add(1)
	defer b.subscribers.Add(-1)

	b.mu.Lock()
	cursor := from
	if from == 0 {
		cursor = b.next
	} else if from > b.next {
		// The app saw sequence numbers of an earlier host run.
		gap := gapEvent(b.next, from-1, "sequence numbers restarted: the host was restarted; resynchronise with GetDeviceState")
		// gap.Lost stays 0: this run never published those sequences.
		cursor = b.next
		b.mu.Unlock()
		if err := send(gap); err != nil {
			return err
		}
		b.mu.Lock()
	}
	b.mu.Unlock()

	events := make([]*Encoded, 0, batch)
	for {
		b.mu.Lock()
		if oldest := b.oldest(); cursor < oldest && b.store != nil && !b.storeFailed {
			// Older than memory holds: from the store, then on.
			b.mu.Unlock()
			next, err := b.replay(ctx, cursor, oldest, filter, send)
			if err != nil {
				return err
			}
			cursor = next
			continue
		}
		var gap *Encoded
		if oldest := b.oldest(); cursor < oldest {
			gap = gapEvent(cursor, oldest-1, "events are older than the host's replay buffer or were overwritten before this subscriber read them; resynchronise with GetDeviceState")
			gap.Lost = oldest - cursor // published and overwritten unread: [cursor, oldest-1]
			cursor = oldest
		}
		events = events[:0]
		for ; cursor < b.next && len(events) < batch; cursor++ {
			events = append(events, b.ring[cursor%uint64(len(b.ring))])
		}
		wait := b.notify
		b.mu.Unlock()

		if gap != nil {
			if err := send(gap); err != nil {
				return err
			}
		}
		for _, ev := range events {
			if ev == nil {
				continue // a hole a cluster's log left: removed by its limits
			}
			if filter.Match(ev.Event) {
				if err := send(ev); err != nil {
					return err
				}
			}
		}
		if len(events) == batch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait:
		}
	}
}

// replay sends the stored events of [cursor, oldest) that filter passes,
// at most one batch, and returns the cursor after them. Events the
// store's limits removed come as a Gap.
func (b *Bus) replay(ctx context.Context, cursor, oldest uint64, filter *Filter, send func(*Encoded) error) (uint64, error) {
	events, wires, err := b.store.Read(ctx, cursor, batch)
	if err != nil && len(events) == 0 {
		if ctx.Err() != nil {
			return cursor, ctx.Err()
		}
		gap := gapEvent(cursor, oldest-1, "the host's event log could not be read ("+err.Error()+"); resynchronise with GetDeviceState")
		gap.Lost = oldest - cursor
		return oldest, send(gap)
	}
	reachedMemory := false
	for i, ev := range events {
		seq := ev.GetSequence()
		if seq >= oldest {
			reachedMemory = true // memory has it from here
			break
		}
		if seq > cursor {
			gap := gapEvent(cursor, seq-1, "events are older than the host's event log keeps (its size and age limits); resynchronise with GetDeviceState")
			gap.Lost = seq - cursor
			if err := send(gap); err != nil {
				return cursor, err
			}
		}
		if filter.Match(ev) {
			if err := send(&Encoded{Event: ev, Wire: wires[i]}); err != nil {
				return cursor, err
			}
		}
		cursor = seq + 1
	}
	if len(events) == batch && !reachedMemory {
		return cursor, nil // more stored events before memory's oldest
	}
	if cursor < oldest {
		gap := gapEvent(cursor, oldest-1, "events are older than the host's event log keeps (its size and age limits); resynchronise with GetDeviceState")
		gap.Lost = oldest - cursor
		if err := send(gap); err != nil {
			return cursor, err
		}
	}
	return oldest, nil
}

func gapEvent(from, to uint64, reason string) *Encoded {
	return encode(&ctiv1.Event{
		Time:    timestamppb.Now(),
		Payload: &ctiv1.Event_Gap{Gap: &ctiv1.Gap{FromSequence: from, ToSequence: to, Reason: reason}},
	})
}
