package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The host's own attributes, declared like a driver's so that one checker
// reports every block the same way.
var (
	hostAttrs = []*ctiv1.ConfigAttribute{
		{Name: "listen", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "127.0.0.1:7070", Description: "the host API (gRPC) address, host:port"},
		{Name: "plugin_dir", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "./bin/plugins", Description: "the folder of the plugin binaries, relative to the config file's folder"},
		{Name: "log_level", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "info", AllowedValues: []string{"trace", "debug", "info", "warn", "error"}, Description: "the least severe log level written"},
		{Name: "log_format", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "text", AllowedValues: []string{"text", "json"}, Description: "the log line format"},
		{Name: "command_timeout", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "5s", Description: "the deadline the host applies to every plugin call"},
		{Name: "event_buffer", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "10000", Description: "how many events are kept for replay"},
		{Name: "metrics", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "host:port serving Prometheus metrics at /metrics; empty (the default) turns them off"},
		{Name: "event_log_dir", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "a folder for the durable event log (an embedded NATS JetStream file store): the event sequence survives a restart and apps resume across it; empty (the default) keeps events in memory only"},
		{Name: "event_log_max_bytes", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "1073741824", Description: "the event log's size limit in bytes; the oldest events go first"},
		{Name: "event_log_max_age", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "24h", Description: "how long the event log keeps an event (0: no limit)"},
		{Name: "event_log_sync", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "0s", Description: "0 (the default) fsyncs every event before subscribers see it, so none is lost on power loss; a positive interval flushes that often instead: faster, and a power loss may lose that much"},
		{Name: "http_listen", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "host:port serving the API over HTTP/JSON and server-sent events (with the listen address's TLS, tokens and scopes); empty (the default) turns it off"},
		{Name: "callback_listen", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "host:port where devices call drivers back (a phone's action URLs); empty (the default) turns it off"},
		{Name: "callback_url", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "the http(s) URL devices reach callback_listen at, when it is not the listen address itself (NAT, a proxy, a wildcard address)"},
		{Name: "plugin_start_timeout", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "10s", Description: "how long a driver may take to complete the plugin handshake"},
		{Name: "restart_backoff", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "100ms", Description: "the delay before the first restart of a crashed driver; it doubles with each crash in the window"},
		{Name: "max_restart_backoff", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "30s", Description: "the longest delay between restarts"},
		{Name: "crash_loop_restarts", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "5", Description: "crashes within crash_loop_window after which a driver is no longer restarted"},
		{Name: "crash_loop_window", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "1m", Description: "the window crashes are counted in"},
		{Name: "command_grace", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "2s", Description: "how long a command waits for a restarting driver before it fails"},
		{Name: "probe_interval", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "2s", Description: "how often each driver is probed for liveness"},
		{Name: "probe_timeout", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "1s", Description: "how long a liveness probe may take; two failures in a row restart the driver"},
		{Name: "local_token", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "true", Description: "whether the host writes an admin token for the user who runs it, readable by that user only, where ctictl finds it"},
		{Name: "tls_cert_file", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the API's TLS certificate (PEM), relative to the config file's folder; with tls_key_file the API speaks TLS only"},
		{Name: "tls_key_file", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the private key of tls_cert_file (PEM)"},
		{Name: "tls_client_ca_file", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "CA certificates (PEM) that sign client certificates; set, every client must present one (mTLS)"},
		{Name: "insecure_plaintext", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "false", Description: "allow the API without TLS on an address beyond loopback, where tokens cross the network in clear"},
		{Name: "reflection", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "true", Description: "serve gRPC server reflection (the API's schema, for grpcurl) without authentication"},
		{Name: "audit_log", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: "", Description: "a file the audit lines are appended to as JSON, relative to the config file's folder; empty: the host log"},
		{Name: "max_connections", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "256", Description: "API connections open at once; more are closed at once"},
		{Name: "max_subscribers", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "1024", Description: "WatchEvents streams open at once, all clients together"},
		{Name: "max_client_subscribers", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "128", Description: "WatchEvents streams one client may have open at once"},
		{Name: "connection_idle_timeout", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "1m", Description: "how long an API connection may stay open without a call in progress"},
	}
	pluginAttrs = []*ctiv1.ConfigAttribute{
		{Name: "enabled", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "true", Description: "whether the host starts this driver"},
		{Name: "path", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the driver binary, by default <plugin_dir>/cti-driver-<name>"},
		{Name: "sha256", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the expected SHA-256 of the driver binary, 64 hex digits"},
		{Name: "isolation", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, DefaultValue: IsolationSite, AllowedValues: []string{IsolationSite, IsolationDriver},
			Description: `how many sites one driver process serves: "site", one process per site, or "driver", one process for every site of the driver`},
		{Name: "max_device_commands", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "4", Description: "commands the host sends to one device at a time"},
		{Name: "max_device_queue", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "16", Description: "commands that may wait for a device's turn; more are refused with RESOURCE_EXHAUSTED"},
	}
	deviceAttrs = []*ctiv1.ConfigAttribute{
		{Name: "driver", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Description: "the plugin block label of the driver that serves this device"},
		{Name: "model", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Description: "the device model, one of the driver's models"},
		{Name: "connection", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "the connection block of this site the device is reached through (a PBX user's PBX), if any"},
	}
	hostOwnDeviceAttrs = []string{"driver", "model", "connection"}
	connectionAttrs    = []*ctiv1.ConfigAttribute{
		{Name: "driver", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Description: "the plugin block label of the driver that serves this connection"},
	}
	hostOwnConnectionAttrs = []string{"driver"}
)

const maxEventBuffer = 10_000_000

// pluginAttr returns the plugin attribute declared with name.
func pluginAttr(name string) *ctiv1.ConfigAttribute {
	for _, a := range pluginAttrs {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// hostAttr returns the host attribute declared with name.
func hostAttr(name string) *ctiv1.ConfigAttribute {
	for _, a := range hostAttrs {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

var pluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// decode checks the top level and decodes host, plugin and site blocks. The
// host block goes first because plugin paths depend on plugin_dir.
func (c *Config) decode(s *sink, body *hclsyntax.Body) {
	var hosts, plugins, sites, clients, webhooks, directories, screenings, clusters []*hclsyntax.Block
	if body != nil {
		for _, attr := range sortedAttrs(body) {
			s.errorf(attr.NameRange, attr.Name, `move it into a block: host { … }, plugin "NAME" { … } or site "NAME" { … }`,
				"config file: attribute %q is outside any block", attr.Name)
		}
		for _, b := range body.Blocks {
			switch b.Type {
			case "host":
				hosts = append(hosts, b)
			case "plugin":
				plugins = append(plugins, b)
			case "site":
				sites = append(sites, b)
			case "client":
				clients = append(clients, b)
			case "webhook":
				webhooks = append(webhooks, b)
			case "directory":
				directories = append(directories, b)
			case "screening":
				screenings = append(screenings, b)
			case "cluster":
				clusters = append(clusters, b)
			default:
				s.errorf(b.TypeRange, "", unknownHint(b.Type, []string{"host", "plugin", "site", "client", "webhook", "directory", "screening", "cluster"}, "block"),
					"config file: unknown block %q", b.Type)
			}
		}
	}
	var hostBody *hclsyntax.Body
	for i, b := range hosts {
		if i > 0 {
			s.errorf(b.DefRange(), "", "first defined at "+where(hosts[0].DefRange())+"; merge the two blocks",
				"host block is defined twice")
			continue
		}
		if len(b.Labels) > 0 {
			s.errorf(b.LabelRanges[0], "", "write host { … }", "host block takes no label")
		}
		hostBody = b.Body
	}
	c.decodeHost(s, hostBody, hosts)
	seenPlugin := map[string]hcl.Range{}
	for _, b := range plugins {
		if p := c.decodePlugin(s, b, seenPlugin); p != nil {
			c.Plugins = append(c.Plugins, p)
		}
	}
	var devices []*Device
	seenSite := map[string]hcl.Range{}
	for _, b := range sites {
		site, all := c.decodeSite(s, b, seenSite)
		if site != nil {
			c.Sites = append(c.Sites, site)
		}
		devices = append(devices, all...)
	}
	for _, d := range devices {
		c.checkDriver(s, d)
	}
	c.decodeClients(s, clients)
	c.decodeWebhooks(s, webhooks)
	c.Directories = c.decodeDirectories(s, directories)
	c.Screenings = c.decodeScreenings(s, screenings)
	c.Cluster = c.decodeCluster(s, clusters)
}

func (c *Config) decodeHost(s *sink, body *hclsyntax.Body, blocks []*hclsyntax.Block) {
	at := hcl.Range{Filename: c.file, Start: hcl.InitialPos, End: hcl.InitialPos}
	if len(blocks) > 0 {
		at = blocks[0].DefRange()
	}
	v := c.checkBody(s, body, bodyRules{object: "host", owner: "ctihost", at: at, attrs: hostAttrs, others: []string{"http_cors_origins"}})
	h := Host{LogLevel: v["log_level"].text, LogFormat: v["log_format"].text}
	if l, ok := v["listen"]; ok {
		if err := checkListen(l.text); err != "" {
			s.errorf(l.rng, "listen", describe("ctihost", hostAttrs[0]), "host: attribute \"listen\" %s, got %s", err, l.shown())
		}
		h.Listen = l.text
	}
	if d, ok := v["plugin_dir"]; ok {
		if d.text == "" {
			s.errorf(d.rng, "plugin_dir", describe("ctihost", hostAttrs[1]), `host: attribute "plugin_dir" must not be empty; remove it to use "./bin/plugins"`)
		}
		h.PluginDir = c.absPath(d.text)
	}
	if t, ok := v["command_timeout"]; ok {
		h.CommandTimeout, _ = time.ParseDuration(t.text)
		if h.CommandTimeout <= 0 {
			s.errorf(t.rng, "command_timeout", describe("ctihost", hostAttrs[4]), "host: attribute \"command_timeout\" must be more than zero, got %q", t.text)
		}
	}
	if e, ok := v["event_buffer"]; ok {
		n, _ := strconv.ParseInt(e.text, 10, 64)
		if n < 1 || n > maxEventBuffer {
			s.errorf(e.rng, "event_buffer", describe("ctihost", hostAttrs[5]), "host: attribute \"event_buffer\" must be between 1 and %d, got %s", maxEventBuffer, e.text)
		}
		h.EventBuffer = int(min(max(n, 1), maxEventBuffer))
	}
	if m, ok := v["metrics"]; ok && m.text != "" {
		if err := checkListen(m.text); err != "" {
			s.errorf(m.rng, "metrics", describe("ctihost", hostAttr("metrics")), "host: attribute \"metrics\" %s, got %s", err, m.shown())
		}
		h.Metrics = m.text
	}
	c.decodeCallback(s, v, &h)
	if l := v["http_listen"]; l.text != "" {
		if err := checkListen(l.text); err != "" {
			s.errorf(l.rng, "http_listen", describe("ctihost", hostAttr("http_listen")), "host: attribute \"http_listen\" %s, got %s", err, l.shown())
		} else {
			h.HTTPListen = l.text
		}
	}
	h.HTTPCORSOrigins = c.corsOrigins(s, body)
	if d := v["event_log_dir"]; d.text != "" {
		h.EventLogDir = c.absPath(d.text)
	}
	h.EventLogMaxBytes, _ = strconv.ParseInt(v["event_log_max_bytes"].text, 10, 64)
	h.EventLogMaxAge, _ = time.ParseDuration(v["event_log_max_age"].text)
	h.EventLogSync, _ = time.ParseDuration(v["event_log_sync"].text)
	if b, ok := v["event_log_max_bytes"]; ok && h.EventLogMaxBytes < 1<<20 {
		s.errorf(b.rng, "event_log_max_bytes", "give at least 1048576 (1 MiB)", "host: event_log_max_bytes is too small")
	}
	supervision := []struct {
		name string
		dst  *time.Duration
	}{
		{"plugin_start_timeout", &h.StartTimeout}, {"restart_backoff", &h.RestartBackoff},
		{"max_restart_backoff", &h.MaxRestartBackoff}, {"crash_loop_window", &h.CrashLoopWindow},
		{"command_grace", &h.CommandGrace}, {"probe_interval", &h.ProbeInterval}, {"probe_timeout", &h.ProbeTimeout},
		{"connection_idle_timeout", &h.ConnectionIdleTimeout},
	}
	for _, d := range supervision {
		if t, ok := v[d.name]; ok {
			*d.dst, _ = time.ParseDuration(t.text)
			if *d.dst <= 0 {
				s.errorf(t.rng, d.name, describe("ctihost", hostAttr(d.name)), "host: attribute %q must be more than zero, got %q", d.name, t.text)
			}
		}
	}
	c.decodeSecurity(s, v, &h)
	if r, ok := v["crash_loop_restarts"]; ok {
		n, _ := strconv.ParseInt(r.text, 10, 64)
		if n < 1 || n > 1000 {
			s.errorf(r.rng, "crash_loop_restarts", describe("ctihost", hostAttr("crash_loop_restarts")), "host: attribute \"crash_loop_restarts\" must be between 1 and 1000, got %s", r.text)
		}
		h.CrashLoopRestarts = int(min(max(n, 1), 1000))
	}
	c.Host = h
}

// checkListen returns a problem with addr, or "".
func checkListen(addr string) string {
	const want = `must be host:port, such as "127.0.0.1:7070" or ":7070"`
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return want
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return want + " with a numeric port up to 65535"
	}
	return ""
}

func (c *Config) absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func where(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

// label checks that b has exactly one non-empty label. It returns the label
// (even an invalid one, to name the block in later messages) and whether it
// is valid.
func label(s *sink, b *hclsyntax.Block, object, example string, noSlash bool) (string, bool) {
	if len(b.Labels) != 1 {
		s.errorf(b.DefRange(), "", "write "+example, "%s block needs exactly one label, got %d", b.Type, len(b.Labels))
		return "", false
	}
	name := b.Labels[0]
	switch {
	case name == "":
		s.errorf(b.LabelRanges[0], "", "write "+example, "%s block has an empty label", b.Type)
		return name, false
	case noSlash && strings.Contains(name, "/"):
		s.errorf(b.LabelRanges[0], "", `"/" separates site and device in device references; rename it`, "%s %q: the name contains \"/\"", object, name)
		return name, false
	}
	return name, true
}

func (c *Config) decodePlugin(s *sink, b *hclsyntax.Block, seen map[string]hcl.Range) *Plugin {
	name, ok := label(s, b, "plugin", `plugin "grandstream" { … }`, false)
	if !ok {
		return nil
	}
	object := fmt.Sprintf("plugin %q", name)
	if !pluginName.MatchString(name) {
		s.errorf(b.LabelRanges[0], "", `use the driver's name in lower case: letters, digits, "-" and "_"`, "%s: invalid driver name", object)
	}
	p := &Plugin{Name: name, Range: b.DefRange(), bodyAt: b.DefRange()}
	v := c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: p.Range, attrs: pluginAttrs, blocks: []string{"config"}})
	for _, cb := range b.Body.Blocks {
		if cb.Type != "config" {
			continue
		}
		switch {
		case p.body != nil:
			s.errorf(cb.DefRange(), "", "first defined at "+where(p.bodyAt)+"; merge the two blocks", "%s: config block is defined twice", object)
		case len(cb.Labels) > 0:
			s.errorf(cb.LabelRanges[0], "", "write config { … }", "%s: config block takes no label", object)
		default:
			p.body, p.bodyAt = cb.Body, cb.DefRange()
		}
	}
	p.Enabled = v["enabled"].text != "false"
	for _, l := range []struct {
		name string
		dst  *int
	}{{"max_device_commands", &p.MaxDeviceCommands}, {"max_device_queue", &p.MaxDeviceQueue}} {
		if t, ok := v[l.name]; ok {
			n, _ := strconv.ParseInt(t.text, 10, 64)
			if n < 1 || n > 10000 {
				s.errorf(t.rng, l.name, describe("ctihost", pluginAttr(l.name)), "%s: attribute %q must be between 1 and 10000, got %s", object, l.name, t.text)
			}
			*l.dst = int(min(max(n, 1), 10000))
		}
	}
	p.Isolation = IsolationSite
	if iso, ok := v["isolation"]; ok {
		p.Isolation = iso.text
	}
	if !p.Enabled {
		p.disabled = v["enabled"].rng
	}
	p.Path = filepath.Join(c.Host.PluginDir, "cti-driver-"+name)
	if path, ok := v["path"]; ok {
		if path.text == "" {
			s.errorf(path.rng, "path", describe("ctihost", pluginAttrs[1]), "%s: attribute \"path\" must not be empty; remove it to use the default", object)
		}
		p.Path = c.absPath(path.text)
	}
	if sum, ok := v["sha256"]; ok {
		if _, err := hex.DecodeString(sum.text); err != nil || len(sum.text) != 64 {
			s.errorf(sum.rng, "sha256", "write the output of sha256sum for the driver binary, or remove the pin",
				"%s: attribute \"sha256\" must be 64 hexadecimal digits, got %d characters", object, len(sum.text))
		}
		p.SHA256 = strings.ToLower(sum.text)
	}
	if first, dup := seen[name]; dup {
		s.errorf(p.Range, "", "first defined at "+where(first)+"; remove one of them", "%s is defined twice", object)
		return nil
	}
	seen[name] = p.Range
	return p
}

// decodeSite returns the site (nil for a duplicate or a bad label) and every
// device decoded in it, duplicates included, so each gets its driver checked.
func (c *Config) decodeSite(s *sink, b *hclsyntax.Block, seen map[string]hcl.Range) (*Site, []*Device) {
	name, ok := label(s, b, "site", `site "hq" { … }`, true)
	object := fmt.Sprintf("site %q", name)
	site := &Site{Name: name, Range: b.DefRange()}
	c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: site.Range, blocks: []string{"device", "connection"}})
	var all []*Device
	seen2 := map[string]map[string]hcl.Range{"device": {}, "connection": {}}
	for _, db := range b.Body.Blocks {
		if db.Type != "device" && db.Type != "connection" {
			continue
		}
		d := c.decodeDevice(s, db, name)
		if d == nil {
			continue
		}
		all = append(all, d)
		if first, dup := seen2[d.block][d.Name]; dup {
			s.errorf(d.Range, "", "first defined at "+where(first)+"; rename or remove one of them",
				"%s %q is defined twice in site %q", d.block, d.Name, name)
			continue
		}
		seen2[d.block][d.Name] = d.Range
		if d.block == "connection" {
			site.Connections = append(site.Connections, d)
		} else {
			site.Devices = append(site.Devices, d)
		}
	}
	c.checkDeviceConnections(s, site)
	if !ok {
		return nil, all
	}
	if first, dup := seen[name]; dup {
		s.errorf(site.Range, "", "first defined at "+where(first)+"; merge the two blocks or rename one", "%s is defined twice", object)
		return nil, all
	}
	seen[name] = site.Range
	return site, all
}

// decodeDevice decodes a device or a connection block (b.Type), whose
// shapes differ only in the host's own attributes.
func (c *Config) decodeDevice(s *sink, b *hclsyntax.Block, site string) *Device {
	example, attrs := `device "reception" { … }`, deviceAttrs
	if b.Type == "connection" {
		example, attrs = `connection "pbx" { driver = "…" … }`, connectionAttrs
	}
	name, ok := label(s, b, b.Type, example, true)
	if !ok {
		return nil
	}
	d := &Device{Name: name, Range: b.DefRange(), block: b.Type, site: site, body: b.Body, driverAt: b.DefRange(), modelAt: b.DefRange()}
	v := c.checkBody(s, b.Body, bodyRules{object: d.object(), owner: "ctihost", at: d.Range, attrs: attrs, anyAttr: true})
	if drv, ok := v["driver"]; ok {
		d.Driver, d.driverAt = drv.text, drv.rng
	}
	if m, ok := v["model"]; ok {
		d.Model, d.modelAt, d.modelOK = m.text, m.rng, true
	}
	if conn, ok := v["connection"]; ok {
		d.Connection, d.connectionAt = conn.text, conn.rng
	}
	return d
}

func (d *Device) object() string { return fmt.Sprintf("%s %q", d.block, d.site+"/"+d.Name) }

// checkDeviceConnections reports a device whose connection attribute names
// no connection block of its site, or one of another driver.
func (c *Config) checkDeviceConnections(s *sink, site *Site) {
	for _, d := range site.Devices {
		if d.Connection == "" {
			continue
		}
		i := slices.IndexFunc(site.Connections, func(conn *Device) bool { return conn.Name == d.Connection })
		if i < 0 {
			var names []string
			for _, conn := range site.Connections {
				names = append(names, conn.Name)
			}
			hint := fmt.Sprintf(`add a connection %q { driver = %q … } block to site %q`, d.Connection, d.Driver, site.Name)
			if sug := suggest(d.Connection, names); sug != "" {
				hint = fmt.Sprintf("did you mean %q?", sug)
			}
			s.errorf(d.connectionAt, "connection", hint, "%s: connection %q is not a connection block of site %q", d.object(), d.Connection, site.Name)
			continue
		}
		if conn := site.Connections[i]; conn.Driver != d.Driver {
			s.errorf(d.connectionAt, "connection", "a device is reached through a connection of its own driver",
				"%s: connection %q is served by driver %q, the device by driver %q", d.object(), d.Connection, conn.Driver, d.Driver)
		}
	}
}

// checkDriver reports a device whose driver has no enabled plugin block.
func (c *Config) checkDriver(s *sink, d *Device) {
	if d.Driver == "" {
		if _, given := d.body.Attributes["driver"]; given {
			s.errorf(d.driverAt, "driver", describe("ctihost", deviceAttrs[0]), "%s: attribute \"driver\" must not be empty", d.object())
		}
		return
	}
	p := c.plugin(d.Driver)
	switch {
	case p == nil:
		var names []string
		for _, p := range c.Plugins {
			names = append(names, p.Name)
		}
		hint := fmt.Sprintf(`add a plugin %q { } block or use one of the declared plugins (%s)`, d.Driver, strings.Join(names, ", "))
		if sug := suggest(d.Driver, names); sug != "" {
			hint = fmt.Sprintf("did you mean %q?", sug)
		} else if len(names) == 0 {
			hint = fmt.Sprintf(`add a plugin %q { } block`, d.Driver)
		}
		s.errorf(d.driverAt, "driver", hint, "%s: driver %q has no plugin block", d.object(), d.Driver)
	case !p.Enabled:
		s.errorf(d.driverAt, "driver", fmt.Sprintf("its plugin block sets enabled = false at %s; enable it or remove this device", where(p.disabled)),
			"%s: driver %q is disabled", d.object(), d.Driver)
	default:
		d.served = true
	}
}

// plugin returns the plugin block named name, or nil.
func (c *Config) plugin(name string) *Plugin {
	for _, p := range c.Plugins {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// decodeCallback checks callback_listen and callback_url: the base URL
// drivers give devices is callback_url, or http://callback_listen/ when
// the listen address names a host devices can reach.
func (c *Config) decodeCallback(s *sink, v map[string]setting, h *Host) {
	l, u := v["callback_listen"], v["callback_url"]
	if l.text != "" {
		if err := checkListen(l.text); err != "" {
			s.errorf(l.rng, "callback_listen", describe("ctihost", hostAttr("callback_listen")), "host: attribute \"callback_listen\" %s, got %s", err, l.shown())
			return
		}
		h.CallbackListen = l.text
	}
	switch {
	case u.text != "":
		parsed, err := url.Parse(u.text)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" || parsed.User != nil || parsed.RawQuery != "" || parsed.Fragment != "" {
			s.errorf(u.rng, "callback_url", `write an http or https URL without credentials, query or fragment, e.g. "http://10.0.0.2:7080/"`,
				"host: attribute \"callback_url\" is not a URL devices can call") // not shown: it may hold credentials
			return
		}
		if h.CallbackListen == "" {
			s.errorf(u.rng, "callback_url", "set callback_listen too, or remove callback_url", "host: callback_url is set but callback_listen is not")
			return
		}
		h.CallbackURL = strings.TrimSuffix(u.text, "/") + "/"
	case h.CallbackListen != "":
		host, _, _ := net.SplitHostPort(h.CallbackListen)
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			s.errorf(l.rng, "callback_url", `add callback_url = "http://ADDRESS-DEVICES-REACH:PORT/"`,
				"host: callback_listen %s listens on every address; say which one devices call in callback_url", l.shown())
			return
		}
		h.CallbackURL = "http://" + h.CallbackListen + "/"
	}
}

// corsOrigins decodes the host block's optional http_cors_origins: the
// browser origins ("https://crm.example.com") allowed to call the HTTP API
// from their pages.
func (c *Config) corsOrigins(s *sink, body *hclsyntax.Body) []string {
	if body == nil {
		return nil
	}
	attr, ok := body.Attributes["http_cors_origins"]
	if !ok {
		return nil
	}
	v, ok := c.eval(s, "host", attr, false)
	if !ok {
		return nil
	}
	v, _ = v.Unmark()
	ty := v.Type()
	if v.IsNull() || !v.IsWhollyKnown() || !(ty.IsTupleType() || ty.IsListType()) {
		s.errorf(attr.Expr.Range(), "http_cors_origins", `write a list such as http_cors_origins = ["https://crm.example.com"]`, "host: attribute \"http_cors_origins\" must be a list of origins")
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			s.errorf(attr.Expr.Range(), "http_cors_origins", "quote each origin", "host: attribute \"http_cors_origins\" must hold only strings")
			return nil
		}
		o := e.AsString()
		u, err := url.Parse(o)
		if o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil) {
			s.errorf(attr.Expr.Range(), "http_cors_origins", `an origin is a scheme and host, like "https://crm.example.com", or "*" for any`, "host: %q is not an origin", o)
			return nil
		}
		out = append(out, strings.TrimSuffix(o, "/"))
	}
	return out
}
