package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/auth"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// TestMain runs the tests with a user config folder of their own and none
// of the CTICTL_ variables, so that neither a developer's local token
// files nor their environment leak into them.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctictl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", dir)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	os.Setenv("AppData", filepath.Join(dir, "AppData"))
	for _, v := range []string{"CTICTL_ADDR", envToken, envTokenFile, envCA, envCert, envKey} {
		os.Unsetenv(v)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testToken is the token the gated fakes accept.
const testToken = "cti_Secret-Test-Token-1234567890"

// tokenGate is a server interceptor that answers UNAUTHENTICATED unless
// a request carries `authorization: Bearer <token>`, and PERMISSION_DENIED
// to Admin methods when adminDenied, as the host does for a client
// without the admin scope.
type tokenGate struct {
	adminDenied bool

	mu    sync.Mutex
	token string   // the token accepted; change it with setToken
	seen  []string // authorization values received, "" for none
}

// newGate returns a gate that accepts token.
func newGate(token string) *tokenGate { return &tokenGate{token: token} }

// setToken makes the gate accept token instead, as a restarted host does.
func (g *tokenGate) setToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token = token
}

// check applies the gate to one call of method.
func (g *tokenGate) check(ctx context.Context, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	got := strings.Join(md.Get("authorization"), ",")
	g.mu.Lock()
	g.seen = append(g.seen, got)
	want := "Bearer " + g.token
	g.mu.Unlock()
	if got != want {
		return status.Error(codes.Unauthenticated, "missing or unknown credentials")
	}
	if g.adminDenied && strings.HasPrefix(method, "/cti.v1.Admin/") {
		return status.Errorf(codes.PermissionDenied, `client "app1" lacks scope "admin" needed by %s`, method)
	}
	return nil
}

// last returns the authorization value of the last call.
func (g *tokenGate) last(t *testing.T) string {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		t.Fatal("the fake received no call")
	}
	return g.seen[len(g.seen)-1]
}

// options returns the server options that install the gate.
func (g *tokenGate) options() []grpc.ServerOption {
	return gate(g.check)
}

// gate returns server options that run check before every unary and
// streaming call.
func gate(check func(ctx context.Context, method string) error) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx, info.FullMethod); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context(), info.FullMethod); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

// listHost is a fake host whose ListDevices answers testDevices.
func listHost() *fakeHost {
	return &fakeHost{listDevices: func(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
		return testDevices, nil
	}}
}

// devicesTable is what `ctictl devices` prints for testDevices.
const devicesTable = "" +
	"DEVICE        KIND       MODEL      NAME            DRIVER       SOURCE      CAPABILITIES\n" +
	"hq/reception  phone      GXP2170    Reception Desk  grandstream  configured  dial,answer,send_keys\n" +
	"branch/201    extension  IP Office  Bob Smith       ipoffice     discovered  set_dnd\n"

// ownConfigDir points os.UserConfigDir at a fresh folder for the test and
// returns it.
func ownConfigDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	t.Setenv("AppData", filepath.Join(dir, "AppData"))
	return dir
}

