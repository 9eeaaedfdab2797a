package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// roundTrip writes a message and expects it back (the server echoes).
func roundTrip(t *testing.T, c *Conn) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Write(ctx, []byte{0, 0, 0, 1, 42}); err != nil {
		t.Fatalf("write: %v", err)
	}
	b, err := c.Read(ctx)
	if err != nil || !bytes.Equal(b, []byte{0, 0, 0, 1, 42}) {
		t.Fatalf("read: %x, %v", b, err)
	}
}

// httptestPlain starts a plain HTTP server and returns its host:port.
func httptestPlain(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// secretForms are the forms of the credentials no error may show.
var secretForms = []string{
	testPassword,
	base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword)),
	"Authorization",
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range secretForms {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
}

func TestDialBasicAuth(t *testing.T) {
	p := newPKI(t)
	srv := p.serve(t, pbx(t, echo))

	t.Run("accepted", func(t *testing.T) {
		c, err := Dial(testCtx(t), p.options(t, srv))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Subprotocol() != protocol {
			t.Errorf("subprotocol %q", c.Subprotocol())
		}
		roundTrip(t, c)
	})
	t.Run("from the URL's userinfo", func(t *testing.T) {
		opts := p.options(t, srv)
		opts.URL = strings.Replace(opts.URL, "wss://", "wss://"+testUser+":"+testPassword+"@", 1)
		opts.Username, opts.Password = "", ""
		c, err := Dial(testCtx(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
	for name, status := range map[string]int{"refused": http.StatusUnauthorized, "forbidden": http.StatusForbidden} {
		t.Run(name, func(t *testing.T) {
			srv := srv
			if status == http.StatusForbidden {
				srv = p.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "licence missing "+r.Header.Get("Authorization"), http.StatusForbidden)
				}))
			}
			opts := p.options(t, srv)
			opts.Password = testPassword + "-wrong"
			// The password also in the URL, where the library would quote it.
			opts.URL = strings.Replace(opts.URL, "wss://", "wss://"+testUser+":"+testPassword+"@", 1)
			_, err := Dial(testCtx(t), opts)
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("got %v, want ErrUnauthorized", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(status)) || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error %q should name the status and the server", err)
			}
			assertNoSecret(t, err)
			if strings.Contains(err.Error(), opts.Password) || strings.Contains(err.Error(), "licence") {
				t.Errorf("error %q quotes the password or the body", err)
			}
		})
	}
}

