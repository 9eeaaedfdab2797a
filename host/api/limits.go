package api

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// Fixed server limits; the ones operators may need to change are in the
// host block (see Limits).
const (
	// maxStreamsPerConnection bounds the calls in progress on one
	// connection: one connection used to hold 20,000 event streams.
	maxStreamsPerConnection = 100
	// maxRequestBytes bounds a request message. Every request is small;
	// the largest is a WatchEvents naming many devices.
	maxRequestBytes = 1 << 20
	// handshakeTimeout bounds the TLS and HTTP/2 handshake of a new
	// connection.
	handshakeTimeout = 5 * time.Second
	// firstMessageTimeout bounds the wait for a call's request once its
	// headers arrived: a call whose body never comes is ended.
	firstMessageTimeout = 10 * time.Second
	// maxConnectionAge sends long-lived connections a GOAWAY once a day
	// (their calls go on for maxConnectionAgeGrace), so no connection is
	// held forever; event streams resume with from_sequence.
	maxConnectionAge      = 24 * time.Hour
	maxConnectionAgeGrace = time.Hour
)

// Limits are the server limits the host block sets.
type Limits struct {
	// MaxConnections is how many connections may be open at once; more are
	// closed as soon as they are accepted.
	MaxConnections int
	// MaxSubscribers bounds the open WatchEvents streams, all clients
	// together; MaxClientSubscribers those of one client.
	MaxSubscribers, MaxClientSubscribers int
	// IdleTimeout closes a connection that has had no call in progress for
	// this long.
	IdleTimeout time.Duration
}

// withDefaults fills in what is unset.
func (l Limits) withDefaults() Limits {
	if l.MaxConnections <= 0 {
		l.MaxConnections = 256
	}
	if l.MaxSubscribers <= 0 {
		l.MaxSubscribers = 1024
	}
	if l.MaxClientSubscribers <= 0 {
		l.MaxClientSubscribers = 128
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = time.Minute
	}
	return l
}

// firstMessageKey carries the timer that ends a call whose request does
// not arrive.
type firstMessageKey struct{}

// tapFirstMessage runs when a call's headers arrive, before gRPC waits for
// its request: the call's context is cancelled unless the request arrives
// within firstMessageTimeout (firstMessage stops the timer).
func tapFirstMessage(ctx context.Context, _ *tap.Info) (context.Context, error) {
	ctx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(firstMessageTimeout, cancel)
	return context.WithValue(ctx, firstMessageKey{}, timer), nil
}

// firstMessage records that the call's request arrived.
func firstMessage(ctx context.Context) {
	if t, ok := ctx.Value(firstMessageKey{}).(*time.Timer); ok {
		t.Stop()
	}
}

// firstMessageStream stops the first-message timer when a stream's first
// request arrives.
type firstMessageStream struct {
	grpc.ServerStream
	got atomic.Bool
}

func (s *firstMessageStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && !s.got.Swap(true) {
		firstMessage(s.ServerStream.Context())
	}
	return err
}

// limitListener closes connections beyond max at once, rather than
// leaving them waiting in the kernel's queue where a client hangs.
type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, max: int64(max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// countedConn gives its slot back once when closed.
type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// subscribers counts open event streams, overall and per client.
type subscribers struct {
	limits Limits

	mu     sync.Mutex
	total  int
	client map[string]int
}

// acquire takes a slot for one stream of client, or returns
// RESOURCE_EXHAUSTED saying which bound was hit.
func (s *subscribers) acquire(client string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= s.limits.MaxSubscribers {
		return nil, status.Errorf(codes.ResourceExhausted, "the host serves %d event streams, its limit (max_subscribers); retry later", s.total)
	}
	if s.client[client] >= s.limits.MaxClientSubscribers {
		return nil, status.Errorf(codes.ResourceExhausted, "client %q has %d event streams open, its limit (max_client_subscribers); close one: one stream with filters serves many devices", client, s.client[client])
	}
	if s.client == nil {
		s.client = map[string]int{}
	}
	s.total++
	s.client[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.total--
			if s.client[client]--; s.client[client] == 0 {
				delete(s.client, client)
			}
			s.mu.Unlock()
		})
	}, nil
}