// writeLocalToken writes token where a host at addr keeps its local token
// and returns the path.
func writeLocalToken(t *testing.T, addr, token string) string {
	t.Helper()
	path, err := auth.LocalTokenFile(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.WriteLocalToken(path, token); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeTokenFile writes token to a fresh file and returns its path.
func writeTokenFile(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noSecret fails the test if any of the tokens shows in the outputs.
func noSecret(t *testing.T, out, errOut string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if strings.Contains(out, tok) || strings.Contains(errOut, tok) {
			t.Errorf("a token was printed:\nstdout %q\nstderr %q", out, errOut)
		}
	}
}

// TestTokenSources sends the token from each source in turn, with every
// source after it in the order set to a wrong token: the call succeeds only
// if the first source found wins. The order is -token, -token-file,
// CTICTL_TOKEN, CTICTL_TOKEN_FILE, the local token file.
func TestTokenSources(t *testing.T) {
	g := newGate(testToken)
	addr := startFakeWith(t, listHost(), nil, g.options()...)
	sources := []struct {
		name string
		set  func(t *testing.T, token string) []string // returns flags to add
	}{
		{"flag", func(_ *testing.T, token string) []string { return []string{"-token", token} }},
		{"file flag", func(t *testing.T, token string) []string { return []string{"-token-file", writeTokenFile(t, token)} }},
		{"env", func(t *testing.T, token string) []string { t.Setenv(envToken, token); return nil }},
		{"file env", func(t *testing.T, token string) []string {
			t.Setenv(envTokenFile, writeTokenFile(t, token))
			return nil
		}},
		{"local file", func(t *testing.T, token string) []string { writeLocalToken(t, addr, token); return nil }},
	}
	for i, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			ownConfigDir(t)
			args := append([]string{"devices"}, src.set(t, testToken)...) // global flags after the command
			tokens := []string{testToken}
			for j, lower := range sources[i+1:] {
				wrong := fmt.Sprintf("cti_wrong-%d", j)
				tokens = append(tokens, wrong)
				args = append(args, lower.set(t, wrong)...)
			}
			code, out, errOut := runCLI(context.Background(), addr, args...)
			expect(t, code, out, errOut, 0, devicesTable, "")
			if got := g.last(t); got != "Bearer "+testToken {
				t.Errorf("the fake got authorization %q, want the token of the %s", got, src.name)
			}
			noSecret(t, out, errOut, tokens...)

			// The same with -json before the command: protojson, no token.
			code, out, errOut = runCLI(context.Background(), addr, append([]string{"-json"}, args...)...)
			if code != 0 || !strings.Contains(out, `"hq/reception"`) {
				t.Errorf("-json: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			noSecret(t, out, errOut, tokens...)
		})
	}
}

// TestNoTokenIsUnauthenticatedWithHint runs ctictl with no credential at
// all: it sends no authorization, and the host's UNAUTHENTICATED comes
// with a hint naming the local token file it looked for. The events stream
// ends on it instead of reconnecting.
func TestNoTokenIsUnauthenticatedWithHint(t *testing.T) {
	ownConfigDir(t)
	g := newGate(testToken)
	addr := startFakeWith(t, listHost(), nil, g.options()...)
	local, err := auth.LocalTokenFile(addr)
	if err != nil {
		t.Fatal(err)
	}
	hint := "ctictl: hint: ctictl found no token to send: no -token or -token-file flag, CTICTL_TOKEN and CTICTL_TOKEN_FILE " +
		"are unset, and there is no local token file " + local + ". On the host's machine, run ctictl as the user that runs " +
		"ctihost, so that the local token file it writes at every start is found; otherwise pass -token-file (or -token) " +
		"with a token issued in a client block of config.hcl\n"
	code, out, errOut := runCLI(context.Background(), addr, "devices")
	expect(t, code, out, errOut, 1, "", "ctictl: ListDevices: unauthenticated: missing or unknown credentials\n"+hint)
	if got := g.last(t); got != "" {
		t.Errorf("the fake got authorization %q, want none", got)
	}

	shortBackoff(t)
	code, out, errOut = runCLI(context.Background(), addr, "events")
	expect(t, code, out, errOut, 1, "", "ctictl: WatchEvents: unauthenticated: missing or unknown credentials\n"+hint)
}

// TestRejectedTokenHintNamesTheSource checks that when the host refuses a
// token, the hint names where it came from and never shows it.
func TestRejectedTokenHintNamesTheSource(t *testing.T) {
	ownConfigDir(t)
	const wrong = "cti_Wrong-Secret-0987654321"
	addr := startFakeWith(t, listHost(), nil, (newGate(testToken)).options()...)
	file := writeTokenFile(t, wrong)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"flag", []string{"-token", wrong}, "the -token flag"},
		{"file", []string{"-token-file", file}, "the -token-file flag (" + file + ")"},
		{"local", nil, "the local token file " + writeLocalToken(t, addr, wrong)},
	} {
		code, out, errOut := runCLI(context.Background(), addr, append(tc.args, "devices")...)
		want := "ctictl: hint: the host did not accept the token ctictl sent, from " + tc.want + ". On the host's machine"
		if code != 1 || !strings.Contains(errOut, "ctictl: ListDevices: unauthenticated: missing or unknown credentials\n") ||
			!strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and a hint with %q", tc.name, code, errOut, want)
		}
		noSecret(t, out, errOut, wrong)
	}
}

