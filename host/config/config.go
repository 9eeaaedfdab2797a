package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Config is a decoded config.hcl whose host-level structure has been checked.
// Driver settings are checked later by Resolve, once the drivers' schemas
// are known. A Config is not changed after Load or Parse returns it and is
// safe for concurrent use.
type Config struct {
	// Host holds the host block, defaults applied.
	Host Host
	// Plugins lists the plugin blocks in file order, the first of each name.
	Plugins []*Plugin
	// Sites lists the site blocks in file order, the first of each name.
	Sites []*Site
	// Clients lists the client blocks in file order: who may use the API.
	Clients []*Client
	// Webhooks lists the webhook blocks in file order: where events are
	// POSTed.
	Webhooks []*Webhook
	// Directories lists the directory blocks in file order: the CSV files
	// of contacts the calls of their sites are looked up in, at most one
	// directory per site.
	Directories []*Directory
	// Screenings lists the screening blocks in file order: the first whose
	// sites and callers match a ringing inbound call decides about it.
	Screenings []*Screening
	// Cluster is the cluster block, or nil for a host on its own.
	Cluster *Cluster
	// Dir is the absolute folder of the config file; relative paths in the
	// file (plugin_dir, path, file()) are relative to it.
	Dir string

	file string // the path as given, for diagnostics
}

// Host is the host block.
type Host struct {
	// Listen is the host API (gRPC) address, host:port. Default "127.0.0.1:7070".
	Listen string
	// PluginDir is the absolute folder of plugin binaries. Default "./bin/plugins".
	PluginDir string
	// LogLevel is one of trace, debug, info, warn, error. Default "info".
	LogLevel string
	// LogFormat is text or json. Default "text".
	LogFormat string
	// CommandTimeout is the deadline the host applies to every plugin call. Default 5s.
	CommandTimeout time.Duration
	// EventBuffer is how many events are kept for replay. Default 10000.
	EventBuffer int
	// Metrics is the host:port of the Prometheus endpoint; "" means off.
	Metrics string
	// EventLogDir is the absolute folder of the durable event log; ""
	// keeps events in memory only. EventLogMaxBytes and EventLogMaxAge
	// bound it; EventLogSync 0 fsyncs every event, a positive one flushes
	// that often.
	EventLogDir      string
	EventLogMaxBytes int64
	EventLogMaxAge   time.Duration
	EventLogSync     time.Duration
	// HTTPListen is the host:port of the HTTP/JSON API; "" means off.
	// HTTPCORSOrigins are the browser origins allowed to call it.
	HTTPListen      string
	HTTPCORSOrigins []string
	// CallbackListen is the host:port of the callback listener; "" means
	// off. CallbackURL is the base URL devices call it at, ending in "/".
	CallbackListen, CallbackURL string

	// LocalToken says whether the host writes an admin token for its own
	// user (auth.LocalTokenFile). Default true.
	LocalToken bool
	// TLSCertFile and TLSKeyFile, both absolute or both empty, make the API
	// speak TLS; TLSClientCAFile also requires client certificates.
	TLSCertFile, TLSKeyFile, TLSClientCAFile string
	// InsecurePlaintext allows the API without TLS beyond loopback.
	InsecurePlaintext bool
	// Reflection serves gRPC server reflection. Default true.
	Reflection bool
	// AuditLog is the absolute path of the audit log file; "" is the host log.
	AuditLog string
	// Server limits: connections, event streams overall and per client,
	// and how long a connection may idle. Defaults 256, 1024, 128, 1m.
	MaxConnections, MaxSubscribers, MaxClientSubscribers int
	ConnectionIdleTimeout                                time.Duration

	// Supervision of plugin processes (see supervisor.Policy for what each
	// does). Defaults: 10s, 100ms, 30s, 5, 1m, 2s, 2s, 1s.
	StartTimeout, RestartBackoff, MaxRestartBackoff time.Duration
	CrashLoopRestarts                               int
	CrashLoopWindow, CommandGrace                   time.Duration
	ProbeInterval, ProbeTimeout                     time.Duration
}

// Plugin is one plugin block; its label is the driver name.
type Plugin struct {
	Name string
	// Enabled is false when the block says enabled = false. Default true.
	Enabled bool
	// Path is the driver binary: absolute, or as given if it was absolute.
	// Default <plugin_dir>/cti-driver-<name>.
	Path string
	// SHA256 is the pinned lower-case hex digest of the binary, or "".
	SHA256 string
	// Isolation is IsolationSite (the default: one process per site) or
	// IsolationDriver (one process serves every site of the driver).
	Isolation string
	// MaxDeviceCommands and MaxDeviceQueue bound the commands the host
	// sends to one device at a time and those waiting. Defaults 4 and 16.
	MaxDeviceCommands, MaxDeviceQueue int
	// Range is the block header in the file.
	Range hcl.Range

	body     *hclsyntax.Body // the config {} block, or nil
	bodyAt   hcl.Range       // its header, or the plugin's
	disabled hcl.Range       // where enabled = false is written
}