func TestDialRefusesOtherSubprotocol(t *testing.T) {
	p := newPKI(t)
	for name, h := range map[string]http.Handler{
		// A websocket server that does not know "openapi" selects none.
		"none selected": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err == nil {
				c.CloseNow()
			}
		}),
		"another selected": hijack(t, "other", func(net.Conn, *bufio.ReadWriter) {}),
	} {
		t.Run(name, func(t *testing.T) {
			srv := p.serve(t, h)
			_, err := Dial(testCtx(t), p.options(t, srv))
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("got %v, want ErrHandshake", err)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestDialClassifiesFailures(t *testing.T) {
	p := newPKI(t)
	notFound := p.serve(t, http.NotFoundHandler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	opts := p.options(t, notFound)
	_, err = Dial(testCtx(t), opts)
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: got %v, want ErrHandshake naming 404", err)
	}
	assertNoSecret(t, err)

	opts.URL = "wss://" + testUser + ":" + testPassword + "@" + closed + "/tpkt/openapi"
	_, err = Dial(testCtx(t), opts)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), closed) {
		t.Errorf("closed port: got %v, want ErrUnreachable naming %s", err, closed)
	}
	assertNoSecret(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Dial(ctx, opts)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Errorf("cancelled: got %v, want context.Canceled only", err)
	}

	for _, bad := range []Options{
		{URL: "https://pbx.example/tpkt/openapi"},
		{URL: "wss:///nohost"},
		{URL: "wss://pbx.example/", ReadLimit: -1},
		{URL: "wss://pbx.example/", TLS: TLSOptions{PinSHA256: "nope"}},
		{URL: "http://admin:" + testPassword + "@pbx.example/"},
	} {
		_, err := Dial(testCtx(t), bad)
		if err == nil || errors.Is(err, ErrUnreachable) {
			t.Errorf("%+v: got %v, want a configuration error", bad, err)
			continue
		}
		assertNoSecret(t, err)
	}
}

func TestReadRefusesTextMessages(t *testing.T) {
	p := newPKI(t)
	srv := p.serve(t, pbx(t, func(ctx context.Context, c *websocket.Conn) {
		c.Write(ctx, websocket.MessageText, []byte("hello"))
		c.Write(ctx, websocket.MessageBinary, []byte{1})
		c.Read(ctx) // until the client closes
	}))
	c, err := Dial(testCtx(t), p.options(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Read(testCtx(t)); !errors.Is(err, ErrTextMessage) {
		t.Errorf("text: got %v, want ErrTextMessage", err)
	}
	if b, err := c.Read(testCtx(t)); err != nil || !bytes.Equal(b, []byte{1}) {
		t.Errorf("binary after text: %x, %v", b, err)
	}
}

// TestReadLimitDoesNotBufferTheMessage sends the header of a 1 GiB message
// and only a little of it: the read must fail from what was sent, without
// waiting for the rest or allocating for it.
func TestReadLimitDoesNotBufferTheMessage(t *testing.T) {
	const limit = 64 << 10
	release := make(chan struct{})
	defer close(release)
	p := newPKI(t)
	srv := p.serve(t, hijack(t, protocol, func(conn net.Conn, rw *bufio.ReadWriter) {
		header := []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0} // FIN, binary, 64-bit length, unmasked
		binary.BigEndian.PutUint64(header[2:], 1<<30)
		rw.Write(header)
		rw.Write(make([]byte, 2*limit))
		rw.Flush()
		<-release // the rest never comes
	}))
	opts := p.options(t, srv)
	opts.ReadLimit = limit
	c, err := Dial(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.Read(testCtx(t))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("got %v, want ErrMessageTooBig", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("reading allocated %d bytes for a message it refused", grown)
	}
	if _, err := c.Read(testCtx(t)); err == nil {
		t.Error("the connection is still open after a message over the limit")
	}
}

func TestKeepaliveClosesSilentConnection(t *testing.T) {
	p := newPKI(t)
	release := make(chan struct{})
	defer close(release)
	// The server never reads, so it never answers a ping.
	srv := p.serve(t, pbx(t, func(context.Context, *websocket.Conn) { <-release }))
	opts := p.options(t, srv)
	opts.PingInterval = 10e6 // 10ms: how soon is not asserted, only what follows
	opts.PingTimeout = 50e6
	c, err := Dial(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Read(testCtx(t))
	if !errors.Is(err, ErrPingTimeout) {
		t.Fatalf("got %v, want ErrPingTimeout", err)
	}
	if err := c.Write(testCtx(t), []byte{1}); err == nil {
		t.Error("write works on a connection closed for a missing pong")
	}
}

func TestKeepaliveKeepsAnsweringConnection(t *testing.T) {
	p := newPKI(t)
	var pings atomic.Int32
	enough := make(chan struct{})
	srv := p.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: []string{protocol},
			OnPingReceived: func(context.Context, []byte) bool {
				if pings.Add(1) == 5 {
					close(enough)
				}
				return true
			},
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := c.CloseRead(r.Context()) // reads, so it answers pings
		<-enough
		c.Write(ctx, websocket.MessageBinary, []byte("still here"))
		<-ctx.Done()
	}))
	opts := p.options(t, srv)
	opts.PingInterval = 1e6 // 1ms
	opts.PingTimeout = 20e9 // generous: loopback answers, whatever the load
	c, err := Dial(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := c.Read(testCtx(t))
	if err != nil || string(b) != "still here" {
		t.Fatalf("after 5 pings: %q, %v", b, err)
	}
}

func TestConcurrentWritesDoNotInterleave(t *testing.T) {
	const writers, each = 8, 50
	p := newPKI(t)
	got := make(chan []byte, writers*each)
	srv := p.serve(t, pbx(t, func(ctx context.Context, c *websocket.Conn) {
		c.SetReadLimit(1 << 20)
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			got <- b
		}
	}))
	c, err := Dial(testCtx(t), p.options(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Big enough to span several TLS records and frames.
				msg := bytes.Repeat([]byte{byte(w)}, 20000+i)
				if err := c.Write(testCtx(t), msg); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for range writers * each {
		var b []byte
		select {
		case b = <-got:
		case <-testCtx(t).Done():
			t.Fatal("messages missing")
		}
		if len(b) < 20000 || bytes.Count(b, b[:1]) != len(b) {
			t.Fatalf("a message of %d bytes mixes writers", len(b))
		}
		key := fmt.Sprint(b[0], len(b))
		if seen[key] {
			t.Fatalf("message %s twice", key)
		}
		seen[key] = true
	}
}

func TestCloseIsIdempotentAndEndsRead(t *testing.T) {
	p := newPKI(t)
	srv := p.serve(t, pbx(t, echo))
	opts := p.options(t, srv)
	opts.PingInterval = 0 // the default: a loop runs and must stop
	c, err := Dial(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := c.Read(testCtx(t))
		readErr <- err
	}()
	if err := c.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := <-readErr; err == nil {
		t.Error("read after close returned a message")
	}
}

// TestNoGoroutineOutlivesItsConnection dials and closes in every way a
// reconnect loop does, and checks that no goroutine is left, on either
// side, while the server still runs: a refused handshake must not leave
// an idle connection, and Close must end the keepalive loop.
func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
	p := newPKI(t)
	srv := p.serve(t, pbx(t, echo))
	before := runtime.NumGoroutine()
	for range 3 {
		opts := p.options(t, srv)
		opts.Password = "wrong"
		if _, err := Dial(testCtx(t), opts); !errors.Is(err, ErrUnauthorized) {
			t.Fatal(err)
		}
	}
	opts := p.options(t, srv)
	opts.PingInterval = 1e6
	c, err := Dial(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c)
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for an outcome, not asserting a duration
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