// TestTokenFileErrors checks that an unreadable token file is a usage
// error that names the file and sends nothing.
func TestTokenFileErrors(t *testing.T) {
	ownConfigDir(t)
	addr := startFake(t, nil, nil)
	empty := writeTokenFile(t, "")
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{args: []string{"-token-file", missing}, want: "ctictl: devices: the -token-file flag: open " + missing},
		{env: missing, want: "ctictl: devices: CTICTL_TOKEN_FILE: open " + missing},
		{args: []string{"-token-file", empty}, want: "ctictl: devices: the -token-file flag: " + empty + " is empty"},
		{args: []string{"-token", "two words"}, want: "ctictl: devices: the token from the -token flag holds spaces"},
	} {
		t.Setenv(envTokenFile, tc.env)
		code, _, errOut := runCLI(context.Background(), addr, append(tc.args, "devices")...)
		if code != 2 || !strings.HasPrefix(errOut, tc.want) {
			t.Errorf("%q %s: exit %d, stderr %q; want 2 and %q", tc.args, tc.env, code, errOut, tc.want)
		}
	}
}

// TestPermissionDeniedNamesTheScope checks that a client without the
// scope gets the host's message and a hint naming its credential.
func TestPermissionDeniedNamesTheScope(t *testing.T) {
	ownConfigDir(t)
	addr := startFakeWith(t, nil, nil, (&tokenGate{token: testToken, adminDenied: true}).options()...)
	code, out, errOut := runCLI(context.Background(), addr, "plugins", "-token", testToken)
	expect(t, code, out, errOut, 1, "", ""+
		"ctictl: ListPlugins: permission_denied: client \"app1\" lacks scope \"admin\" needed by /cti.v1.Admin/ListPlugins\n"+
		"ctictl: hint: the host knows the token from the -token flag but its client block in config.hcl does not allow "+
		"this (the message names the scope or site needed); ask for a token with it\n")
}

// TestPlaintextTokenStaysOnLoopback checks that a token is sent in
// plaintext only to a loopback address: elsewhere ctictl refuses before
// creating a connection, unless TLS is asked for.
func TestPlaintextTokenStaysOnLoopback(t *testing.T) {
	ownConfigDir(t)
	var dialled []string
	old := newClient
	newClient = func(target string, _ ...grpc.DialOption) (*grpc.ClientConn, error) {
		dialled = append(dialled, target)
		return nil, errors.New("not dialled in this test")
	}
	t.Cleanup(func() { newClient = old })
	writeLocalToken(t, "192.0.2.7:7070", testToken) // a host of this machine on a LAN address

	for _, tc := range []struct {
		args  []string
		env   string // CTICTL_TOKEN
		dials bool
	}{
		{args: []string{"-addr", "192.0.2.10:7070", "-token", testToken}},
		{args: []string{"-addr", "ctihost.example.com:7070"}, env: testToken},
		{args: []string{"-addr", "dns:///[2001:db8::1]:7070", "-token", testToken}},
		{args: []string{"-addr", "192.0.2.7:7070"}}, // the local token file, found for a LAN address
		{args: []string{"-addr", "127.0.0.1:7070", "-token", testToken}, dials: true},
		{args: []string{"-addr", "127.3.2.1:7070", "-token", testToken}, dials: true},
		{args: []string{"-addr", "localhost:7070", "-token", testToken}, dials: true},
		{args: []string{"-addr", "[::1]:7070"}, env: testToken, dials: true},
		{args: []string{"-addr", "192.0.2.10:7070", "-tls", "-token", testToken}, dials: true},
		{args: []string{"-addr", "192.0.2.10:7070", "-server-name", "cti.example.com", "-token", testToken}, dials: true},
		{args: []string{"-addr", "192.0.2.10:7070"}, dials: true}, // no token: nothing to protect
	} {
		dialled = nil
		t.Setenv(envToken, tc.env)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(tc.args, "devices"), &stdout, &stderr)
		out, errOut := stdout.String(), stderr.String()
		noSecret(t, out, errOut, testToken)
		if tc.dials {
			if code != 1 || len(dialled) != 1 || !strings.Contains(errOut, "not dialled in this test") {
				t.Errorf("%q: exit %d, dialled %q, stderr %q; want a connection", tc.args, code, dialled, errOut)
			}
			continue
		}
		if code != 2 || len(dialled) != 0 || !strings.Contains(errOut, "refusing to send the token from ") ||
			!strings.Contains(errOut, "which is not a loopback address: use -tls") {
			t.Errorf("%q: exit %d, dialled %q, stderr %q; want a usage error and no connection", tc.args, code, dialled, errOut)
		}
	}
}

