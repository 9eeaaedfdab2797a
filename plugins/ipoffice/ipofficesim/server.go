package ipofficesim

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// ServerHeader is the Server header IP Office sends in its 101 answer
// (vendor document line 4636).
const ServerHeader = "IPOffice/WebSocketServer/"

// Server is a simulated IP Office serving MTCTI3. Build it with New, serve
// it with Start or ServeTLS (or mount it as an http.Handler behind your own
// TLS), drive the far ends with RingUser, RingQueue and the other controls,
// and Close it. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   Clock
	log     *slog.Logger
	ackKind NotifyKinds
	version string

	cert    tls.Certificate
	certPEM []byte
	certSum [32]byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex // guards everything below, and the whole model

	users      []*user
	queues     []*queue
	legs       []*leg // live legs, in creation order
	qcalls     []*queueCall
	parks      map[string]*parkCall
	nextID     int
	gcidSeq    uint32
	guidSeq    int
	justEnded  []*leg
	conns      map[int]*conn
	connSeq    int
	pending    int // upgrades accepted but not yet registered
	refuse     bool
	slow       int64 // time.Duration of SetSlowAnswers
	httpServer *http.Server
	closed     bool
}

// New builds a Server. It generates the self-signed certificate unless
// opts.Certificate is set, and panics if that fails or if the users and
// queues are inconsistent (duplicate or empty numbers): both are programming
// errors of the test that builds it.
func New(opts Options) *Server {
	s := &Server{
		opts:    opts,
		clock:   opts.Clock,
		log:     opts.Logger,
		ackKind: opts.NotifyAckRequired,
		version: opts.Version,
		parks:   map[string]*parkCall{},
		conns:   map[int]*conn{},
		gcidSeq: 1000,
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.ackKind == 0 {
		s.ackKind = DefaultAckKinds
	}
	if s.version == "" {
		s.version = DefaultVersion
	}
	if s.opts.Username == "" && s.opts.Password == "" {
		s.opts.Username, s.opts.Password = DefaultUsername, DefaultPassword
	}
	if s.opts.NotifyQueueLimit <= 0 {
		s.opts.NotifyQueueLimit = 1000
	}
	if s.opts.MaxConnections <= 0 {
		s.opts.MaxConnections = 10
	}
	if s.opts.CallAppearances <= 0 {
		s.opts.CallAppearances = 3
	}
	if opts.Certificate != nil {
		s.cert = *opts.Certificate
	} else {
		c, err := selfSigned(opts.Hosts)
		if err != nil {
			panic(fmt.Sprintf("ipofficesim: certificate: %v", err))
		}
		s.cert = c
	}
	var err error
	if s.certPEM, s.certSum, err = certInfo(&s.cert); err != nil {
		panic(err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, u := range opts.Users {
		if err := s.addUser(u); err != nil {
			panic(err)
		}
	}
	for _, q := range opts.Queues {
		if err := s.addQueue(q); err != nil {
			panic(err)
		}
	}
	return s
}

// CertPEM returns the PEM encoding of the certificate the server presents,
// for a client to trust (x509.CertPool.AppendCertsFromPEM).
func (s *Server) CertPEM() []byte { return append([]byte(nil), s.certPEM...) }

// CertSHA256 returns the SHA-256 of the DER certificate the server
// presents, for a client that pins it.
func (s *Server) CertSHA256() [32]byte { return s.certSum }

// CertFingerprint returns CertSHA256 as colon-separated upper-case hex, the
// way browsers and openssl print it.
func (s *Server) CertFingerprint() string {
	h := strings.ToUpper(hex.EncodeToString(s.certSum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// TLSConfig returns the server side TLS configuration ServeTLS uses.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
}

// Start serves on a new loopback listener (127.0.0.1, a free port) in the
// background and returns its address, host:port. Use it with URL.
func (s *Server) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.ServeTLS(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}

// ServeTLS serves wss on ln until Close, with the server's certificate. It
// returns http.ErrServerClosed after Close.
func (s *Server) ServeTLS(ln net.Listener) error {
	hs := &http.Server{
		Handler:  s,
		ErrorLog: log.New(io.Discard, "", 0), // a client refusing our certificate is not news
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.httpServer = hs
	s.mu.Unlock()
	return hs.Serve(tls.NewListener(ln, s.TLSConfig()))
}

// URL returns the wss URL of the endpoint for framing f at addr, as
// returned by Start.
func URL(addr string, f mtcti.Framing) string { return "wss://" + addr + f.Path() }

// Close stops serving, closes every connection abruptly and waits for the
// server's goroutines. Far-end controls keep working on the model after
// Close, without clients.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	hs := s.httpServer
	conns := s.connList()
	s.mu.Unlock()
	var err error
	if hs != nil {
		err = hs.Close()
	}
	for _, c := range conns {
		c.ws.CloseNow()
	}
	s.cancel()
	s.wg.Wait()
	return err
}

// ServeHTTP answers the websocket upgrade on /tpkt/openapi (framed) and
// /tpkt/openapinoframing (lines 200-231, 4314-4320). It refuses bad
// credentials with 401 and an 11th connection with 503 before upgrading.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var f mtcti.Framing
	switch r.URL.Path {
	case mtcti.Framed.Path():
		f = mtcti.Framed
	case mtcti.NoFraming.Path():
		f = mtcti.NoFraming
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Server", ServerHeader)
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	refuse := s.refuse
	s.mu.Unlock()
	if !ok || refuse || !s.credentialsOK(user, pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="IPOffice"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if !s.opts.AllowNoSubprotocol && !offersSubprotocol(r) {
		http.Error(w, "Sec-WebSocket-Protocol must offer "+mtcti.Subprotocol, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed || len(s.conns)+s.pending >= s.opts.MaxConnections {
		s.mu.Unlock()
		http.Error(w, "Service Unavailable: too many MTCTI3 connections", http.StatusServiceUnavailable)
		return
	}
	s.pending++
	s.wg.Add(2) // before Close can set closed and Wait: the reader and the writer
	s.mu.Unlock()

	// IP Office's 101 also carries the version (line 4640).
	w.Header().Set("Sec-WebSocket-Version", "13")
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{mtcti.Subprotocol},
		InsecureSkipVerify: true, // IP Office checks no Origin
	})
	s.mu.Lock()
	s.pending--
	if err != nil || s.closed {
		s.mu.Unlock()
		if ws != nil {
			ws.CloseNow()
		}
		s.wg.Add(-2)
		s.log.Debug("upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(mtcti.MaxFrameSize)
	s.connSeq++
	c := newConn(s, s.connSeq, ws, f)
	s.conns[c.id] = c
	s.mu.Unlock()
	s.log.Debug("connected", "conn", c.id, "framing", f, "remote", r.RemoteAddr)
	go func() { defer s.wg.Done(); c.writeLoop() }()
	c.readLoop()
	s.wg.Done()
}

func (s *Server) credentialsOK(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password))
	return u&p == 1
}

func offersSubprotocol(r *http.Request) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), mtcti.Subprotocol) {
				return true
			}
		}
	}
	return false
}

// connList returns the connections in id order. Caller holds s.mu.
func (s *Server) connList() []*conn {
	out := make([]*conn, 0, len(s.conns))
	for i := 1; i <= s.connSeq; i++ {
		if c := s.conns[i]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// id hands out model ids. Caller holds s.mu.
func (s *Server) id() int { s.nextID++; return s.nextID }

// settle finishes an event: queues offer waiting calls to free agents, then
// every subscription is told what changed. Caller holds s.mu.
func (s *Server) settle() {
	s.distribute()
	s.commit()
}
