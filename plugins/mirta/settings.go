package mirta

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// Defaults of the connection settings.
const (
	defaultPath              = "/pbx/proxyapi.php"
	defaultPollInterval      = time.Second
	defaultDiscoveryInterval = time.Minute
	defaultDNDRefresh        = 5 * time.Minute
	defaultTimeout           = 5 * time.Second
	defaultMaxConcurrent     = 4
	defaultDialTimeout       = 30 * time.Second
	defaultLookupCache       = time.Minute
	defaultLookupTimeout     = 500 * time.Millisecond
	defaultNumberFields      = "PHONE1,PHONE2"
	defaultNameField         = "NAME"
)

func connectionSettings() []*ctiv1.ConfigAttribute {
	str, dur, boolean, num := ctiv1.ConfigType_CONFIG_TYPE_STRING, ctiv1.ConfigType_CONFIG_TYPE_DURATION,
		ctiv1.ConfigType_CONFIG_TYPE_BOOL, ctiv1.ConfigType_CONFIG_TYPE_INT
	return []*ctiv1.ConfigAttribute{
		{Name: "url", Type: str, Required: true, Description: `the PBX's web server, "https://pbx.example.com" (scheme and host only; http:// only on loopback or with allow_http)`},
		{Name: "path", Type: str, DefaultValue: defaultPath, Description: `proxyapi.php's path: "/pbx/proxyapi.php" on production installs, "/mirtapbx/proxyapi.php" on MiRTA's demo server`},
		{Name: "tenant", Type: str, Required: true, Description: "the tenant code (e.g. DEVEL): every request names it, so the site sees only this tenant, even with the admin key"},
		{Name: "key", Type: str, Required: true, Secret: true, Description: "the tenant's read/write API key (Configuration/Settings), or the admin key; a read-only key lists and watches but cannot dial"},
		{Name: "key_in", Type: str, DefaultValue: "query", AllowedValues: []string{"query", "header"}, Description: `"query" sends the key as proxyapi's key parameter (the only form MiRTA publishes for proxyapi.php); "header" sends X-API-Key (published for openapi.php), which keeps it out of access logs where the PBX accepts it`},
		{Name: "format", Type: str, DefaultValue: "json", AllowedValues: []string{"json", "plain"}, Description: "the answers' format; both are parsed"},
		{Name: "ca_file", Type: str, Description: "PEM certificates that sign the PBX's certificate, instead of the system's roots"},
		{Name: "certificate_sha256", Type: str, Description: "the SHA-256 fingerprint of the PBX's own certificate, to trust exactly it"},
		{Name: "allow_http", Type: boolean, DefaultValue: "false", Description: "allow an http:// url to a host other than loopback: the key then crosses the network in clear"},
		{Name: "poll_interval", Type: dur, DefaultValue: defaultPollInterval.String(), Description: "how often to read the tenant's channels, extension states and queues (2 requests plus 2 per queue): the delay of call events"},
		{Name: "discovery_interval", Type: dur, DefaultValue: defaultDiscoveryInterval.String(), Description: "how often to read the tenant's extensions and queues: added and removed ones show up within it"},
		{Name: "dnd_refresh", Type: dur, DefaultValue: defaultDNDRefresh.String(), Description: "how often to read every extension's DND (one request each): a DND set on the phone shows up within it; 0 reads it only for GetDeviceState"},
		{Name: "timeout", Type: dur, DefaultValue: defaultTimeout.String(), Description: "how long one request may take"},
		{Name: "max_concurrent", Type: num, DefaultValue: strconv.Itoa(defaultMaxConcurrent), Description: "at most this many requests to the PBX at once (1-32)"},
		{Name: "auto_answer", Type: boolean, DefaultValue: "false", Description: "DIAL with autoanswer=yes: the phone answers the originate by itself instead of ringing (needs a phone that honours it)"},
		{Name: "dial_timeout", Type: dur, DefaultValue: defaultDialTimeout.String(), Description: "how long the PBX rings the extension for a Dial before giving up (DIAL dialtimeout)"},
		{Name: "recording", Type: str, AllowedValues: []string{"", "yes", "no", "yeschange", "nochange"}, Description: "DIAL's recording parameter for every Dial; empty leaves the tenant's rule"},
		{Name: "phonebooks", Type: str, Description: "the phonebooks LookupContact searches, by name, separated by commas; empty: every phonebook of the tenant (PHONEBOOKS list)"},
		{Name: "number_fields", Type: str, DefaultValue: defaultNumberFields, Description: "the phonebook fields that hold numbers, searched by LookupContact by number"},
		{Name: "name_field", Type: str, DefaultValue: defaultNameField, Description: "the phonebook field that holds the name, searched by LookupContact by name"},
		{Name: "enrich_calls", Type: boolean, DefaultValue: "false", Description: "look up the caller of every ringing inbound call and put the contact on the call (Call.contact)"},
		{Name: "lookup_cache", Type: dur, DefaultValue: defaultLookupCache.String(), Description: "how long a looked-up caller (or that none was found) is kept, so a busy queue does not query the phonebook for every ring"},
		{Name: "lookup_timeout", Type: dur, DefaultValue: defaultLookupTimeout.String(), Description: "how long a ringing call's event waits for its contact before it goes out without one"},
	}
}

