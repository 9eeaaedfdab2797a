// Package auth decides who may use the host API: the clients declared in
// config.hcl (a bearer token, a TLS client certificate, or both), what each
// may do (scopes) and where (sites), and the local token that lets the
// user who runs the host use ctictl with no set-up.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"sort"
	"sync"
)

// Scope is a set of RPCs a client may call.
type Scope string

// The scopes. Every RPC of the Host and Admin services needs exactly one
// (see host/api's table of methods).
const (
	// ScopeEvents reads: WatchEvents, ListDevices, GetDeviceState.
	ScopeEvents Scope = "events"
	// ScopeCalls controls calls and what a person does at a phone: dial,
	// answer, hang up, hold, transfer, DTMF, keys, DND, mute, queues.
	ScopeCalls Scope = "calls"
	// ScopeDevices manages devices: reboot, factory reset, forwarding.
	ScopeDevices Scope = "devices"
	// ScopeAdmin runs the host: the Admin service (plugins, restart, swap).
	ScopeAdmin Scope = "admin"
	// ScopeMetrics reads the Prometheus metrics endpoint.
	ScopeMetrics Scope = "metrics"
)

// Scopes lists every scope, in the order documentation shows them.
var Scopes = []Scope{ScopeEvents, ScopeCalls, ScopeDevices, ScopeAdmin, ScopeMetrics}

// AllSites in a client's sites lets it reach every site, present and future.
const AllSites = "*"

// Client is one identity that may use the API. It never holds a token in
// clear: only its SHA-256.
type Client struct {
	// Name is the client block label, used in the audit log and messages.
	Name string
	// TokenSHA256 is the SHA-256 of the client's bearer token; zero when
	// the client authenticates by certificate only.
	TokenSHA256 [32]byte
	// HasToken says whether TokenSHA256 is set.
	HasToken bool
	// CertificateName, when set, admits a verified TLS client certificate
	// whose subject common name or one of whose DNS names equals it.
	CertificateName string
	// Sites the client may reach; AllSites for every one.
	Sites []string
	// Scopes the client holds.
	Scopes []Scope

	revoke  sync.Once
	revoked chan struct{} // closed by Revoke; made once, by init
	init    sync.Once
}

// Revoke marks a client that a config reload removed or changed: its open
// event streams end, and its credential no longer admits new calls.
func (c *Client) Revoke() {
	ch := c.revokedChan()
	c.revoke.Do(func() { close(ch) })
}

// Revoked returns a channel closed when the client is revoked.
func (c *Client) Revoked() <-chan struct{} { return c.revokedChan() }

func (c *Client) revokedChan() chan struct{} {
	c.init.Do(func() { c.revoked = make(chan struct{}) })
	return c.revoked
}

// Same reports whether c and o grant the same credential the same rights.
func (c *Client) Same(o *Client) bool {
	return c.Name == o.Name && c.TokenSHA256 == o.TokenSHA256 && c.HasToken == o.HasToken &&
		c.CertificateName == o.CertificateName && slices.Equal(c.Sites, o.Sites) && slices.Equal(c.Scopes, o.Scopes)
}

// HashToken returns the SHA-256 of a bearer token. Tokens are long random
// strings, not passwords, so a plain hash is what a stolen config reveals.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// Has reports whether c holds scope.
func (c *Client) Has(scope Scope) bool { return slices.Contains(c.Scopes, scope) }

// MaySite reports whether c may reach site.
func (c *Client) MaySite(site string) bool {
	return slices.Contains(c.Sites, AllSites) || slices.Contains(c.Sites, site)
}

// AllSitesAllowed reports whether c may reach every site.
func (c *Client) AllSitesAllowed() bool { return slices.Contains(c.Sites, AllSites) }

// VisibleSites returns the sites of all that c may reach, sorted.
func (c *Client) VisibleSites(all []string) []string {
	var out []string
	for _, s := range all {
		if c.MaySite(s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Clients finds the client a credential belongs to. Safe for concurrent
// use; replaced as a whole on a config reload.
type Clients struct {
	list []*Client
}

// NewClients indexes clients.
func NewClients(list []*Client) *Clients { return &Clients{list: slices.Clone(list)} }

// Carry returns next where each client that is the Same as one of cs's
// keeps cs's object, and revokes the clients of cs that next no longer has
// as they were: a reload then ends only the streams whose rights changed.
func (cs *Clients) Carry(next *Clients) *Clients {
	out := &Clients{}
	kept := map[*Client]bool{}
	for _, n := range next.list {
		for _, o := range cs.list {
			if !kept[o] && o.Same(n) {
				n = o
				break
			}
		}
		kept[n] = true
		out.list = append(out.list, n)
	}
	for _, o := range cs.list {
		if !kept[o] {
			o.Revoke()
		}
	}
	return out
}

// ByToken returns the client whose token is token, or nil. It compares the
// token's hash with every client's in constant time, so neither the
// comparison nor which client matched shows in the time it takes.
func (cs *Clients) ByToken(token string) *Client {
	if cs == nil || token == "" {
		return nil
	}
	sum := HashToken(token)
	var found *Client
	for _, c := range cs.list {
		if c.HasToken && subtle.ConstantTimeCompare(sum[:], c.TokenSHA256[:]) == 1 && found == nil {
			found = c
		}
	}
	return found
}

// ByCertificate returns the client a verified client certificate with
// these names (its subject common name and DNS names) belongs to, or nil.
func (cs *Clients) ByCertificate(names []string) *Client {
	if cs == nil {
		return nil
	}
	for _, c := range cs.list {
		if c.CertificateName != "" && slices.Contains(names, c.CertificateName) {
			return c
		}
	}
	return nil
}

type clientKey struct{}

// NewContext returns ctx carrying the authenticated client.
func NewContext(ctx context.Context, c *Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// FromContext returns the authenticated client of a request, or nil.
func FromContext(ctx context.Context) *Client {
	c, _ := ctx.Value(clientKey{}).(*Client)
	return c
}
