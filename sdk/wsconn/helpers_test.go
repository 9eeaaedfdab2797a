package wsconn

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	testUser     = "TestApplication"
	testPassword = "s3cret-Pa55word"
	protocol     = "openapi"
)

// pki is a CA and a leaf it signed for 127.0.0.1 and "pbx.example".
type pki struct {
	ca, leaf *x509.Certificate
	leafKey  *ecdsa.PrivateKey
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pbx.example"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"pbx.example"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return &pki{ca: ca, leaf: leaf, leafKey: leafKey}
}

// caFile writes the CA as a PEM file and returns its path.
func (p *pki) caFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pinOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return Fingerprint(sum[:])
}

// serve starts a TLS server presenting p's leaf and chain, with h.
func (p *pki) serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{
		Certificate: [][]byte{p.leaf.Raw, p.ca.Raw},
		PrivateKey:  p.leafKey,
		Leaf:        p.leaf,
	}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// wsURL turns an https:// test server URL into wss:// with path.
func wsURL(srv *httptest.Server, path string) string {
	return "wss" + strings.TrimPrefix(srv.URL, "https") + path
}

// pbx is a handler like IP Office's tpkt/openapi: Basic auth, subprotocol
// openapi, then session(ctx, conn) runs until it returns.
func pbx(t *testing.T, session func(ctx context.Context, c *websocket.Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testUser || pass != testPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="openapi"`)
			// Echo what was sent: the client must not quote the body.
			http.Error(w, "bad credentials "+r.Header.Get("Authorization"), http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{protocol}})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		session(r.Context(), c)
	})
}

// echo answers every message with itself.
func echo(ctx context.Context, c *websocket.Conn) {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if c.Write(ctx, typ, b) != nil {
			return
		}
	}
}

// hijack is a handler that completes the websocket handshake by hand
// (selecting subprotocol, if any) and then gives the raw connection to
// after, which owns it.
func hijack(t *testing.T, subprotocol string, after func(conn net.Conn, rw *bufio.ReadWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
		rw.WriteString("Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n")
		if subprotocol != "" {
			rw.WriteString("Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
		}
		rw.WriteString("\r\n")
		if err := rw.Flush(); err != nil {
			t.Errorf("handshake: %v", err)
			return
		}
		after(conn, rw)
	})
}

// options returns Options for srv that trust p by CA file.
func (p *pki) options(t *testing.T, srv *httptest.Server) Options {
	return Options{
		URL: wsURL(srv, "/tpkt/openapi"), Subprotocol: protocol,
		Username: testUser, Password: testPassword,
		TLS:          TLSOptions{CAFile: p.caFile(t)},
		PingInterval: -1,
	}
}

// testCtx is a context that ends with the test, bounding every wait so
// that a hang fails the test instead of the run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
