package api

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ctihost/ctihost/host/auth"
)

// scopes is the scope every RPC of the Host and Admin services needs. A
// method missing here is refused to everyone (TestEveryMethodHasAScope
// keeps the table complete as the services grow).
var scopes = map[string]auth.Scope{
	"/cti.v1.Host/ListDevices":    auth.ScopeEvents,
	"/cti.v1.Host/GetDeviceState": auth.ScopeEvents,
	"/cti.v1.Host/WatchEvents":    auth.ScopeEvents,
	// A directory look-up reads, like device state: what a screen pop needs.
	"/cti.v1.Host/LookupContact": auth.ScopeEvents,

	"/cti.v1.Host/Dial":             auth.ScopeCalls,
	"/cti.v1.Host/Answer":           auth.ScopeCalls,
	"/cti.v1.Host/Reject":           auth.ScopeCalls,
	"/cti.v1.Host/Hangup":           auth.ScopeCalls,
	"/cti.v1.Host/Hold":             auth.ScopeCalls,
	"/cti.v1.Host/Resume":           auth.ScopeCalls,
	"/cti.v1.Host/BlindTransfer":    auth.ScopeCalls,
	"/cti.v1.Host/ConsultTransfer":  auth.ScopeCalls,
	"/cti.v1.Host/CompleteTransfer": auth.ScopeCalls,
	"/cti.v1.Host/Conference":       auth.ScopeCalls,
	"/cti.v1.Host/SendDTMF":         auth.ScopeCalls,
	"/cti.v1.Host/Redirect":         auth.ScopeCalls,
	"/cti.v1.Host/Park":             auth.ScopeCalls,
	"/cti.v1.Host/Unpark":           auth.ScopeCalls,
	"/cti.v1.Host/SetDND":           auth.ScopeCalls,
	"/cti.v1.Host/SetMute":          auth.ScopeCalls,
	"/cti.v1.Host/EnableSpeaker":    auth.ScopeCalls,
	"/cti.v1.Host/SendKeys":         auth.ScopeCalls,
	"/cti.v1.Host/JoinQueue":        auth.ScopeCalls,
	"/cti.v1.Host/LeaveQueue":       auth.ScopeCalls,
	"/cti.v1.Host/PauseAgent":       auth.ScopeCalls,
	"/cti.v1.Host/UnpauseAgent":     auth.ScopeCalls,
	"/cti.v1.Host/SetCallData":      auth.ScopeCalls,
	"/cti.v1.Host/ShowText":         auth.ScopeCalls,
	"/cti.v1.Host/SetRecording":     auth.ScopeCalls,

	"/cti.v1.Host/SetForward":   auth.ScopeDevices,
	"/cti.v1.Host/ClearForward": auth.ScopeDevices,
	"/cti.v1.Host/Reboot":       auth.ScopeDevices,
	"/cti.v1.Host/FactoryReset": auth.ScopeDevices,
	// A queue's service mode is the contact centre's opening hours: an
	// administrator's change, like forwarding.
	"/cti.v1.Host/SetQueueServiceMode": auth.ScopeDevices,

	"/cti.v1.Admin/ListPlugins":   auth.ScopeAdmin,
	"/cti.v1.Admin/ListSites":     auth.ScopeAdmin,
	"/cti.v1.Admin/RestartPlugin": auth.ScopeAdmin,
	"/cti.v1.Admin/SwapPlugin":    auth.ScopeAdmin,
}

// readOnly are the methods that change nothing: they are audited only
// when refused.
var readOnly = map[string]bool{
	"/cti.v1.Host/ListDevices": true, "/cti.v1.Host/GetDeviceState": true, "/cti.v1.Host/WatchEvents": true,
	"/cti.v1.Host/LookupContact": true,
	"/cti.v1.Admin/ListPlugins":  true, "/cti.v1.Admin/ListSites": true,
}

// Health and reflection. Only the overall health check is open, for
// probes: a per-site status names a site, and a stream (Watch, reflection)
// holds a connection open, so those need a client like every other call.
const (
	healthCheck = "/grpc.health.v1.Health/Check"
	healthList  = "/grpc.health.v1.Health/List"
	healthWatch = "/grpc.health.v1.Health/Watch"
)

// openCall reports whether a call needs no credentials: the overall health
// check (service "").
func openCall(method string, req any) bool {
	r, ok := req.(*healthpb.HealthCheckRequest)
	return method == healthCheck && ok && r.GetService() == ""
}

// scopeOf returns the scope a method needs: the table's, "events" for the
// health service (it shows the sites' state), any scope at all for server
// reflection (the schema only), or false for a method no client may call.
func scopeOf(method string) (scope auth.Scope, anyScope, known bool) {
	if sc, ok := scopes[method]; ok {
		return sc, false, true
	}
	switch {
	case strings.HasPrefix(method, "/grpc.health.v1.Health/"):
		return auth.ScopeEvents, false, true
	case strings.HasPrefix(method, "/grpc.reflection.v1.ServerReflection/"),
		strings.HasPrefix(method, "/grpc.reflection.v1alpha.ServerReflection/"):
		return "", true, true
	}
	return "", false, false
}

