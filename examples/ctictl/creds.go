package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/auth"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The environment variables ctictl reads besides CTICTL_ADDR.
const (
	envToken     = "CTICTL_TOKEN"
	envTokenFile = "CTICTL_TOKEN_FILE"
	envCA        = "CTICTL_CA"
	envCert      = "CTICTL_CERT"
	envKey       = "CTICTL_KEY"
)

// newClient creates the connection; a variable so that tests can check
// that ctictl refuses some commands before creating any.
var newClient = grpc.NewClient

// credential is the bearer token ctictl sends, if any, and where it came
// from. The token itself is never printed: messages name its source.
type credential struct {
	// token is the bearer token; "" sends none.
	token string
	// file is the file token came from, if it came from one: a host
	// rewrites its local token file at every start, so each call reads it
	// again and `ctictl events` resumes after a restart.
	file string
	// source says where token came from, e.g. "the -token-file flag
	// (/home/ann/app.token)"; "" when there is no token.
	source string
	// localFile is the local token file ctictl looked for and did not find,
	// when it found no token; "" when -addr names no host:port.
	localFile string
	// cert is the client certificate file sent over mutual TLS, if any.
	cert string
}

// bearer sends a token as `authorization: Bearer <token>` metadata on
// every RPC.
type bearer struct {
	// token is the bearer token, read when ctictl started.
	token string
	// file, if set, is read again for the token on every call.
	file string
	// tls says whether the connection is TLS, in which case gRPC refuses to
	// send the token over anything else.
	tls bool
}

// GetRequestMetadata returns the authorization header. A token file that
// cannot be read (a host removes its local token file when it stops) fails
// the call as UNAVAILABLE, which `ctictl events` retries.
func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	token := b.token
	if b.file != "" {
		var err error
		if token, err = auth.ReadTokenFile(b.file); err != nil {
			return nil, status.Errorf(codes.Unavailable, "token file: %v", err)
		}
	}
	return map[string]string{"authorization": "Bearer " + token}, nil
}

// RequireTransportSecurity reports whether the token needs TLS. A
// plaintext connection carries it only to a loopback address, which
// connection checks before dialling.
func (b bearer) RequireTransportSecurity() bool { return b.tls }

// String hides the token should a bearer ever be printed.
func (b bearer) String() string { return "bearer(redacted)" }

// tlsWanted reports whether any TLS flag is set.
func (o *options) tlsWanted() bool {
	return o.tls || o.ca != "" || o.cert != "" || o.key != "" || o.serverName != ""
}

// connection resolves the credential and the transport the options ask
// for and returns them as dial options. Every mistake is a usage error,
// found before anything is dialled.
func (o *options) connection() (*credential, []grpc.DialOption, error) {
	cred, err := o.credential()
	if err != nil {
		return nil, nil, err
	}
	cred.cert = o.cert
	var opts []grpc.DialOption
	if o.tlsWanted() {
		cfg, err := o.tlsConfig()
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	} else {
		if cred.token != "" && !isLoopback(o.addr) {
			return nil, nil, usagef("refusing to send the token from %s in plaintext to %s, which is not a loopback address: "+
				"use -tls (or -ca FILE for a host certificate of a private CA) to reach the host over TLS",
				cred.source, o.addr)
		}
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if cred.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: cred.token, file: cred.file, tls: o.tlsWanted()}))
	}
	return cred, opts, nil
}

