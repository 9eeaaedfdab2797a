package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/host/auth"
	"github.com/ctihost/ctihost/host/config"
)

// clientsOf returns the API clients of a configuration, plus the local
// client when localToken is set: the user who runs the host, with every
// scope at every site.
func clientsOf(cfg *config.Config, localToken string) *auth.Clients {
	var list []*auth.Client
	for _, c := range cfg.Clients {
		ac := &auth.Client{Name: c.Name, CertificateName: c.CertificateName, Sites: c.Sites}
		for _, s := range c.Scopes {
			ac.Scopes = append(ac.Scopes, auth.Scope(s))
		}
		switch {
		case c.Token != "":
			ac.TokenSHA256, ac.HasToken = auth.HashToken(c.Token), true
		case c.TokenSHA256 != "":
			if sum, err := hex.DecodeString(c.TokenSHA256); err == nil && len(sum) == 32 {
				copy(ac.TokenSHA256[:], sum)
				ac.HasToken = true
			}
		}
		list = append(list, ac)
	}
	if localToken != "" {
		list = append(list, &auth.Client{
			Name: auth.LocalClientName, TokenSHA256: auth.HashToken(localToken), HasToken: true,
			Sites: []string{auth.AllSites}, Scopes: auth.Scopes,
		})
	}
	return auth.NewClients(list)
}

// tokenSecrets are the client tokens of a configuration, for redaction.
func tokenSecrets(cfg *config.Config) []string {
	var out []string
	for _, c := range cfg.Clients {
		if c.Token != "" {
			out = append(out, c.Token)
		}
	}
	for _, w := range cfg.Webhooks {
		out = append(out, w.Secret)
	}
	if cfg.Cluster != nil && cfg.Cluster.Token != "" {
		out = append(out, cfg.Cluster.Token)
	}
	for _, r := range cfg.Screenings {
		if r.Secret != "" {
			out = append(out, r.Secret)
		}
	}
	return out
}

// tlsConfig returns the API's TLS configuration, or nil without TLS: the
// host block's certificate and key, and with a client CA, client
// certificates required and verified (mTLS).
func tlsConfig(h config.Host) (*tls.Config, error) {
	if h.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls_cert_file/tls_key_file: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if h.TLSClientCAFile != "" {
		pem, err := os.ReadFile(h.TLSClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("tls_client_ca_file holds no PEM certificate")
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// checkExposure refuses an API beyond loopback without TLS, unless the
// operator wrote insecure_plaintext = true, which is logged loudly at every
// start.
func checkExposure(h config.Host, logger hclog.Logger) error {
	if h.TLSCertFile != "" || isLoopback(h.Listen) {
		return nil
	}
	if !h.InsecurePlaintext {
		return fmt.Errorf("listen = %q reaches beyond loopback without TLS: tokens and commands would cross the network in clear; set tls_cert_file and tls_key_file, or (on a network you trust completely) insecure_plaintext = true", h.Listen)
	}
	logger.Warn("INSECURE: the host API is served in plaintext beyond loopback (insecure_plaintext = true); anyone on the network path can read and replay the tokens", "listen", h.Listen)
	return nil
}

// auditLogger returns the audit log: "ctihost.audit" lines in the host
// log's output and format, or JSON lines appended to the host block's
// audit_log file (mode 0600). Either way it writes at every log_level: an
// operator who quiets the log keeps the audit. The closer closes the file.
func auditLogger(h config.Host, logOut io.Writer) (hclog.Logger, io.Closer, error) {
	out, closer := logOut, io.Closer(nopCloser{})
	if h.AuditLog != "" {
		f, err := os.OpenFile(h.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("audit_log: %w", err)
		}
		out, closer = f, f
	}
	return hclog.New(&hclog.LoggerOptions{
		Name: "ctihost.audit", Level: hclog.Info, Output: out,
		JSONFormat: h.AuditLog != "" || h.LogFormat == "json",
	}), closer, nil
}

// localTokenAddr is the address ctictl uses to reach a host listening on
// addr: an unspecified address (":7070", "0.0.0.0:7070") is reached on
// 127.0.0.1.
func localTokenAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