// healthSite returns the site a health service name ("site/<name>") is
// about, or "".
func healthSite(service string) string {
	site, _ := strings.CutPrefix(service, "site/")
	if site == service {
		return ""
	}
	return site
}

// Guard authenticates and authorises every API call and writes the audit
// log. Its clients are replaced as a whole on a config reload.
type Guard struct {
	clients atomic.Pointer[auth.Clients]
	audit   hclog.Logger
}

// NewGuard returns a guard admitting clients, auditing to audit.
func NewGuard(clients *auth.Clients, audit hclog.Logger) *Guard {
	g := &Guard{audit: audit}
	g.clients.Store(clients)
	return g
}

// SetClients replaces the clients (a config reload). Calls in progress keep
// the client they were admitted as; see auth.Client.Revoke.
func (g *Guard) SetClients(c *auth.Clients) { g.clients.Store(c) }

// admit finds the caller of method and checks its scope. It returns the
// client, or the UNAUTHENTICATED or PERMISSION_DENIED error.
func (g *Guard) admit(ctx context.Context, method string) (*auth.Client, error) {
	c, how := g.identify(ctx)
	if c == nil {
		return nil, status.Error(codes.Unauthenticated, how)
	}
	need, anyScope, known := scopeOf(method)
	if !known {
		return c, status.Errorf(codes.PermissionDenied, "%s is not open to any client", method)
	}
	if !anyScope && !c.Has(need) {
		return c, status.Errorf(codes.PermissionDenied, "client %q lacks the %q scope that %s needs; an operator grants it in the client block's scopes",
			c.Name, need, shortMethod(method))
	}
	return c, nil
}

// Clients is the set of clients in force.
func (g *Guard) Clients() *auth.Clients { return g.clients.Load() }

// identify finds the client of a call by its bearer token or, without one,
// by its verified TLS client certificate. On failure it says why, never
// echoing what was sent.
func (g *Guard) identify(ctx context.Context) (*auth.Client, string) {
	clients := g.clients.Load()
	if values := metadata.ValueFromIncomingContext(ctx, "authorization"); len(values) > 0 {
		scheme, token, _ := strings.Cut(values[0], " ")
		if !strings.EqualFold(scheme, "bearer") || len(values) > 1 {
			return nil, `malformed credentials: send one "authorization: Bearer <token>" header`
		}
		if c := clients.ByToken(strings.TrimSpace(token)); c != nil {
			return c, ""
		}
		return nil, "the bearer token is not one this host knows; use a token of a client block in config.hcl (or, on the host's machine, the local token file ctictl reads)"
	}
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.VerifiedChains) > 0 {
			if c := clients.ByCertificate(certificateNames(info.State.VerifiedChains[0][0])); c != nil {
				return c, ""
			}
			return nil, "the client certificate is valid but no client block names it (certificate_name)"
		}
	}
	return nil, `no credentials: send "authorization: Bearer <token>" (ctictl sends one from -token, -token-file, CTICTL_TOKEN, CTICTL_TOKEN_FILE or the local token file of the host's user)`
}

// certificateNames are the names a client certificate can be known by.
func certificateNames(cert *x509.Certificate) []string {
	names := append([]string{}, cert.DNSNames...)
	if cert.Subject.CommonName != "" {
		names = append(names, cert.Subject.CommonName)
	}
	return names
}

// Unary is the unary interceptor: admission, then the handler, then the
// audit line.
func (g *Guard) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	firstMessage(ctx)
	if openCall(info.FullMethod, req) {
		return handler(ctx, req)
	}
	began := time.Now()
	c, err := g.admit(ctx, info.FullMethod)
	if err == nil {
		var resp any
		resp, err = g.healthFor(c, info.FullMethod, req, func() (any, error) { return handler(auth.NewContext(ctx, c), req) })
		if readOnly[info.FullMethod] {
			return resp, err // reads are not audited: an app polling state would drown the log
		}
		g.record(ctx, c, info.FullMethod, req, err, began)
		return resp, err
	}
	g.record(ctx, c, info.FullMethod, req, err, began)
	return nil, err
}

// Stream is the streaming interceptor (WatchEvents): admission before the
// handler; refusals are audited.
func (g *Guard) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ss = &firstMessageStream{ServerStream: ss}
	c, err := g.admit(ss.Context(), info.FullMethod)
	if err != nil {
		g.record(ss.Context(), c, info.FullMethod, nil, err, time.Now())
		return err
	}
	cs := &clientStream{ServerStream: ss, ctx: auth.NewContext(ss.Context(), c)}
	if info.FullMethod == healthWatch {
		return handler(srv, &siteCheckedStream{clientStream: cs, client: c})
	}
	return handler(srv, cs)
}

