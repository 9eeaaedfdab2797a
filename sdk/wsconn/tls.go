package wsconn

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSOptions is how a driver trusts the server's certificate. The zero
// value trusts the system roots and checks the server's name, like a
// browser. Set at most one of CAFile, PinSHA256 and InsecureSkipVerify.
type TLSOptions struct {
	// CAFile is a PEM bundle whose certificates are trusted in addition to
	// the system roots, for a PBX whose certificate an in-house CA signed.
	CAFile string
	// PinSHA256 is the hex SHA-256 of the server certificate's DER (colons
	// and either case allowed, as `openssl x509 -fingerprint -sha256`
	// prints it). When set, exactly that leaf certificate is accepted,
	// whatever its issuer, validity or names: that is how an operator
	// trusts a PBX's self-signed certificate without turning checks off.
	PinSHA256 string
	// InsecureSkipVerify accepts any certificate. For a lab only: anyone on
	// the path can read the credentials.
	InsecureSkipVerify bool
	// ServerName overrides the name the certificate must carry (and the
	// SNI sent), for a server reached by IP address whose certificate
	// names its host name.
	ServerName string
}

// Config returns the tls.Config for o: TLS 1.2 at least, and the trust o
// describes. It fails on a pin that is not 64 hex digits, on a CA file that
// cannot be read or holds no certificate, and on contradictory settings,
// before anything is dialled.
func (o TLSOptions) Config() (*tls.Config, error) {
	set := 0
	for _, on := range []bool{o.CAFile != "", o.PinSHA256 != "", o.InsecureSkipVerify} {
		if on {
			set++
		}
	}
	if set > 1 {
		// A pin already ignores the chain and a skip ignores everything:
		// together they would silently make one of them meaningless.
		return nil, errors.New("tls: set only one of the CA file, the certificate pin and insecure_skip_verify")
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	switch {
	case o.PinSHA256 != "":
		pin, err := ParsePin(o.PinSHA256)
		if err != nil {
			return nil, err
		}
		// The chain and the name are not checked (a self-signed PBX
		// certificate has neither a known issuer nor, often, the right
		// name); VerifyConnection checks the pin instead. It also runs on
		// resumed sessions, which VerifyPeerCertificate does not.
		conf.InsecureSkipVerify = true
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: the server sent no certificate", ErrTLS)
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if got != pin {
				return fmt.Errorf("%w: the server's certificate has sha256 %s, not the pinned %s: if the PBX's certificate was renewed, pin the new one",
					ErrTLS, Fingerprint(got[:]), Fingerprint(pin[:]))
			}
			return nil
		}
	case o.CAFile != "":
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool() // no system roots (some containers): the file alone
		}
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read the CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: the CA file %s holds no PEM certificate", o.CAFile)
		}
		conf.RootCAs = pool
	case o.InsecureSkipVerify:
		conf.InsecureSkipVerify = true
	}
	return conf, nil
}

// ParsePin decodes a SHA-256 fingerprint written in hex, with or without
// colons, in either case.
func ParsePin(s string) ([sha256.Size]byte, error) {
	var pin [sha256.Size]byte
	h := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return pin, fmt.Errorf("tls: the certificate pin %q is not a SHA-256 fingerprint: want 64 hex digits (colons allowed)", s)
	}
	copy(pin[:], b)
	return pin, nil
}

// Fingerprint formats a SHA-256 sum the way openssl prints it (upper case,
// colon separated), so that an operator can compare it with what they
// configured.
func Fingerprint(sum []byte) string {
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}
