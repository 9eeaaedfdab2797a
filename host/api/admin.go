package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/supervisor"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// AdminServer implements cti.v1.Admin.
type AdminServer struct {
	ctiv1.UnimplementedAdminServer
	router   *Router
	binaries *supervisor.Binaries
	cluster  atomic.Pointer[adminCluster]
}

// adminCluster is what a host of a cluster knows of the others.
type adminCluster struct {
	remote Remote
	self   string // this host's host_id
}

// SetCluster makes ListPlugins show, for a site another host of the
// cluster runs, that host's instance; self is this host's host_id.
func (a *AdminServer) SetCluster(r Remote, self string) {
	a.cluster.Store(&adminCluster{remote: r, self: self})
}

// NewAdminServer returns the operators' API. binaries decides which driver
// binaries SwapPlugin may start.
func NewAdminServer(r *Router, binaries *supervisor.Binaries) *AdminServer {
	return &AdminServer{router: r, binaries: binaries}
}

// ListPlugins reports every instance serving a site the caller may reach;
// a shared one lists only those of its sites.
func (a *AdminServer) ListPlugins(ctx context.Context, _ *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
	resp := &ctiv1.ListPluginsResponse{}
	cl := a.cluster.Load()
	asked := map[*grpc.ClientConn]*ctiv1.ListPluginsResponse{} // each other host once
	for _, inst := range a.router.Instances() {
		p := visibleStatus(ctx, inst)
		if p == nil {
			continue
		}
		if cl != nil {
			p.Host = cl.self
			if remote := a.remotePlugin(ctx, cl, inst, asked); remote != nil {
				p = remote
			}
		}
		resp.Plugins = append(resp.Plugins, p)
	}
	return resp, nil
}

// remotePlugin is the instance of inst's site and driver at the host of
// the cluster that runs the site, or nil when this host runs it, nobody
// does, or that host does not answer.
func (a *AdminServer) remotePlugin(ctx context.Context, cl *adminCluster, inst *supervisor.Instance, asked map[*grpc.ClientConn]*ctiv1.ListPluginsResponse) *ctiv1.PluginInstance {
	sites := inst.Sites()
	if len(sites) != 1 || len(metadata.ValueFromIncomingContext(ctx, forwardedHeader)) > 0 {
		return nil
	}
	conn, ok := cl.remote.Host(ctx, sites[0])
	if !ok {
		return nil
	}
	list, done := asked[conn]
	if !done {
		cctx, cancel := context.WithTimeout(ctx, remoteAdminTimeout)
		list = &ctiv1.ListPluginsResponse{}
		if err := conn.Invoke(forwardedContext(cctx), "/cti.v1.Admin/ListPlugins", &ctiv1.ListPluginsRequest{}, list); err != nil {
			list = nil
		}
		cancel()
		asked[conn] = list
	}
	for _, p := range list.GetPlugins() {
		if p.GetDriver() == inst.Driver() && p.GetSite() == sites[0] {
			return p
		}
	}
	return nil
}

// remoteAdminTimeout bounds the question to another host of the cluster:
// a dead host must not hold an operator's listing for long.
const remoteAdminTimeout = 2 * time.Second

// visibleStatus is inst's status as the caller may see it, or nil when it
// serves none of the caller's sites.
func visibleStatus(ctx context.Context, inst *supervisor.Instance) *ctiv1.PluginInstance {
	p := inst.Status()
	for _, cs := range inst.ConnectionStatus(ctx) {
		if site, _, _ := strings.Cut(cs.GetName(), "/"); maySite(ctx, site) {
			p.ConnectionStatus = append(p.ConnectionStatus, cs)
		}
	}
	if c := clientOf(ctx); c != nil && !c.AllSitesAllowed() {
		p.Sites = c.VisibleSites(p.GetSites())
		if len(p.GetSites()) == 0 {
			return nil
		}
		p.Devices, p.DiscoveredDevices = 0, 0 // only the visible sites' devices
		for _, d := range inst.ConfiguredDevices() {
			if site, _ := inst.Ref(d.GetDevice()); c.MaySite(site) {
				p.Devices++
			}
		}
		for _, d := range inst.DiscoveredDevices() {
			if c.MaySite(d.GetSite()) {
				p.DiscoveredDevices++
			}
		}
		p.Connections = 0
		for _, cc := range inst.ConfigureRequest().GetConnections() {
			if site, _ := inst.Ref(cc.GetName()); c.MaySite(site) {
				p.Connections++
			}
		}
	}
	return p
}