// The values of a plugin block's isolation attribute.
const (
	// IsolationSite runs one process of the driver per site that uses it:
	// a crash or a hang affects that site only.
	IsolationSite = "site"
	// IsolationDriver runs one process of the driver for every site that
	// uses it: one process instead of one per site, but a crash or a hang
	// affects all of those sites.
	IsolationDriver = "driver"
)

// Site is one site block.
type Site struct {
	Name string
	// Devices lists the site's device blocks in file order, the first of each name.
	Devices []*Device
	// Connections lists the site's connection blocks in file order, the
	// first of each name. A connection block has a device block's shape
	// without a model: the driver that serves it and the driver's
	// connection settings (a PBX's address, credentials and scope).
	Connections []*Device
	// Range is the block header in the file.
	Range hcl.Range
}

// Device is one device block. Its driver settings are checked by Resolve.
type Device struct {
	// Name is the device id, unique within its site.
	Name string
	// Driver names the plugin block that serves the device.
	Driver string
	// Model is the model as written; Resolve checks it against the driver.
	// Empty for a connection block.
	Model string
	// Connection is a device block's `connection` attribute: the connection
	// block of the same site the device is reached through, or "".
	Connection string
	// Range is the block header in the file.
	Range hcl.Range

	// block is "device" or "connection".
	block        string
	site         string
	body         *hclsyntax.Body // the whole block; Resolve skips driver and model
	driverAt     hcl.Range
	modelAt      hcl.Range
	connectionAt hcl.Range
	modelOK      bool // model was given and evaluated
	served       bool // Driver names an enabled plugin block
}

// Load reads and decodes the config file at path and checks the host's own
// structure (see Parse). It returns every problem found; the Config is nil
// only when the file cannot be read.
func Load(path string) (*Config, Diagnostics) {
	src, err := readRegular(path, MaxConfigSize)
	if err != nil {
		detail := "check the path and its permissions"
		var tooLarge *tooLargeError
		switch {
		case errors.As(err, &tooLarge):
			detail = tooLargeHint
		case errors.Is(err, errNotRegular), errors.Is(err, errSystemFile):
			detail = "name an ordinary file, not a folder, pipe or device"
		}
		return nil, Diagnostics{{
			Severity: Error,
			File:     path,
			Summary:  fmt.Sprintf("cannot read the config file: %v", err),
			Detail:   detail,
		}}
	}
	return Parse(src, path)
}

// tooLargeHint is the detail of a config file over MaxConfigSize.
var tooLargeHint = fmt.Sprintf("a config file may have up to %s, enough for some 14,000 devices; check that this is the config file", sizeText(MaxConfigSize))

// Parse decodes src as the config file filename (used in diagnostics and to
// find the config folder) and checks the host's own structure: blocks and
// attributes of host, plugin, site and device, duplicates, and that every
// device names an enabled plugin. It evaluates env() and file() in the
// attributes it checks. It never stops at the first problem, and always
// returns a Config, possibly partial when there are errors. Only a src
// larger than MaxConfigSize, or nested more than 64 levels deep, is refused
// before parsing, with that one error and the host's defaults.
func Parse(src []byte, filename string) (*Config, Diagnostics) {
	dir, err := filepath.Abs(filepath.Dir(filename))
	if err != nil {
		dir = filepath.Dir(filename)
	}
	c := &Config{Dir: dir, file: filename}
	s := &sink{file: filename}
	body := parseBody(s, src, filename)
	c.decode(s, body)
	return c, s.result()
}

// parseBody runs the HCL parser, turning a parser panic into a diagnostic.
// A file over MaxConfigSize, or nested deeper than maxNesting, is not
// parsed at all.
func parseBody(s *sink, src []byte, filename string) (body *hclsyntax.Body) {
	if len(src) > MaxConfigSize {
		s.errorf(hcl.Range{Filename: filename}, "", tooLargeHint, "the config file is larger than %s", sizeText(MaxConfigSize))
		return nil
	}
	if at := tooDeep(src, filename); at != nil {
		s.errorf(*at, "", "a config needs only a few levels of brackets, braces, parentheses and ${…}; look for ones opened and never closed",
			"syntax error: nested more than %d levels deep", maxNesting)
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			body = nil
			s.errorf(hcl.Range{Filename: filename}, "", "check the file's syntax: braces, quotes and one attribute or block per line",
				"syntax error: the file could not be parsed")
		}
	}()
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	s.addSyntax(diags)
	if f == nil {
		return nil
	}
	body, _ = f.Body.(*hclsyntax.Body)
	return body
}
