package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// pki is a CA made for one test.
type pki struct {
	dir  string
	ca   *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), pool: x509.NewCertPool()}
	var err error
	if p.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.pool.AddCert(p.ca)
	writePEMFile(t, filepath.Join(p.dir, "ca.pem"), "CERTIFICATE", der)
	return p
}

// issue signs a certificate for name and writes name.pem and name-key.pem.
func (p *pki) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writePEMFile(t, certFile, "CERTIFICATE", der)
	writePEMFile(t, keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEMFile(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dialTLS connects over TLS trusting p, presenting the client certificate
// of name ("" for none) and token ("" for none).
func (p *pki) dialTLS(t *testing.T, addr, name, token string) ctiv1.HostClient {
	t.Helper()
	cfg := &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}
	if name != "" {
		cert, err := tls.LoadX509KeyPair(filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(token)))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ctiv1.NewHostClient(conn)
}

// With TLS and a client CA, a client certificate is the credential: its
// name maps to a client block's sites and scopes; no certificate, an
// unknown one or plaintext get nothing.
func TestMutualTLSMapsCertificatesToClients(t *testing.T) {
	p := newTestPKI(t)
	certFile, keyFile := p.issue(t, "ctihost.test", x509.ExtKeyUsageServerAuth)
	p.issue(t, "crm.test", x509.ExtKeyUsageClientAuth)
	p.issue(t, "stranger.test", x509.ExtKeyUsageClientAuth)
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}, "branch": {newPhone(t, "desk1", "GXP2135")}},
		fmt.Sprintf("tls_cert_file = %q", certFile), fmt.Sprintf("tls_key_file = %q", keyFile),
		fmt.Sprintf("tls_client_ca_file = %q", filepath.Join(p.dir, "ca.pem")))
	appendFile(t, path, "client \"crm\" {\n  certificate_name = \"crm.test\"\n  sites = [\"hq\"]\n  scopes = [\"events\"]\n}\n")
	h := launchHost(t, listen, path)
	crm := p.dialTLS(t, listen, "crm.test", "")
	var list *ctiv1.ListDevicesResponse
	waitFor(t, 20*time.Second, "the host over mTLS", func() bool {
		var err error
		list, err = crm.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{})
		return err == nil && len(list.GetDevices()) == 1 && len(list.GetDevices()[0].GetCapabilities()) > 0
	})
	ctx := context.Background()
	if got := list.GetDevices()[0].GetDevice(); got != "hq/reception" {
		t.Errorf("the crm certificate sees %s, want hq/reception only", got)
	}
	if _, err := crm.Dial(ctx, &ctiv1.DialRequest{Device: "hq/reception", Destination: "100"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dial by a certificate with the events scope: %v, want PermissionDenied", err)
	}
	stranger := p.dialTLS(t, listen, "stranger.test", "")
	if _, err := stranger.ListDevices(ctx, &ctiv1.ListDevicesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a valid certificate no client block names: %v, want Unauthenticated", err)
	}
	// The local token still works, over mTLS, and takes precedence.
	token, err := os.ReadFile(h.localTokenFile())
	if err != nil {
		t.Fatal(err)
	}
	owner := p.dialTLS(t, listen, "crm.test", strings.TrimSpace(string(token)))
	if all, err := owner.ListDevices(ctx, &ctiv1.ListDevicesRequest{}); err != nil || len(all.GetDevices()) != 2 {
		t.Errorf("the local token over mTLS: %v %v, want both sites", all, err)
	}
	// No client certificate, or plaintext: the connection itself fails.
	for name, c := range map[string]ctiv1.HostClient{"no certificate": p.dialTLS(t, listen, "", string(token)), "plaintext": plainClient(t, listen)} {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := c.ListDevices(cctx, &ctiv1.ListDevicesRequest{})
		cancel()
		if err == nil {
			t.Errorf("%s: the call went through", name)
		}
	}
}

func plainClient(t *testing.T, addr string) ctiv1.HostClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ctiv1.NewHostClient(conn)
}
