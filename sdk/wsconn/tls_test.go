package wsconn

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSConfigDefaultsToSystemRootsAndTLS12(t *testing.T) {
	conf, err := TLSOptions{}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if conf.MinVersion != tls.VersionTLS12 || conf.InsecureSkipVerify || conf.RootCAs != nil || conf.VerifyConnection != nil {
		t.Errorf("zero options: %+v", conf)
	}
}

func TestTLSConfigRefusesBadSettingsBeforeDialling(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		opts TLSOptions
		want string
	}{
		"unreadable CA file":  {TLSOptions{CAFile: filepath.Join(dir, "missing.pem")}, "read the CA file"},
		"CA file without PEM": {TLSOptions{CAFile: notPEM}, "holds no PEM certificate"},
		"short pin":           {TLSOptions{PinSHA256: "AB:CD"}, "64 hex digits"},
		"pin not hex":         {TLSOptions{PinSHA256: strings.Repeat("zz", 32)}, "64 hex digits"},
		"pin and CA file":     {TLSOptions{PinSHA256: strings.Repeat("00", 32), CAFile: notPEM}, "only one"},
		"pin and insecure":    {TLSOptions{PinSHA256: strings.Repeat("00", 32), InsecureSkipVerify: true}, "only one"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.opts.Config()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParsePinAcceptsColonsAndEitherCase(t *testing.T) {
	hex := "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
	var colons []string
	for i := 0; i < len(hex); i += 2 {
		colons = append(colons, hex[i:i+2])
	}
	a, err := ParsePin(hex)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParsePin(" " + strings.ToLower(strings.Join(colons, ":")) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a[0] != 0x01 || a[31] != 0xef {
		t.Errorf("pins differ: %x %x", a, b)
	}
	if got := Fingerprint(a[:2]); got != "01:23" {
		t.Errorf("Fingerprint = %q", got)
	}
}

func TestDialTrust(t *testing.T) {
	p := newPKI(t)
	srv := p.serve(t, pbx(t, echo))
	wrongPin := strings.Repeat("AB", 32)
	for name, tc := range map[string]struct {
		tls     TLSOptions
		wantErr []string // substrings; nil: the dial works
	}{
		"CA file":                        {TLSOptions{CAFile: p.caFile(t)}, nil},
		"CA file, wrong server name":     {TLSOptions{CAFile: p.caFile(t), ServerName: "other.example"}, []string{"other.example"}},
		"CA file, server name override":  {TLSOptions{CAFile: p.caFile(t), ServerName: "pbx.example"}, nil},
		"system roots only":              {TLSOptions{}, []string{"unknown authority"}},
		"pin of the leaf":                {TLSOptions{PinSHA256: strings.ToLower(pinOf(p.leaf))}, nil},
		"pin of the leaf, any name":      {TLSOptions{PinSHA256: pinOf(p.leaf), ServerName: "anything.example"}, nil},
		"pin of the CA is not the leaf":  {TLSOptions{PinSHA256: pinOf(p.ca)}, []string{pinOf(p.leaf), pinOf(p.ca)}},
		"wrong pin names both":           {TLSOptions{PinSHA256: wrongPin}, []string{pinOf(p.leaf), Fingerprint(mustPin(t, wrongPin))}},
		"insecure, when asked":           {TLSOptions{InsecureSkipVerify: true}, nil},
		"insecure, ignores a wrong name": {TLSOptions{InsecureSkipVerify: true, ServerName: "other.example"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			opts := p.options(t, srv)
			opts.TLS = tc.tls
			c, err := Dial(testCtx(t), opts)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				roundTrip(t, c)
				if err := c.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("dial worked, want a TLS error")
			}
			if !errors.Is(err, ErrTLS) {
				t.Errorf("error %q is not ErrTLS", err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestDialPlainServerOnTLSURLIsTLSError(t *testing.T) {
	srv := httptestPlain(t)
	_, err := Dial(testCtx(t), Options{URL: "wss://" + srv, PingInterval: -1})
	if !errors.Is(err, ErrTLS) {
		t.Errorf("got %v, want ErrTLS", err)
	}
}

func mustPin(t *testing.T, s string) []byte {
	pin, err := ParsePin(s)
	if err != nil {
		t.Fatal(err)
	}
	return pin[:]
}
