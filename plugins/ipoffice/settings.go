package ipoffice

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// Defaults of the connection settings.
const (
	defaultSubscriptionTimeout = time.Hour
	defaultResyncGrace         = 2 * time.Second
)

func connectionSettings() []*ctiv1.ConfigAttribute {
	str, dur, boolean := ctiv1.ConfigType_CONFIG_TYPE_STRING, ctiv1.ConfigType_CONFIG_TYPE_DURATION, ctiv1.ConfigType_CONFIG_TYPE_BOOL
	return []*ctiv1.ConfigAttribute{
		{Name: "address", Type: str, Required: true, Description: "the IP Office's address, host or host:port (port 443 if absent): MTCTI3 is a secure websocket"},
		{Name: "secondary_address", Type: str, Description: "a second IP Office of the network to connect to while the first cannot be reached"},
		{Name: "username", Type: str, Required: true, Description: "the service user, in a rights group with Enhanced TSPI Access"},
		{Name: "password", Type: str, Required: true, Secret: true, Description: "the service user's password"},
		{Name: "ca_file", Type: str, Description: "PEM certificates that sign the IP Office's certificate, instead of the system's roots: an absolute path (a relative one is relative to the folder ctihost runs in)"},
		{Name: "certificate_sha256", Type: str, Description: "the SHA-256 fingerprint (hex, colons allowed) of the IP Office's own certificate, to trust exactly it (a self-signed one)"},
		{Name: "insecure_skip_verify", Type: boolean, DefaultValue: "false", Description: "trust any certificate: anyone on the path can read the password and the calls; warned at every start"},
		{Name: "framing", Type: str, DefaultValue: "framed", AllowedValues: []string{"framed", "noframing"}, Description: `"framed" for /tpkt/openapi (4-octet header), "noframing" for /tpkt/openapinoframing`},
		{Name: "users", Type: str, DefaultValue: "*", Description: `the users to observe: "*" for all, or extension numbers separated by commas`},
		{Name: "queues", Type: str, DefaultValue: "*", Description: `the hunt groups to observe: "*" for all, "" for none, or extension numbers separated by commas`},
		{Name: "subscription_timeout", Type: dur, DefaultValue: defaultSubscriptionTimeout.String(), Description: "how long IP Office keeps a subscription the driver stops refreshing (refreshed at two thirds of it)"},
		{Name: "resync_grace", Type: dur, DefaultValue: defaultResyncGrace.String(), Description: "after a reconnect, how long to wait for a user's calls before those not reported again end as lost"},
	}
}

// linkConfig is what one MTCTI3 link needs: one per IP Office and service
// user, however many connection blocks name them.
type linkConfig struct {
	primary, secondary string
	username, password string
	tls                wsconn.TLSOptions
	framing            mtcti.Framing
	subTimeout, grace  time.Duration
}

// key identifies a link: connections with the same key share one.
func (c linkConfig) key() string {
	return strings.Join([]string{c.primary, c.secondary, c.username, c.password, c.tls.CAFile, c.tls.PinSHA256,
		fmt.Sprint(c.tls.InsecureSkipVerify), c.framing.String(), c.subTimeout.String(), c.grace.String()}, "\x00")
}

// view is one connection block: a scope of the link's users and queues
// and the prefix of their device ids.
type view struct {
	name   string
	prefix string
	users  scope
	queues scope
	// configured maps an extension to the id of the device block that
	// configures it; every other extension in scope is discovered, with
	// the id prefix + extension.
	configured map[string]string
}

// idOf is the device id of extension extn in v, and whether a device
// block configures it.
func (v view) idOf(extn string) (id string, configured bool) {
	if id, ok := v.configured[extn]; ok {
		return id, true
	}
	return v.prefix + extn, false
}

// has says whether v observes extn of a user (queue false) or hunt group.
func (v view) has(extn string, queue bool) bool {
	if _, ok := v.configured[extn]; ok {
		return true
	}
	if queue {
		return v.queues.has(extn)
	}
	return v.users.has(extn)
}

// sameViews reports whether two lists of views are the same.
func sameViews(a, b []view) bool {
	return slices.EqualFunc(a, b, func(x, y view) bool {
		return x.name == y.name && x.prefix == y.prefix && x.users.equal(y.users) && x.queues.equal(y.queues) && maps.Equal(x.configured, y.configured)
	})
}

// scope is "*" (everything) or a set of extension numbers.
type scope struct {
	all  bool
	only map[string]bool
}

func parseScope(s string) scope {
	s = strings.TrimSpace(s)
	if s == "*" {
		return scope{all: true}
	}
	sc := scope{only: map[string]bool{}}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			sc.only[f] = true
		}
	}
	return sc
}

func (s scope) has(extn string) bool { return s.all || s.only[extn] }

func (s scope) equal(o scope) bool { return s.all == o.all && maps.Equal(s.only, o.only) }

// parseConnection checks one connection's settings.
func parseConnection(c *ctiv1.ConnectionConfig) (linkConfig, view, error) {
	set := c.GetSettings()
	lc := linkConfig{
		primary: set["address"], secondary: set["secondary_address"],
		username: set["username"], password: set["password"],
		tls:        wsconn.TLSOptions{CAFile: set["ca_file"], PinSHA256: set["certificate_sha256"], InsecureSkipVerify: set["insecure_skip_verify"] == "true"},
		subTimeout: defaultSubscriptionTimeout, grace: defaultResyncGrace,
	}
	var problems []string
	if lc.primary == "" || lc.username == "" || lc.password == "" {
		problems = append(problems, "address, username and password are required")
	}
	if set["framing"] == "noframing" {
		lc.framing = mtcti.NoFraming
	}
	if _, err := lc.tls.Config(); err != nil {
		problems = append(problems, err.Error())
	}
	for name, into := range map[string]*time.Duration{"subscription_timeout": &lc.subTimeout, "resync_grace": &lc.grace} {
		if v := set[name]; v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				problems = append(problems, fmt.Sprintf("%s %q is not a duration", name, v))
				continue
			}
			*into = d
		}
	}
	// Subscription timeouts are whole seconds on the wire; IP Office refuses
	// too small ones (code 102), and a refresh every few seconds for each
	// of a thousand users would be a load of its own.
	if lc.subTimeout != 0 && lc.subTimeout < time.Minute {
		problems = append(problems, "subscription_timeout must be 0 (never) or at least 1m")
	}
	users, queues := "*", "*"
	if v, ok := set["users"]; ok {
		users = v
	}
	if v, ok := set["queues"]; ok {
		queues = v
	}
	v := view{name: c.GetName(), prefix: c.GetDevicePrefix(), users: parseScope(users), queues: parseScope(queues)}
	if len(problems) > 0 {
		slices.Sort(problems)
		return lc, v, sdk.InvalidArgument("connection %q: %s", c.GetName(), strings.Join(problems, "; "))
	}
	return lc, v, nil
}