// connConfig is one connection block: one tenant of one PBX.
type connConfig struct {
	name, prefix string
	label        string            // "SITE/NAME", how errors name the connection
	settings     map[string]string // as configured, to compare on reload
	baseURL      string
	path         string
	tenant       string
	key          string
	keyInHeader  bool
	plain        bool
	tls          wsconn.TLSOptions

	poll, discovery, dndRefresh, timeout time.Duration
	maxConcurrent                        int

	autoAnswer  bool
	dialTimeout time.Duration
	recording   string

	phonebooks                 []string
	numberFields               []string
	nameField, companyField    string
	enrich                     bool
	lookupCache, lookupTimeout time.Duration
}

// parseConnection checks one connection's settings.
func parseConnection(c *ctiv1.ConnectionConfig) (connConfig, error) {
	set := c.GetSettings()
	or := func(name, def string) string {
		if v, ok := set[name]; ok && v != "" {
			return v
		}
		return def
	}
	cc := connConfig{
		name: c.GetName(), prefix: c.GetDevicePrefix(), settings: maps.Clone(set),
		baseURL: strings.TrimRight(set["url"], "/"), path: or("path", defaultPath),
		tenant: set["tenant"], key: set["key"],
		keyInHeader: set["key_in"] == "header", plain: set["format"] == "plain",
		tls:          wsconn.TLSOptions{CAFile: set["ca_file"], PinSHA256: set["certificate_sha256"]},
		autoAnswer:   set["auto_answer"] == "true",
		recording:    set["recording"],
		phonebooks:   fields(set["phonebooks"]),
		numberFields: fields(or("number_fields", defaultNumberFields)),
		nameField:    or("name_field", defaultNameField),
		enrich:       set["enrich_calls"] == "true",
	}
	var problems []string
	if cc.baseURL == "" || cc.tenant == "" || cc.key == "" {
		problems = append(problems, "url, tenant and key are required")
	} else if err := checkURL(cc.baseURL, set["allow_http"] == "true"); err != nil {
		problems = append(problems, err.Error())
	}
	if !strings.HasPrefix(cc.path, "/") || strings.ContainsAny(cc.path, "?#") {
		problems = append(problems, fmt.Sprintf("path %q must start with / and hold no query", cc.path))
	}
	if !validTenant(cc.tenant) && cc.tenant != "" {
		problems = append(problems, fmt.Sprintf("tenant %q: letters, digits, _ and - only, at most 32", cc.tenant))
	}
	if _, err := cc.tls.Config(); err != nil {
		problems = append(problems, err.Error())
	}
	durations := []struct {
		name string
		into *time.Duration
		def  time.Duration
		min  time.Duration
	}{
		{"poll_interval", &cc.poll, defaultPollInterval, 100 * time.Millisecond},
		{"discovery_interval", &cc.discovery, defaultDiscoveryInterval, time.Second},
		{"dnd_refresh", &cc.dndRefresh, defaultDNDRefresh, 0},
		{"timeout", &cc.timeout, defaultTimeout, 100 * time.Millisecond},
		{"dial_timeout", &cc.dialTimeout, defaultDialTimeout, time.Second},
		{"lookup_cache", &cc.lookupCache, defaultLookupCache, 0},
		{"lookup_timeout", &cc.lookupTimeout, defaultLookupTimeout, 10 * time.Millisecond},
	}
	for _, d := range durations {
		*d.into = d.def
		v := set[d.name]
		if v == "" {
			continue
		}
		got, err := time.ParseDuration(v)
		if err != nil || got < d.min {
			problems = append(problems, fmt.Sprintf("%s %q is not a duration of at least %s", d.name, v, d.min))
			continue
		}
		*d.into = got
	}
	if cc.dndRefresh > 0 && cc.dndRefresh < cc.poll {
		problems = append(problems, "dnd_refresh must be 0 or at least poll_interval")
	}
	cc.maxConcurrent = defaultMaxConcurrent
	if v := set["max_concurrent"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 32 {
			problems = append(problems, fmt.Sprintf("max_concurrent %q is not a number from 1 to 32", v))
		} else {
			cc.maxConcurrent = n
		}
	}
	if len(cc.numberFields) == 0 {
		problems = append(problems, "number_fields names no field")
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return cc, sdk.InvalidArgument("connection %q: %s", c.GetName(), strings.Join(problems, "; "))
	}
	return cc, nil
}

// checkURL allows https, and http only to loopback unless allowed: the
// key travels in every request.
func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("url %q must be scheme and host only, like https://pbx.example.com", redactURL(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP {
			return nil
		}
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
		return fmt.Errorf("url %q is http:// to another machine: the API key would cross the network in clear (use https, or set allow_http)", redactURL(raw))
	}
	return fmt.Errorf("url %q: scheme must be https or http", redactURL(raw))
}

// redactURL drops what a URL must not show: user info and query.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.Redacted()
}

// validTenant is a tenant code as MiRTA writes them.
func validTenant(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// fields splits a comma-separated list.
func fields(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