// TestIsLoopback checks the addresses a token may reach in plaintext.
func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7070":            true,
		"127.255.0.9:7070":          true,
		"[::1]:7070":                true,
		"localhost:7070":            true,
		"LOCALHOST.:7070":           true,
		"localhost":                 true,
		"dns:///127.0.0.1:7070":     true,
		"passthrough:///[::1]:7070": true,
		"unix:///run/ctihost.sock":  true,
		"10.0.0.5:7070":             false,
		"[::ffff:10.0.0.5]:7070":    false,
		"0.0.0.0:7070":              false,
		"localhost.example.com:70":  false,
		"dns:///cti.example.com:70": false,
		"128.0.0.1:7070":            false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// testPKI is a CA made for a test, the host's certificate it signed
// (for 127.0.0.1 and ctihost.test), and files of both.
type testPKI struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
	server tls.Certificate
	pool   *x509.CertPool
}

// newPKI makes a CA and the host's certificate.
func newPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ctictl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caKey = key
	p.caFile = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", der)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca)
	certFile, keyFile := p.issue(t, "ctihost.test", x509.ExtKeyUsageServerAuth)
	if p.server, err = tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	return p
}

// issue signs a certificate for name (and, for a server, 127.0.0.1) and
// returns its certificate and key files.
func (p *testPKI) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

// writePEM writes one PEM block to path.
func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serverTLS returns the fake host's TLS option; with clientCAs it asks
// for a client certificate and verifies any it gets.
func (p *testPKI) serverTLS(clientCAs bool) grpc.ServerOption {
	cfg := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if clientCAs {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		cfg.ClientCAs = p.pool
	}
	return grpc.Creds(credentials.NewTLS(cfg))
}

// TestTLS checks a token sent over TLS to a host whose certificate a
// private CA signed: -ca and CTICTL_CA trust it, -server-name picks the
// name checked, and without the CA or with the wrong name the handshake
// fails.
func TestTLS(t *testing.T) {
	ownConfigDir(t)
	p := newPKI(t)
	g := newGate(testToken)
	addr := startFakeWith(t, listHost(), nil, append(g.options(), p.serverTLS(false))...)

	tokenFile := writeTokenFile(t, testToken)
	code, out, errOut := runCLI(context.Background(), addr, "-ca", p.caFile, "-token-file", tokenFile, "devices")
	expect(t, code, out, errOut, 0, devicesTable, "")
	code, out, errOut = runCLI(context.Background(), addr, "devices", "-server-name", "ctihost.test", "-ca", p.caFile, "-token", testToken)
	expect(t, code, out, errOut, 0, devicesTable, "")
	t.Setenv(envCA, p.caFile)
	t.Setenv(envToken, testToken)
	code, out, errOut = runCLI(context.Background(), addr, "devices")
	expect(t, code, out, errOut, 0, devicesTable, "")
	if got := g.last(t); got != "Bearer "+testToken {
		t.Errorf("the fake got authorization %q", got)
	}

	code, out, errOut = runCLI(context.Background(), addr, "devices", "-server-name", "other.test")
	if code != 1 || !strings.Contains(errOut, "ctictl: ListDevices: unavailable:") || !strings.Contains(errOut, "other.test") {
		t.Errorf("wrong -server-name: exit %d, stderr %q; want a certificate error", code, errOut)
	}
	noSecret(t, out, errOut, testToken)
	t.Setenv(envCA, "")
	code, out, errOut = runCLI(context.Background(), addr, "-tls", "devices") // the system roots do not know the CA
	if code != 1 || !strings.Contains(errOut, "ctictl: ListDevices: unavailable:") || !strings.Contains(errOut, "certificate") {
		t.Errorf("-tls with the system roots: exit %d, stderr %q; want a certificate error", code, errOut)
	}
	noSecret(t, out, errOut, testToken)
	code, _, errOut = runCLI(context.Background(), addr, "-ca", tokenFile, "devices")
	if code != 2 || !strings.Contains(errOut, "-ca: "+tokenFile+" holds no PEM certificate") {
		t.Errorf("-ca of a non-PEM file: exit %d, stderr %q", code, errOut)
	}
	noSecret(t, "", errOut, testToken)
}