// credential finds the token to send; the first found wins: -token,
// -token-file, CTICTL_TOKEN, CTICTL_TOKEN_FILE (flags before the
// environment, as usual), then the local token file
// of a host on this machine at -addr. A missing local token file is not
// an error: ctictl then sends no token.
func (o *options) credential() (*credential, error) {
	literal := func(token, source string) (*credential, error) {
		token = strings.TrimSpace(token)
		if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, usagef("the token from %s holds spaces or control characters: not a token", source)
		}
		return &credential{token: token, source: source}, nil
	}
	file := func(path, source string) (*credential, error) {
		token, err := auth.ReadTokenFile(path)
		if err != nil {
			return nil, usagef("%s: %v", source, err)
		}
		return &credential{token: token, file: path, source: fmt.Sprintf("%s (%s)", source, path)}, nil
	}
	switch {
	case o.token != "":
		return literal(o.token, "the -token flag")
	case o.tokenFile != "":
		return file(o.tokenFile, "the -token-file flag")
	case os.Getenv(envToken) != "":
		return literal(os.Getenv(envToken), envToken)
	case os.Getenv(envTokenFile) != "":
		return file(os.Getenv(envTokenFile), envTokenFile)
	}
	path, err := auth.LocalTokenFile(endpoint(o.addr))
	if err != nil {
		// No user config folder, or an address that is no host:port
		// (a unix socket): there is no local token file to look for.
		return &credential{}, nil
	}
	token, err := auth.ReadTokenFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &credential{localFile: path}, nil
	case err != nil:
		return nil, usagef("the local token file: %v; pass -token-file or -token instead", err)
	}
	return &credential{token: token, file: path, source: "the local token file " + path}, nil
}

// tlsConfig builds the client TLS configuration: TLS 1.2 or later, the
// system roots or -ca, and -cert/-key for mutual TLS.
func (o *options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName}
	if o.ca != "" {
		b, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, usagef("-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, usagef("-ca: %s holds no PEM certificate", o.ca)
		}
		cfg.RootCAs = pool
	}
	switch {
	case o.cert == "" && o.key == "":
	case o.cert == "" || o.key == "":
		return nil, usagef("-cert and -key go together: give both files for a client certificate, or neither")
	default:
		pair, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, usagef("-cert %s, -key %s: %v", o.cert, o.key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// endpoint returns the host:port of a gRPC target: addr itself, or what
// follows the scheme and authority of "dns:///host:port" and the like.
func endpoint(addr string) string {
	if _, rest, ok := strings.Cut(addr, "://"); ok {
		if _, ep, ok := strings.Cut(rest, "/"); ok {
			return ep
		}
		return rest
	}
	return addr
}

// isLoopback reports whether the target addr stays on this machine:
// 127.0.0.0/8, ::1, localhost, or a unix socket. It resolves nothing.
func isLoopback(addr string) bool {
	if strings.HasPrefix(addr, "unix:") || strings.HasPrefix(addr, "unix-abstract:") {
		return true
	}
	ep := endpoint(addr)
	host, _, err := net.SplitHostPort(ep)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(ep, "["), "]")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	host, _, _ = strings.Cut(host, "%") // an IPv6 zone
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authHint says, for an UNAUTHENTICATED or PERMISSION_DENIED error from
// the host, which credential ctictl used and what to do; "" for other
// errors. It never shows the token.
func (c *credential) authHint(err error) string {
	if c == nil {
		return ""
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unauthenticated:
		var used string
		switch {
		case c.token != "":
			used = "the host did not accept the token ctictl sent, from " + c.source
		case c.cert != "":
			used = "ctictl sent no token, only the client certificate " + c.cert + ", and the host did not accept it"
		case c.localFile != "":
			used = "ctictl found no token to send: no -token or -token-file flag, " + envToken + " and " + envTokenFile +
				" are unset, and there is no local token file " + c.localFile
		default:
			used = "ctictl found no token to send: no -token or -token-file flag, " + envToken + " and " + envTokenFile +
				" are unset, and -addr names no host:port to find a local token file for"
		}
		return used + ". On the host's machine, run ctictl as the user that runs ctihost, so that the local token " +
			"file it writes at every start is found; otherwise pass -token-file (or -token) with a token issued " +
			"in a client block of config.hcl"
	case codes.PermissionDenied:
		for _, d := range st.Details() {
			if _, ok := d.(*ctiv1.VendorError); ok {
				return "" // a device refused its configured secret: not ctictl's credential
			}
		}
		var used string
		switch {
		case c.token != "":
			used = "the token from " + c.source
		case c.cert != "":
			used = "the client certificate " + c.cert
		default:
			return ""
		}
		return "the host knows " + used + " but its client block in config.hcl does not allow this " +
			"(the message names the scope or site needed); ask for a token with it"
	}
	return ""
}
