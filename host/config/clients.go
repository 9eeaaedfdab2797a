package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Client is one client block: an identity that may use the host API, the
// sites it may reach and what it may do there.
type Client struct {
	// Name is the block label; it names the client in the audit log.
	Name string
	// Token is the bearer token, resolved (a secret: never log it); "" when
	// the block gives TokenSHA256 or only a certificate.
	Token string
	// TokenSHA256 is the lower-case hex SHA-256 of the token, when the block
	// gives the hash instead of the token.
	TokenSHA256 string
	// CertificateName admits a verified client certificate whose subject
	// common name or a DNS name equals it.
	CertificateName string
	// Sites are site names, or "*" for every site.
	Sites []string
	// Scopes are some of ClientScopes.
	Scopes []string
	// Range is the block header in the file.
	Range hcl.Range
}

// LocalClientName is the name of the local token's client
// (auth.LocalClientName, which host tests check is the same), which no
// client block may take.
const LocalClientName = "local"

// ClientScopes are the scopes a client block may grant (see host/auth).
var ClientScopes = []string{"events", "calls", "devices", "admin", "metrics"}

// minTokenLength keeps guessable tokens out: a token is a random string
// made by a program (openssl rand -base64 32), not a password.
const minTokenLength = 16

var clientAttrs = []*ctiv1.ConfigAttribute{
	{Name: "token", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Secret: true, Description: `the client's bearer token, at least 16 characters: env("…") or file("…")`},
	{Name: "token_sha256", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the SHA-256 of the bearer token as 64 hex digits, instead of the token itself"},
	{Name: "certificate_name", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "a TLS client certificate's subject common name or DNS name that identifies this client (needs tls_client_ca_file)"},
}

// decodeSecurity checks the host block's TLS, token and limit attributes.
func (c *Config) decodeSecurity(s *sink, v map[string]setting, h *Host) {
	h.LocalToken = v["local_token"].text != "false"
	h.InsecurePlaintext = v["insecure_plaintext"].text == "true"
	h.Reflection = v["reflection"].text != "false"
	files := map[string]*string{"tls_cert_file": &h.TLSCertFile, "tls_key_file": &h.TLSKeyFile, "tls_client_ca_file": &h.TLSClientCAFile, "audit_log": &h.AuditLog}
	for name, dst := range files {
		if f, ok := v[name]; ok && f.text != "" {
			*dst = c.absPath(f.text)
		}
	}
	cert, key := v["tls_cert_file"], v["tls_key_file"]
	switch {
	case (h.TLSCertFile == "") != (h.TLSKeyFile == ""):
		at := cert.rng
		if h.TLSCertFile == "" {
			at = key.rng
		}
		s.errorf(at, "", "set both tls_cert_file and tls_key_file, or neither", "host: tls_cert_file and tls_key_file go together")
	case h.TLSClientCAFile != "" && h.TLSCertFile == "":
		s.errorf(v["tls_client_ca_file"].rng, "tls_client_ca_file", "client certificates need TLS: set tls_cert_file and tls_key_file",
			"host: tls_client_ca_file is set without tls_cert_file and tls_key_file")
	}
	limits := []struct {
		name string
		dst  *int
		max  int64
	}{{"max_connections", &h.MaxConnections, 1 << 20}, {"max_subscribers", &h.MaxSubscribers, 1 << 20}, {"max_client_subscribers", &h.MaxClientSubscribers, 1 << 20}}
	for _, l := range limits {
		if t, ok := v[l.name]; ok {
			n, _ := strconv.ParseInt(t.text, 10, 64)
			if n < 1 || n > l.max {
				s.errorf(t.rng, l.name, describe("ctihost", hostAttr(l.name)), "host: attribute %q must be between 1 and %d, got %s", l.name, l.max, t.text)
			}
			*l.dst = int(min(max(n, 1), l.max))
		}
	}
}

// decodeClients decodes the client blocks, once the sites are known.
func (c *Config) decodeClients(s *sink, blocks []*hclsyntax.Block) {
	seen := map[string]hcl.Range{}
	tokens := map[string]string{} // sha256 -> client, so two clients never share one
	for _, b := range blocks {
		name, ok := label(s, b, "client", `client "crm" { … }`, false)
		if !ok {
			continue
		}
		object := fmt.Sprintf("client %q", name)
		if name == LocalClientName {
			s.errorf(b.LabelRanges[0], "", "choose another name", "%s: the name is the host's own local token's, which the audit log must tell apart", object)
			continue
		}
		cl := &Client{Name: name, Range: b.DefRange()}
		v := c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: cl.Range, attrs: clientAttrs, others: []string{"sites", "scopes"}})
		cl.Token, cl.CertificateName = v["token"].text, v["certificate_name"].text
		if t, ok := v["token"]; ok && len(t.text) < minTokenLength {
			s.errorf(t.rng, "token", "make one with: openssl rand -base64 32", "%s: the token is shorter than %d characters", object, minTokenLength)
		}
		if sum, ok := v["token_sha256"]; ok {
			if _, err := hex.DecodeString(sum.text); err != nil || len(sum.text) != 64 {
				s.errorf(sum.rng, "token_sha256", "write the output of: printf %s \"$TOKEN\" | sha256sum",
					"%s: attribute \"token_sha256\" must be 64 hexadecimal digits, got %d characters", object, len(sum.text))
			}
			cl.TokenSHA256 = strings.ToLower(sum.text)
			if cl.Token != "" {
				s.errorf(sum.rng, "token_sha256", "keep one of them", "%s: give token or token_sha256, not both", object)
			}
		}
		if cl.Token == "" && cl.TokenSHA256 == "" && cl.CertificateName == "" {
			s.errorf(cl.Range, "", `add token = env("…"), token_sha256 = "…" or certificate_name = "…"`, "%s has no credential", object)
		}
		if cl.CertificateName != "" && c.Host.TLSClientCAFile == "" {
			s.errorf(v["certificate_name"].rng, "certificate_name", "set tls_client_ca_file in the host block to verify client certificates",
				"%s: certificate_name needs client certificates, which are off", object)
		}
		cl.Sites = c.stringList(s, b.Body, object, "sites", c.siteNames())
		cl.Scopes = c.stringList(s, b.Body, object, "scopes", ClientScopes)
		if sum := cl.tokenKey(); sum != "" {
			if other, dup := tokens[sum]; dup {
				s.errorf(cl.Range, "", "give every client its own token, so the audit log can tell them apart", "%s has the same token as client %q", object, other)
			}
			tokens[sum] = name
		}
		if first, dup := seen[name]; dup {
			s.errorf(cl.Range, "", "first defined at "+where(first)+"; remove or rename one of them", "%s is defined twice", object)
			continue
		}
		seen[name] = cl.Range
		c.Clients = append(c.Clients, cl)
	}
}

