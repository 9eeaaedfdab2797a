package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// DriverSpec is what the host learned from a driver binary: its
// GetConfigSchema answer and the model names of its GetInfo answer.
type DriverSpec struct {
	// Name is DriverInfo.name: every process started for the driver must
	// report it before it is configured.
	Name string
	// Schema declares the driver's plugin-level and device-level settings.
	// Nil means the driver accepts no settings.
	Schema *ctiv1.ConfigSchema
	// Models are DriverInfo.models[].model, matched case-insensitively.
	Models []string
}

// Instance is one plugin process to start: with the plugin's default
// isolation ("site") one (site, driver) pair, serving the site's devices of
// that driver; with isolation = "driver" one process shared by every site
// that uses the driver.
type Instance struct {
	// Site is the site served; empty for a shared instance.
	Site string
	// Shared is true for a plugin block with isolation = "driver": the
	// instance serves Sites, and its device ids are "site/device".
	Shared bool
	// Sites are the sites served, sorted: Site alone unless Shared.
	Sites  []string
	Driver string
	// DriverName is the name the driver's binary reported (DriverSpec.Name).
	DriverName string
	// Plugin is the driver's plugin block.
	Plugin *Plugin
	// Request is the Configure call for the instance: the plugin's settings
	// and the devices of the driver at Site (ids as in the device blocks)
	// or, when Shared, at every site (ids "site/device", Request.Site
	// empty), checked, defaults applied, secrets resolved, values as text
	// (see ctiv1.ConfigType).
	Request *ctiv1.ConfigureRequest
	// Secrets are the resolved values of the secret settings in Request, so
	// that callers can redact them from logs and errors.
	Secrets []string
}

// Resolve checks every enabled plugin's config block and every device block
// against its driver's spec (specs is keyed by driver name), applies
// defaults, resolves env() and file(), and converts values to text: INT as
// decimal, BOOL as "true"/"false", DURATION as written once it parses with
// time.ParseDuration. A device whose driver has no spec in specs (the plugin
// could not be started) is an error; that plugin's config block is then not
// checked.
//
// It returns one Instance per (site, enabled driver) pair that has devices
// or, for a driver with isolation = "driver", one per driver, sorted by site
// (empty for the shared ones, which come first) then driver, or nil
// instances when there is any error. The
// diagnostics cover only what Load or Parse could not check, so Resolve may
// be called on a Config that came back with errors to report everything at
// once; devices whose driver Load already rejected are skipped. Resolve
// does not change c and is safe to call concurrently; it reads the
// environment and files again on each call.
func (c *Config) Resolve(specs map[string]DriverSpec) ([]Instance, Diagnostics) {
	s := &sink{file: c.file}
	plugins := map[string]map[string]setting{}
	for _, p := range c.Plugins {
		spec, ok := specs[p.Name]
		if !p.Enabled || !ok {
			continue
		}
		plugins[p.Name] = c.checkBody(s, p.body, bodyRules{
			object: fmt.Sprintf("plugin %q config", p.Name), owner: p.Name, at: p.bodyAt,
			attrs: spec.Schema.GetDriverSettings(),
		})
	}

	byKey := map[[2]string]*Instance{}
	// instance returns the instance that serves driver at site, made on
	// first use.
	instance := func(site, driver string, spec DriverSpec) *Instance {
		key := [2]string{site, driver}
		if c.plugin(driver).Isolation == IsolationDriver {
			key[0] = "" // one process for every site
		}
		inst := byKey[key]
		if inst == nil {
			inst = &Instance{Site: key[0], Shared: key[0] == "", Driver: driver, DriverName: spec.Name, Plugin: c.plugin(driver),
				Request: &ctiv1.ConfigureRequest{Site: key[0], Settings: map[string]string{}}}
			for name, v := range plugins[driver] {
				inst.Request.Settings[name] = v.text
				if v.secret {
					inst.Secrets = addSecret(inst.Secrets, v.text)
				}
			}
			byKey[key] = inst
		}
		if !slices.Contains(inst.Sites, site) {
			inst.Sites = append(inst.Sites, site)
		}
		return inst
	}
	for _, site := range c.Sites {
		for _, conn := range site.Connections {
			spec, ok := c.servedSpec(s, conn, specs)
			if !ok {
				continue
			}
			cc, secrets := c.resolveConnection(s, conn, spec)
			if cc == nil {
				continue
			}
			inst := instance(site.Name, conn.Driver, spec)
			if inst.Shared {
				// Its devices' ids are references; the driver puts the
				// prefix before every device it discovers.
				cc.Name, cc.DevicePrefix = site.Name+"/"+cc.GetName(), site.Name+"/"
			}
			inst.Request.Connections = append(inst.Request.Connections, cc)
			for _, sec := range secrets {
				inst.Secrets = addSecret(inst.Secrets, sec)
			}
		}
		for _, d := range site.Devices {
			spec, ok := c.servedSpec(s, d, specs)
			if !ok {
				continue
			}
			dc, secrets := c.resolveDevice(s, d, spec)
			if dc == nil {
				continue
			}
			inst := instance(site.Name, d.Driver, spec)
			if inst.Shared {
				// One process for every site: its device ids are the
				// app-facing references, unique across sites.
				dc.Device = site.Name + "/" + dc.GetDevice()
				if dc.Connection != "" {
					dc.Connection = site.Name + "/" + dc.GetConnection()
				}
			}
			inst.Request.Devices = append(inst.Request.Devices, dc)
			for _, sec := range secrets {
				inst.Secrets = addSecret(inst.Secrets, sec)
			}
		}
	}
	diags := s.result()
	if diags.HasErrors() {
		return nil, diags
	}
	out := make([]Instance, 0, len(byKey))
	for _, key := range slices.SortedFunc(maps.Keys(byKey), func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(a[0], b[0])
		}
		return strings.Compare(a[1], b[1])
	}) {
		inst := byKey[key]
		slices.SortFunc(inst.Request.Connections, func(a, b *ctiv1.ConnectionConfig) int { return strings.Compare(a.GetName(), b.GetName()) })
		sort.Strings(inst.Secrets)
		sort.Strings(inst.Sites)
		out = append(out, *inst)
	}
	return out, diags
}

