// Package eventlog is the host's optional durable event log: an embedded
// NATS JetStream file store (nats-server in the host's process, reached
// in memory, no network listener) holding every published event under
// its host sequence. With it the sequence survives a restart, and an app
// resumes with from_sequence across one, as far back as the log's size
// and age limits keep events.
//
// Durability: with Sync 0 (ctihost's default) JetStream fsyncs every
// write before acknowledging it, so an event a subscriber saw is on disk
// even after a power loss; JetStream's own default (an fsync every two
// minutes) lost acknowledged messages on power loss in Jepsen's 2025
// analysis. A positive Sync trades that for throughput: writes are
// acknowledged from the page cache and flushed every Sync, which a
// process crash does not lose but a power loss may (make bench measures
// both).
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// StreamName is the JetStream stream of the events.
const StreamName = "CTI_EVENTS"

// SubjectPrefix starts every event's subject:
// cti.v1.events.<site>.<device>.<kind>.
const SubjectPrefix = "cti.v1.events"

// Options configure a Log.
type Options struct {
	// Dir is the store's folder (REQUIRED); it is created if missing.
	Dir string
	// MaxBytes and MaxAge bound what is kept: the oldest events go first
	// (0: no bound).
	MaxBytes int64
	MaxAge   time.Duration
	// Sync is the flush interval; 0 fsyncs every write before the
	// acknowledgement.
	Sync time.Duration
}

// Log is an open event log. Append is called by one goroutine at a time
// (the bus holds its lock); Read and Bounds are safe for concurrent use.
type Log struct {
	ns     *server.Server // nil for a log on a NATS of its own
	nc     *nats.Conn
	own    bool // Close closes nc
	js     jetstream.JetStream
	stream jetstream.Stream
}

// Open starts the embedded server on o.Dir and opens (or creates) the
// stream with o's limits.
func Open(o Options) (*Log, error) {
	if o.Dir == "" {
		return nil, errors.New("eventlog: no folder")
	}
	opts := &server.Options{
		ServerName: "ctihost-eventlog", DontListen: true, JetStream: true, StoreDir: o.Dir,
		NoSigs: true, NoLog: true, SyncAlways: o.Sync == 0, SyncInterval: o.Sync,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("eventlog: the store in %s did not start", o.Dir)
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Name("ctihost"))
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	l, err := Connect(nc, o, 1)
	if err != nil {
		nc.Close()
		ns.Shutdown()
		return nil, err
	}
	l.ns, l.own = ns, true
	return l, nil
}

// Connect opens (or creates) the events stream with o's limits (Dir and
// Sync are the NATS servers' business here) on a NATS of its own, shared
// by several hosts: a cluster. replicas is the stream's replica count.
func Connect(nc *nats.Conn, o Options, replicas int) (*Log, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{SubjectPrefix + ".>"}, Storage: jetstream.FileStorage,
		MaxBytes: orUnlimited(o.MaxBytes), MaxAge: o.MaxAge, Discard: jetstream.DiscardOld, AllowDirect: true,
		Replicas: max(replicas, 1), Description: "ctihost's events, by host sequence",
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: stream: %w", err)
	}
	return &Log{nc: nc, js: js, stream: stream}, nil
}

func orUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// Close stops the store (an embedded one; written events stay in the
// folder) or lets go of a shared one.
func (l *Log) Close() {
	if l.own {
		l.nc.Close()
	}
	if l.ns != nil {
		l.ns.Shutdown()
		l.ns.WaitForShutdown()
	}
}

// Bounds are the first and last sequences kept (0, 0: empty). After
// limits removed every event, first is last+1.
func (l *Log) Bounds(ctx context.Context) (first, last uint64, err error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return info.State.FirstSeq, info.State.LastSeq, nil
}

// Append stores wire, the encoded ev, as sequence seq: the log's sequence
// must be seq-1 (the bus and the log count together), and the answer
// comes once the write is as durable as Options.Sync says.
func (l *Log) Append(ctx context.Context, seq uint64, ev *ctiv1.Event, wire []byte) error {
	ack, err := l.js.Publish(ctx, Subject(ev), wire, jetstream.WithExpectLastSequence(seq-1))
	if err != nil {
		return err
	}
	if ack.Sequence != seq {
		return fmt.Errorf("eventlog: stored as sequence %d, want %d", ack.Sequence, seq)
	}
	return nil
}

// Publish stores wire, the encoded ev, after whatever the other hosts of
// a cluster stored, and returns its sequence: the cluster's order.
func (l *Log) Publish(ctx context.Context, ev *ctiv1.Event, wire []byte) (uint64, error) {
	ack, err := l.js.Publish(ctx, Subject(ev), wire)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// Follow calls fn with every stored event from sequence from on, in
// order, as it is stored, until ctx ends. Each event's Sequence is its
// sequence in the log.
func (l *Log) Follow(ctx context.Context, from uint64, fn func(*ctiv1.Event)) error {
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(from, 1),
	})
	if err != nil {
		return err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		ev := &ctiv1.Event{}
		if proto.Unmarshal(m.Data(), ev) != nil {
			return
		}
		ev.Sequence = md.Sequence.Stream
		fn(ev)
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	cc.Stop()
	return ctx.Err()
}

// Read returns the stored events from sequence from on, at most max, in
// order; sequences the limits removed are skipped.
func (l *Log) Read(ctx context.Context, from uint64, max int) ([]*ctiv1.Event, [][]byte, error) {
	_, last, err := l.Bounds(ctx)
	if err != nil {
		return nil, nil, err
	}
	var events []*ctiv1.Event
	var wires [][]byte
	for seq := from; seq <= last && len(events) < max; seq++ {
		msg, err := l.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return events, wires, err
		}
		ev := &ctiv1.Event{}
		if err := proto.Unmarshal(msg.Data, ev); err != nil {
			continue // never written by ctihost; skipped rather than sent
		}
		wire := msg.Data
		if ev.GetSequence() != seq {
			// A cluster's hosts store events before the log numbers them.
			ev.Sequence = seq
			if wire, err = proto.Marshal(ev); err != nil {
				continue
			}
		}
		events, wires = append(events, ev), append(wires, wire)
	}
	return events, wires, nil
}

// Subject is ev's subject: cti.v1.events.<site>.<device>.<kind>, every
// token made safe for NATS ('.', '*', '>' and white space become '_';
// empty becomes '_').
func Subject(ev *ctiv1.Event) string {
	kind := "event"
	if p := ev.ProtoReflect().WhichOneof(ev.ProtoReflect().Descriptor().Oneofs().ByName("payload")); p != nil {
		kind = string(p.Name())
	}
	return SubjectPrefix + "." + token(ev.GetSite()) + "." + token(ev.GetDevice()) + "." + kind
}

func token(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}
