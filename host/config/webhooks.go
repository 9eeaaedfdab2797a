package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Webhook is one webhook block: where to POST which events, signed with
// what secret.
type Webhook struct {
	// Name is the block label; it names the webhook in logs, metrics and
	// the CTIHost-Webhook header.
	Name string
	// URL is where deliveries go (a secret may be in its query: logs show
	// it without).
	URL string
	// Secret signs every delivery (a secret: never log it).
	Secret string
	// Sites are site names, or "*" for every site.
	Sites []string
	// Kinds are event kinds (WebhookKinds); empty means call, device and
	// queue events.
	Kinds []string
	// Timeout bounds one attempt; Queue bounds the events waiting;
	// MaxAttempts bounds the attempts of one event.
	Timeout     time.Duration
	Queue       int
	MaxAttempts int
	// Range is the block header in the file.
	Range hcl.Range
}

// WebhookKinds are the event kinds a webhook block may select, and the
// EventKind each names.
var WebhookKinds = map[string]ctiv1.EventKind{
	"call": ctiv1.EventKind_EVENT_KIND_CALL, "device": ctiv1.EventKind_EVENT_KIND_DEVICE,
	"queue": ctiv1.EventKind_EVENT_KIND_QUEUE, "driver": ctiv1.EventKind_EVENT_KIND_DRIVER,
	"devices": ctiv1.EventKind_EVENT_KIND_DEVICES,
}

// minWebhookSecret keeps guessable secrets out, as for client tokens.
const minWebhookSecret = 16

var webhookAttrs = []*ctiv1.ConfigAttribute{
	{Name: "url", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Description: "where to POST each event: https://…; http:// only to loopback or with allow_http"},
	{Name: "secret", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Secret: true, Description: `the key of every delivery's HMAC-SHA256 signature, at least 16 characters: env("…") or file("…")`},
	{Name: "timeout", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "5s", Description: "how long one attempt may take"},
	{Name: "queue", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "1000", Description: "events that may wait for this receiver; beyond, events are dropped and counted"},
	{Name: "max_attempts", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "8", Description: "attempts of one event before it is given up (backoff 0.5s doubling to 30s)"},
	{Name: "allow_http", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "false", Description: "allow an http:// url to another machine: the events (callers' numbers) cross the network in clear"},
}

// decodeWebhooks decodes the webhook blocks, once the sites are known.
func (c *Config) decodeWebhooks(s *sink, blocks []*hclsyntax.Block) {
	seen := map[string]hcl.Range{}
	kinds := slices.Sorted(maps.Keys(WebhookKinds))
	for _, b := range blocks {
		name, ok := label(s, b, "webhook", `webhook "crm" { … }`, false)
		if !ok {
			continue
		}
		object := fmt.Sprintf("webhook %q", name)
		w := &Webhook{Name: name, Range: b.DefRange()}
		v := c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: w.Range, attrs: webhookAttrs, others: []string{"sites", "kinds"}})
		w.URL, w.Secret = v["url"].text, v["secret"].text
		if sec, ok := v["secret"]; ok && len(sec.text) < minWebhookSecret {
			s.errorf(sec.rng, "secret", "make one with: openssl rand -base64 32", "%s: the secret is shorter than %d characters", object, minWebhookSecret)
		}
		if u, ok := v["url"]; ok {
			if why := webhookURLProblem(u.text, v["allow_http"].text == "true"); why != "" {
				s.errorf(u.rng, "url", why, "%s: url is not usable", object)
			}
		}
		w.Timeout, _ = time.ParseDuration(v["timeout"].text)
		w.Queue, _ = strconv.Atoi(v["queue"].text)
		w.MaxAttempts, _ = strconv.Atoi(v["max_attempts"].text)
		for _, bound := range []struct {
			name      string
			n, lo, hi int
		}{{"queue", w.Queue, 1, 1 << 20}, {"max_attempts", w.MaxAttempts, 1, 100}} {
			if t, ok := v[bound.name]; ok && (bound.n < bound.lo || bound.n > bound.hi) {
				s.errorf(t.rng, bound.name, fmt.Sprintf("use %d to %d", bound.lo, bound.hi), "%s: %s is out of range", object, bound.name)
			}
		}
		if t, ok := v["timeout"]; ok && (w.Timeout < 100*time.Millisecond || w.Timeout > time.Minute) {
			s.errorf(t.rng, "timeout", "use 100ms to 1m", "%s: timeout is out of range", object)
		}
		w.Sites = []string{"*"}
		if _, ok := b.Body.Attributes["sites"]; ok {
			w.Sites = c.stringList(s, b.Body, object, "sites", c.siteNames())
		}
		if _, ok := b.Body.Attributes["kinds"]; ok {
			w.Kinds = c.stringList(s, b.Body, object, "kinds", kinds)
		}
		if first, dup := seen[name]; dup {
			s.errorf(w.Range, "", "first defined at "+where(first)+"; remove or rename one of them", "%s is defined twice", object)
			continue
		}
		seen[name] = w.Range
		c.Webhooks = append(c.Webhooks, w)
	}
}

// webhookURLProblem says what is wrong with a webhook URL, or "".
func webhookURLProblem(raw string, allowHTTP bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return "write an absolute URL such as https://crm.example.com/ctihost"
	case u.User != nil:
		return "put no user and password in the URL: the signature authenticates the host"
	case u.Scheme == "https":
		return ""
	case u.Scheme != "http":
		return "the scheme must be https (or http to loopback)"
	case allowHTTP:
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
		return ""
	}
	return "use https: over http:// the events (callers' numbers) cross the network in clear; set allow_http = true to accept that"
}