// healthFor answers the health service for client c: a per-site check of
// a site out of its reach is NOT_FOUND, as an unknown service, and a list
// leaves such sites out. Other methods just run.
func (g *Guard) healthFor(c *auth.Client, method string, req any, run func() (any, error)) (any, error) {
	switch method {
	case healthCheck:
		if site := healthSite(req.(*healthpb.HealthCheckRequest).GetService()); site != "" && !c.MaySite(site) {
			return nil, status.Error(codes.NotFound, "unknown service")
		}
	case healthList:
		resp, err := run()
		if list, ok := resp.(*healthpb.HealthListResponse); ok && err == nil {
			for name := range list.GetStatuses() {
				if site := healthSite(name); site != "" && !c.MaySite(site) {
					delete(list.Statuses, name)
				}
			}
		}
		return resp, err
	}
	return run()
}

// siteCheckedStream makes a health Watch of a site out of its client's
// reach watch a service that cannot exist, so the answer (SERVICE_UNKNOWN)
// is exactly that of a site that does not exist.
type siteCheckedStream struct {
	*clientStream
	client *auth.Client
}

func (s *siteCheckedStream) RecvMsg(m any) error {
	if err := s.clientStream.RecvMsg(m); err != nil {
		return err
	}
	if r, ok := m.(*healthpb.HealthCheckRequest); ok {
		if site := healthSite(r.GetService()); site != "" && !s.client.MaySite(site) {
			r.Service = "\x00" // no service has this name
		}
	}
	return nil
}

// clientStream carries the admitted client in its context.
type clientStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *clientStream) Context() context.Context { return s.ctx }

// record writes one audit line: who, from where, what, on what, the
// outcome and how long it took. Never a token or any other secret: the
// target is a device reference, driver, sites or binary path.
func (g *Guard) record(ctx context.Context, c *auth.Client, method string, req any, err error, began time.Time) {
	name := "-"
	if c != nil {
		name = c.Name
	}
	from := "-"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		from = p.Addr.String()
		// The HTTP/JSON API calls in memory; the gateway names the HTTP
		// client last in x-forwarded-for (earlier entries are the
		// client's own claims).
		if p.Addr.Network() == "bufconn" {
			from = "http"
			if fwd := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for"); len(fwd) > 0 {
				parts := strings.Split(fwd[len(fwd)-1], ",")
				from = "http " + strings.TrimSpace(parts[len(parts)-1])
			}
		}
	}
	code := status.Code(err)
	args := []any{"client", name, "peer", from, "operation", shortMethod(method), "target", target(req), "code", code.String(), "took", time.Since(began).Round(time.Microsecond)}
	if code == codes.Unauthenticated || code == codes.PermissionDenied {
		g.audit.Warn("refused", args...)
		return
	}
	g.audit.Info("command", args...)
}

// target names what a request acts on, for the audit log: its device,
// call, driver, sites and binary fields, each cut short.
func target(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return "-"
	}
	r := m.ProtoReflect()
	var parts []string
	for _, name := range []protoreflect.Name{"device", "call_id", "driver", "site", "sites", "binary", "destination"} {
		fd := r.Descriptor().Fields().ByName(name)
		if fd == nil || !r.Has(fd) {
			continue
		}
		v := r.Get(fd)
		text := v.String()
		if fd.IsList() {
			var items []string
			for i := range v.List().Len() {
				items = append(items, v.List().Get(i).String())
			}
			text = strings.Join(items, ",")
		}
		parts = append(parts, fmt.Sprintf("%s=%s", name, quoted(text)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// shortMethod turns "/cti.v1.Host/Dial" into "Host.Dial".
func shortMethod(m string) string {
	return strings.Replace(strings.TrimPrefix(strings.TrimPrefix(m, "/"), "cti.v1."), "/", ".", 1)
}

// maxQuoted bounds how much of a caller's input a message repeats.
const maxQuoted = 64

// quoted quotes input for a message, cut to maxQuoted bytes: a 4 MB device
// reference must not come back as a 4 MB error.
func quoted(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxQuoted {
		n := maxQuoted
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		return fmt.Sprintf("%q…", s[:n])
	}
	return fmt.Sprintf("%q", s)
}

// HTTP guards an HTTP endpoint (the metrics): a bearer token of a client
// holding scope, else 401 or 403. Refusals are audited like the API's.
func (g *Guard) HTTP(scope auth.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		var c *auth.Client
		if strings.EqualFold(scheme, "bearer") {
			c = g.clients.Load().ByToken(strings.TrimSpace(token))
		}
		code, status := "", 0
		switch {
		case c == nil:
			code, status = codes.Unauthenticated.String(), http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="ctihost"`)
		case !c.Has(scope):
			code, status = codes.PermissionDenied.String(), http.StatusForbidden
		}
		if status != 0 {
			name := "-"
			if c != nil {
				name = c.Name
			}
			g.audit.Warn("refused", "client", name, "peer", r.RemoteAddr, "operation", "GET "+r.URL.Path, "target", "-", "code", code)
			http.Error(w, fmt.Sprintf("%s: send \"Authorization: Bearer <token>\" of a client with the %q scope", http.StatusText(status), scope), status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientOf returns the caller of a request; nil for calls made inside the
// host (tests), which see everything.
func clientOf(ctx context.Context) *auth.Client { return auth.FromContext(ctx) }

// maySite reports whether the caller may reach site.
func maySite(ctx context.Context, site string) bool {
	c := clientOf(ctx)
	return c == nil || c.MaySite(site)
}