// servedSpec returns the spec of the driver serving a device or connection
// block, reporting a driver that could not be started. ok is false for a
// block Load already rejected (its driver has no enabled plugin block).
func (c *Config) servedSpec(s *sink, d *Device, specs map[string]DriverSpec) (DriverSpec, bool) {
	if !d.served {
		return DriverSpec{}, false
	}
	spec, ok := specs[d.Driver]
	if !ok {
		s.errorf(d.driverAt, "driver", "the plugin could not be started; see its log, fix it and start ctihost again",
			"%s: driver %q did not report its configuration schema", d.object(), d.Driver)
	}
	return spec, ok
}

// resolveConnection checks one connection block against spec. It returns
// nil when the block has an error, and the connection's secret values.
func (c *Config) resolveConnection(s *sink, d *Device, spec DriverSpec) (*ctiv1.ConnectionConfig, []string) {
	attrs := spec.Schema.GetConnectionSettings()
	if len(attrs) == 0 {
		s.errorf(d.driverAt, "driver", "declare the driver's devices as device blocks instead, each with its own settings",
			"%s: driver %q takes no connection blocks", d.object(), d.Driver)
		return nil, nil
	}
	n := len(s.diags)
	v := c.checkBody(s, d.body, bodyRules{
		object: d.object(), owner: d.Driver, at: d.Range,
		attrs: attrs, others: hostOwnConnectionAttrs, anyBlock: true,
	})
	if s.diags[n:].HasErrors() {
		return nil, nil
	}
	settings, secrets := texts(v)
	return &ctiv1.ConnectionConfig{Name: d.Name, Settings: settings}, secrets
}

// texts returns checked settings as the text a driver gets, and the values
// of the secret ones.
func texts(v map[string]setting) (settings map[string]string, secrets []string) {
	settings = make(map[string]string, len(v))
	for name, set := range v {
		settings[name] = set.text
		if set.secret {
			secrets = append(secrets, set.text)
		}
	}
	return settings, secrets
}

// resolveDevice checks one device against spec. It returns nil when the
// device has an error, and the device's secret values.
func (c *Config) resolveDevice(s *sink, d *Device, spec DriverSpec) (*ctiv1.DeviceConfig, []string) {
	n := len(s.diags)
	model := ""
	for _, m := range spec.Models {
		if strings.EqualFold(m, d.Model) {
			model = m
			break
		}
	}
	if model == "" && d.modelOK {
		models := slices.Clone(spec.Models)
		sort.Strings(models)
		hint := "use one of: " + strings.Join(models, ", ")
		if len(models) == 0 {
			hint = "the driver declares no models; check the plugin's version"
		}
		s.errorf(d.modelAt, "model", hint, "%s: model %q is not supported by driver %q", d.object(), d.Model, d.Driver)
	}
	v := c.checkBody(s, d.body, bodyRules{
		object: d.object(), owner: d.Driver, at: d.Range,
		attrs: spec.Schema.GetDeviceSettings(), others: hostOwnDeviceAttrs, anyBlock: true,
	})
	if s.diags[n:].HasErrors() || model == "" {
		return nil, nil
	}
	settings, secrets := texts(v)
	return &ctiv1.DeviceConfig{Device: d.Name, Model: model, Connection: d.Connection, Settings: settings}, secrets
}

// addSecret appends a non-empty secret once.
func addSecret(list []string, secret string) []string {
	if secret == "" || slices.Contains(list, secret) {
		return list
	}
	return append(list, secret)
}
