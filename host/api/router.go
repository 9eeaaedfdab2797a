package api

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ctihost/ctihost/host/supervisor"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// route is where one device reference leads.
type route struct {
	inst   *supervisor.Instance
	device string // the id the driver knows
	model  string
}

// Router maps "site/device" references to instances. It is built once from
// the configuration and read concurrently afterwards.
type Router struct {
	instances []*supervisor.Instance
	routes    map[string]route
	sites     map[string][]string // site -> sorted device refs
}

// NewRouter indexes the devices each instance was configured with.
func NewRouter(instances []*supervisor.Instance, configs map[*supervisor.Instance]*ctiv1.ConfigureRequest) *Router {
	r := &Router{instances: instances, routes: map[string]route{}, sites: map[string][]string{}}
	for _, inst := range instances {
		if _, ok := r.sites[inst.Site()]; !ok {
			r.sites[inst.Site()] = nil
		}
		for _, d := range configs[inst].GetDevices() {
			ref := inst.Site() + "/" + d.GetDevice()
			r.routes[ref] = route{inst: inst, device: d.GetDevice(), model: d.GetModel()}
			r.sites[inst.Site()] = append(r.sites[inst.Site()], ref)
		}
	}
	for site := range r.sites {
		sort.Strings(r.sites[site])
	}
	return r
}

// Resolve finds the route of a device reference.
func (r *Router) Resolve(ref string) (route, error) {
	site, device, ok := strings.Cut(ref, "/")
	if !ok || site == "" || device == "" || strings.Contains(device, "/") {
		return route{}, sdk.InvalidArgument("device %q is not a reference of the form site/device", ref).GRPCStatus().Err()
	}
	rt, ok := r.routes[ref]
	if !ok {
		if _, known := r.sites[site]; !known {
			return route{}, sdk.NotFound("site %q is not configured; known sites: %s", site, strings.Join(r.SiteNames(), ", ")).GRPCStatus().Err()
		}
		return route{}, sdk.NotFound("device %q is not configured at site %q", device, site).GRPCStatus().Err()
	}
	return rt, nil
}

// SiteNames returns the configured sites, sorted.
func (r *Router) SiteNames() []string {
	names := make([]string, 0, len(r.sites))
	for s := range r.sites {
		names = append(names, s)
	}
	sort.Strings(names)
	return names
}

// CheckSites returns NOT_FOUND for the first unknown site.
func (r *Router) CheckSites(sites []string) error {
	for _, s := range sites {
		if _, ok := r.sites[s]; !ok {
			return sdk.NotFound("site %q is not configured; known sites: %s", s, strings.Join(r.SiteNames(), ", ")).GRPCStatus().Err()
		}
	}
	return nil
}

// Instances returns every instance in site, then driver order.
func (r *Router) Instances() []*supervisor.Instance {
	out := append([]*supervisor.Instance(nil), r.instances...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Site() != out[j].Site() {
			return out[i].Site() < out[j].Site()
		}
		return out[i].Driver() < out[j].Driver()
	})
	return out
}

// describe is used in messages.
func (rt route) describe() string {
	return fmt.Sprintf("driver %q at site %q", rt.inst.Driver(), rt.inst.Site())
}