// tokenKey identifies a client's token without holding it in clear.
func (cl *Client) tokenKey() string {
	if cl.Token != "" {
		return sha256Hex(cl.Token)
	}
	return cl.TokenSHA256
}

// siteNames lists the configured sites.
func (c *Config) siteNames() []string {
	var names []string
	for _, site := range c.Sites {
		names = append(names, site.Name)
	}
	return names
}

// stringList decodes a required attribute holding a non-empty list of
// strings, each one of valid (or "*" for sites); nil valid takes any.
func (c *Config) stringList(s *sink, body *hclsyntax.Body, object, name string, valid []string) []string {
	attr, ok := body.Attributes[name]
	if !ok {
		s.errorf(body.SrcRange, name, fmt.Sprintf(`add %s = [%s]`, name, quoteList(valid[:min(1, len(valid))])), "%s: missing required attribute %q", object, name)
		return nil
	}
	v, ok := c.eval(s, object, attr, false)
	if !ok {
		return nil
	}
	v, _ = v.Unmark()
	ty := v.Type()
	if v.IsNull() || !v.IsWhollyKnown() || !(ty.IsTupleType() || ty.IsListType()) || v.LengthInt() == 0 {
		s.errorf(attr.Expr.Range(), name, fmt.Sprintf("write a list such as %s = [%s]", name, quoteList(valid[:min(1, len(valid))])),
			"%s: attribute %q must be a non-empty list of strings", object, name)
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			s.errorf(attr.Expr.Range(), name, "quote each entry", "%s: attribute %q must hold only strings", object, name)
			return nil
		}
		item := e.AsString()
		if name == "sites" && item == "*" {
			out = append(out, item)
			continue
		}
		if valid != nil && !slices.Contains(valid, item) {
			hint := "use one of: " + strings.Join(valid, ", ")
			if name == "sites" {
				hint += `, or "*" for every site`
			}
			if sug := suggest(item, valid); sug != "" {
				hint = fmt.Sprintf("did you mean %q?", sug)
			}
			shownItem := item
			if len(shownItem) > 64 {
				shownItem = shownItem[:61] + "..."
			}
			s.errorf(attr.Expr.Range(), name, hint, "%s: %q is not a known %s", object, shownItem, strings.TrimSuffix(name, "s"))
			continue
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// sha256Hex returns the lower-case hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