// ListSites reports the sites the caller may reach and their devices with
// the state of the instance serving each.
func (a *AdminServer) ListSites(ctx context.Context, _ *ctiv1.ListSitesRequest) (*ctiv1.ListSitesResponse, error) {
	resp := &ctiv1.ListSitesResponse{}
	for _, name := range a.router.SiteNames(ctx) {
		site := &ctiv1.Site{Name: name}
		refs, routes := a.router.siteRoutes(name)
		for n, ref := range refs {
			rt := routes[n]
			site.Devices = append(site.Devices, &ctiv1.SiteDevice{
				Device: ref, Driver: rt.inst.Driver(), Model: rt.model,
				DriverState: rt.inst.Status().GetState(),
			})
		}
		resp.Sites = append(resp.Sites, site)
	}
	return resp, nil
}

// RestartPlugin restarts one instance now and forgets its crash history. A
// shared instance is found by any site it serves, or by an empty site.
func (a *AdminServer) RestartPlugin(ctx context.Context, req *ctiv1.RestartPluginRequest) (*ctiv1.PluginInstance, error) {
	inst, err := a.find(ctx, req.GetDriver(), req.GetSite())
	if err != nil {
		return nil, err
	}
	if err := inst.Restart(ctx); err != nil {
		return nil, status.Errorf(codes.Unavailable, "%v", err)
	}
	return visibleStatus(ctx, inst), nil
}

// find returns the instance of driver that serves site. The empty site
// names the driver's shared instance. An instance the caller may not see
// is NOT_FOUND, as one that does not exist; one that also serves sites out
// of the caller's reach is PERMISSION_DENIED, since acting on it acts on
// them.
func (a *AdminServer) find(ctx context.Context, driver, site string) (*supervisor.Instance, error) {
	for _, inst := range a.router.Instances() {
		if inst.Driver() != driver {
			continue
		}
		if inst.Site() == site || (site != "" && inst.Shared() && inst.Serves(site)) {
			if visibleStatus(ctx, inst) == nil || (site != "" && !maySite(ctx, site)) {
				break
			}
			if err := mayActOn(ctx, inst); err != nil {
				return nil, err
			}
			return inst, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "no driver %s runs at site %s; see ListPlugins", quoted(driver), quoted(site))
}

// mayActOn returns PERMISSION_DENIED unless the caller may reach every site
// inst serves.
func mayActOn(ctx context.Context, inst *supervisor.Instance) error {
	for _, site := range inst.Sites() {
		if !maySite(ctx, site) {
			return status.Errorf(codes.PermissionDenied, "driver %q runs as one process for several sites, some beyond this client's; a client with access to all of them must act on it", inst.Driver())
		}
	}
	return nil
}

// SwapPlugin swaps the driver's instances at the requested sites in order,
// stopping at the first that fails. A shared instance is swapped once, however
// many of its sites are requested.
func (a *AdminServer) SwapPlugin(ctx context.Context, req *ctiv1.SwapPluginRequest) (*ctiv1.SwapPluginResponse, error) {
	var targets []*supervisor.Instance
	if len(req.GetSites()) == 0 {
		for _, inst := range a.router.Instances() {
			if inst.Driver() != req.GetDriver() || visibleStatus(ctx, inst) == nil {
				continue
			}
			if err := mayActOn(ctx, inst); err != nil {
				return nil, err
			}
			targets = append(targets, inst)
		}
	}
	for _, site := range req.GetSites() {
		inst, err := a.find(ctx, req.GetDriver(), site)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(targets, inst) {
			targets = append(targets, inst)
		}
	}
	if len(targets) == 0 {
		return nil, status.Errorf(codes.NotFound, "no instance of driver %s runs; see ListPlugins", quoted(req.GetDriver()))
	}
	// Every check that needs no process runs before anything starts: a
	// binary outside the plugin folder, or one the pin refuses, never runs.
	binary := req.GetBinary()
	if binary != "" {
		checked, err := a.binaries.Check(binary)
		if err != nil {
			return nil, status.Errorf(codes.PermissionDenied, "binary %s: %v", quoted(binary), err)
		}
		binary = checked
	}
	resp := &ctiv1.SwapPluginResponse{}
	for _, inst := range targets {
		took, err := inst.Swap(ctx, binary, req.GetSha256())
		if err != nil {
			return nil, status.Errorf(status.Code(err), "%s: %s (instances swapped before it: %d)", where(inst), status.Convert(err).Message(), len(resp.GetPlugins()))
		}
		resp.Plugins = append(resp.Plugins, visibleStatus(ctx, inst))
		resp.DurationsMs = append(resp.DurationsMs, took.Milliseconds())
	}
	return resp, nil
}

// where names an instance's sites in a message: `site "hq"`, or `sites
// branch, hq` for a shared instance.
func where(inst *supervisor.Instance) string {
	if !inst.Shared() {
		return fmt.Sprintf("site %q", inst.Site())
	}
	return "sites " + supervisor.SiteList(inst.Sites())
}

var _ ctiv1.AdminServer = (*AdminServer)(nil)