// TestMutualTLS checks a client certificate, by flags and by environment,
// that the host maps to a client; a call without one, or with one the host
// does not know, is UNAUTHENTICATED with a hint; -cert needs -key.
func TestMutualTLS(t *testing.T) {
	ownConfigDir(t)
	p := newPKI(t)
	certFile, keyFile := p.issue(t, "app1", x509.ExtKeyUsageClientAuth)
	otherCert, otherKey := p.issue(t, "stranger", x509.ExtKeyUsageClientAuth)
	byCert := func(ctx context.Context, _ string) error {
		pr, _ := peer.FromContext(ctx)
		if info, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(info.State.VerifiedChains) > 0 &&
			info.State.VerifiedChains[0][0].Subject.CommonName == "app1" {
			return nil
		}
		return status.Error(codes.Unauthenticated, "missing or unknown credentials")
	}
	addr := startFakeWith(t, listHost(), nil, append(gate(byCert), p.serverTLS(true))...)

	code, out, errOut := runCLI(context.Background(), addr, "devices", "-ca", p.caFile, "-cert", certFile, "-key", keyFile)
	expect(t, code, out, errOut, 0, devicesTable, "")
	t.Setenv(envCA, p.caFile)
	t.Setenv(envCert, certFile)
	t.Setenv(envKey, keyFile)
	code, out, errOut = runCLI(context.Background(), addr, "devices")
	expect(t, code, out, errOut, 0, devicesTable, "")

	code, _, errOut = runCLI(context.Background(), addr, "devices", "-cert", otherCert, "-key", otherKey)
	if want := "ctictl: hint: ctictl sent no token, only the client certificate " + otherCert + ", and the host did not accept it."; code != 1 ||
		!strings.Contains(errOut, want) {
		t.Errorf("unknown certificate: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	t.Setenv(envCert, "")
	t.Setenv(envKey, "")
	code, _, errOut = runCLI(context.Background(), addr, "devices")
	if want := "ctictl: hint: ctictl found no token to send"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("no certificate: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	code, _, errOut = runCLI(context.Background(), addr, "devices", "-cert", certFile)
	if want := "ctictl: devices: -cert and -key go together"; code != 2 || !strings.HasPrefix(errOut, want) {
		t.Errorf("-cert without -key: exit %d, stderr %q; want 2 and %q", code, errOut, want)
	}
}

// TestEventsResumeWithTheRestartedHostsToken checks that `ctictl events`
// with the local token file survives a host restart: the host removes the
// file when it stops (ctictl says so and retries), writes a new token when
// it starts, and ctictl reconnects with it.
func TestEventsResumeWithTheRestartedHostsToken(t *testing.T) {
	ownConfigDir(t)
	shortBackoff(t)
	const newToken = "cti_After-The-Restart-42"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := newGate(testToken)
	var streams atomic.Int32
	var local string
	addr := startFakeWith(t, &fakeHost{watchEvents: func(_ *ctiv1.WatchEventsRequest, s grpc.ServerStreamingServer[ctiv1.Event]) error {
		if streams.Add(1) == 1 { // the host stops: its token file goes, the stream ends
			if err := os.Remove(local); err != nil {
				return err
			}
			return status.Error(codes.Unavailable, "host is shutting down")
		}
		cancel() // the restarted host's stream: the user presses Ctrl-C
		<-s.Context().Done()
		return s.Context().Err()
	}}, nil, g.options()...)
	local = writeLocalToken(t, addr, testToken)

	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"-addr", addr, "events"}, &stdout, &stderr) }()
	waiting := "ctictl: events: WatchEvents: unavailable: token file: open " + local
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), waiting) {
		if time.Now().After(deadline) {
			t.Fatalf("ctictl did not report the missing token file; stderr %q", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	g.setToken(newToken) // the host restarts with a new token
	writeLocalToken(t, addr, newToken)
	if code := <-done; code != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if got := g.last(t); got != "Bearer "+newToken {
		t.Errorf("last authorization %q, want the new token", got)
	}
	noSecret(t, stdout.String(), stderr.String(), testToken, newToken)
}

// syncBuffer is a bytes.Buffer that a test may read while ctictl writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
