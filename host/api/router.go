package api

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/ctihost/ctihost/host/supervisor"
	"github.com/ctihost/ctihost/sdk"
)

// route is where one device reference leads.
type route struct {
	inst   *supervisor.Instance
	device string // the id the driver knows
	model  string
}

// Router maps "site/device" references to instances. A shared instance
// (one process for every site of its driver) is reached through the
// references of every site it serves. Update replaces the whole map at once
// (a config reload); it is safe for concurrent use.
type Router struct {
	mu        sync.RWMutex
	instances []*supervisor.Instance
	routes    map[string]route
	sites     map[string][]string // site -> sorted device refs
}

// NewRouter indexes the devices each instance is configured with.
func NewRouter(instances []*supervisor.Instance) *Router {
	r := &Router{}
	r.Update(instances)
	return r
}

// Update indexes a new set of instances, replacing the old one.
func (r *Router) Update(instances []*supervisor.Instance) {
	routes, sites := map[string]route{}, map[string][]string{}
	for _, inst := range instances {
		for _, site := range inst.Sites() {
			if _, ok := sites[site]; !ok {
				sites[site] = nil
			}
		}
		for _, d := range inst.ConfiguredDevices() {
			site, ref := inst.Ref(d.GetDevice())
			routes[ref] = route{inst: inst, device: d.GetDevice(), model: d.GetModel()}
			sites[site] = append(sites[site], ref)
		}
	}
	for site := range sites {
		sort.Strings(sites[site])
	}
	r.mu.Lock()
	r.instances, r.routes, r.sites = append([]*supervisor.Instance(nil), instances...), routes, sites
	r.mu.Unlock()
}

// siteRoutes returns the routes of a site's devices in reference order.
func (r *Router) siteRoutes(site string) (refs []string, routes []route) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, ref := range r.sites[site] {
		refs, routes = append(refs, ref), append(routes, r.routes[ref])
	}
	return refs, routes
}

// maxRefLength bounds a device reference: site and device names are
// config labels, never this long.
const maxRefLength = 512

// Resolve finds the route of a device reference. A site the caller may not
// reach is answered exactly as a site that does not exist.
func (r *Router) Resolve(ctx context.Context, ref string) (route, error) {
	site, device, ok := strings.Cut(ref, "/")
	if len(ref) > maxRefLength || !ok || site == "" || device == "" || strings.Contains(device, "/") {
		return route{}, sdk.InvalidArgument("device %s is not a reference of the form site/device", quoted(ref)).GRPCStatus().Err()
	}
	r.mu.RLock()
	rt, ok := r.routes[ref]
	_, knownSite := r.sites[site]
	instances := r.instances
	r.mu.RUnlock()
	if !knownSite || !maySite(ctx, site) {
		return route{}, r.unknownSite(ctx, site)
	}
	if ok {
		return rt, nil
	}
	// Not configured: a device one of the site's drivers discovered (a PBX
	// user or queue), known for as long as the driver announces it.
	for _, inst := range instances {
		if !inst.Serves(site) {
			continue
		}
		if id, model, found := inst.Discovered(ref); found {
			return route{inst: inst, device: id, model: model}, nil
		}
	}
	return route{}, sdk.NotFound("device %s is neither configured nor discovered at site %q", quoted(device), site).GRPCStatus().Err()
}

// unknownSite is the NOT_FOUND of a site that does not exist for the
// caller; it lists only the sites the caller may reach.
func (r *Router) unknownSite(ctx context.Context, site string) error {
	return sdk.NotFound("site %s is not configured; known sites: %s", quoted(site), strings.Join(r.SiteNames(ctx), ", ")).GRPCStatus().Err()
}

// SiteNames returns the configured sites the caller may reach, sorted.
func (r *Router) SiteNames(ctx context.Context) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.sites))
	for s := range r.sites {
		if maySite(ctx, s) {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	return names
}

// CheckSites returns NOT_FOUND for the first site that is unknown or out
// of the caller's reach.
func (r *Router) CheckSites(ctx context.Context, sites []string) error {
	for _, s := range sites {
		r.mu.RLock()
		_, ok := r.sites[s]
		r.mu.RUnlock()
		if !ok || !maySite(ctx, s) {
			return r.unknownSite(ctx, s)
		}
	}
	return nil
}

// Instances returns every instance in site, then driver order; shared
// instances (no site of their own) come first.
func (r *Router) Instances() []*supervisor.Instance {
	r.mu.RLock()
	out := append([]*supervisor.Instance(nil), r.instances...)
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Site() != out[j].Site() {
			return out[i].Site() < out[j].Site()
		}
		return out[i].Driver() < out[j].Driver()
	})
	return out
}

// describe is used in messages.
func (rt route) describe() string { return rt.inst.Describe() }
