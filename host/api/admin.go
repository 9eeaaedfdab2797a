package api

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/supervisor"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// AdminServer implements cti.v1.Admin.
type AdminServer struct {
	ctiv1.UnimplementedAdminServer
	router *Router
}

// NewAdminServer returns the operators' API.
func NewAdminServer(r *Router) *AdminServer { return &AdminServer{router: r} }

// ListPlugins reports every instance; a shared one lists the sites it
// serves.
func (a *AdminServer) ListPlugins(context.Context, *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
	resp := &ctiv1.ListPluginsResponse{}
	for _, inst := range a.router.Instances() {
		resp.Plugins = append(resp.Plugins, inst.Status())
	}
	return resp, nil
}

// ListSites reports sites and their devices with the state of the instance
// serving each.
func (a *AdminServer) ListSites(context.Context, *ctiv1.ListSitesRequest) (*ctiv1.ListSitesResponse, error) {
	resp := &ctiv1.ListSitesResponse{}
	for _, name := range a.router.SiteNames() {
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
	inst := a.find(req.GetDriver(), req.GetSite())
	if inst == nil {
		return nil, status.Errorf(codes.NotFound, "no driver %q runs at site %q; see ListPlugins", req.GetDriver(), req.GetSite())
	}
	if err := inst.Restart(ctx); err != nil {
		return nil, status.Errorf(codes.Unavailable, "%v", err)
	}
	return inst.Status(), nil
}

// find returns the instance of driver that serves site, or nil. The empty
// site names the driver's shared instance.
func (a *AdminServer) find(driver, site string) *supervisor.Instance {
	for _, inst := range a.router.Instances() {
		if inst.Driver() != driver {
			continue
		}
		if inst.Site() == site || (site != "" && inst.Shared() && inst.Serves(site)) {
			return inst
		}
	}
	return nil
}

// SwapPlugin swaps the driver's instances at the requested sites in order,
// stopping at the first that fails. A shared instance is swapped once, however
// many of its sites are requested.
func (a *AdminServer) SwapPlugin(ctx context.Context, req *ctiv1.SwapPluginRequest) (*ctiv1.SwapPluginResponse, error) {
	var targets []*supervisor.Instance
	for _, inst := range a.router.Instances() {
		if inst.Driver() == req.GetDriver() && len(req.GetSites()) == 0 {
			targets = append(targets, inst)
		}
	}
	for _, site := range req.GetSites() {
		inst := a.find(req.GetDriver(), site)
		if inst == nil {
			return nil, status.Errorf(codes.NotFound, "no driver %q runs at site %q; see ListPlugins", req.GetDriver(), site)
		}
		if !slices.Contains(targets, inst) {
			targets = append(targets, inst)
		}
	}
	if len(targets) == 0 {
		return nil, status.Errorf(codes.NotFound, "no instance of driver %q runs; see ListPlugins", req.GetDriver())
	}
	resp := &ctiv1.SwapPluginResponse{}
	for _, inst := range targets {
		took, err := inst.Swap(ctx, req.GetBinary(), req.GetSha256())
		if err != nil {
			return nil, status.Errorf(status.Code(err), "%s: %s (instances swapped before it: %d)", where(inst), status.Convert(err).Message(), len(resp.GetPlugins()))
		}
		resp.Plugins = append(resp.Plugins, inst.Status())
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
