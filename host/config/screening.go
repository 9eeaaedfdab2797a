package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Screening is one screening block: callers whose number matches are
// rejected, redirected, or decided by a webhook while the call rings.
// Blocks are tried in file order; the first whose sites and callers
// match decides.
type Screening struct {
	Name string
	// Sites are site names, or "*" for every site.
	Sites []string
	// Callers are number patterns: digits with an optional leading + and
	// "*" for any digits ("0900*", "+4420794600*"), or "anonymous" for a
	// call without a number.
	Callers []string
	// Action is reject, redirect or ask.
	Action string
	// Destination is where redirect sends the call.
	Destination string
	// URL, Secret and Deadline are ask's webhook: it answers within
	// Deadline or the call is allowed.
	URL, Secret string
	Deadline    time.Duration
	// Range is the block header in the file.
	Range hcl.Range
}

// The screening actions.
const (
	ScreenReject   = "reject"
	ScreenRedirect = "redirect"
	ScreenAsk      = "ask"
)

var screeningAttrs = []*ctiv1.ConfigAttribute{
	{Name: "action", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, AllowedValues: []string{ScreenReject, ScreenRedirect, ScreenAsk}, Description: "what to do with a matching caller: reject, redirect (to destination), or ask (a webhook at url decides)"},
	{Name: "destination", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "where redirect sends the call: digits, or a SIP URI where the device allows"},
	{Name: "url", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: `ask's webhook: https://…, POSTed the ringing event, signed as webhooks are; it answers {"action": "allow"|"reject"|"redirect", "destination": "…"}`},
	{Name: "secret", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Secret: true, Description: `ask's signing secret, at least 16 characters: env("…") or file("…")`},
	{Name: "deadline", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "500ms", Description: "how long ask waits for the webhook before the call is allowed (10ms to 5s)"},
	{Name: "allow_http", Type: ctiv1.ConfigType_CONFIG_TYPE_BOOL, DefaultValue: "false", Description: "allow an http:// url to another machine"},
}

// decodeScreenings decodes the screening blocks, once the sites are known.
func (c *Config) decodeScreenings(s *sink, blocks []*hclsyntax.Block) []*Screening {
	var out []*Screening
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		name, ok := label(s, b, "screening", `screening "premium" { … }`, false)
		if !ok {
			continue
		}
		object := fmt.Sprintf("screening %q", name)
		r := &Screening{Name: name, Range: b.DefRange()}
		v := c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: r.Range, attrs: screeningAttrs, others: []string{"sites", "callers"}})
		r.Action, r.Destination, r.URL, r.Secret = v["action"].text, v["destination"].text, v["url"].text, v["secret"].text
		r.Deadline, _ = time.ParseDuration(v["deadline"].text)
		switch r.Action {
		case ScreenRedirect:
			if r.Destination == "" {
				s.errorf(r.Range, "destination", `add destination = "…"`, "%s: redirect needs a destination", object)
			}
		case ScreenAsk:
			if u, ok := v["url"]; !ok {
				s.errorf(r.Range, "url", `add url = "https://…"`, "%s: ask needs a url", object)
			} else if why := webhookURLProblem(u.text, v["allow_http"].text == "true"); why != "" {
				s.errorf(u.rng, "url", why, "%s: url is not usable", object)
			}
			if sec, ok := v["secret"]; !ok || len(sec.text) < minWebhookSecret {
				at := r.Range
				if ok {
					at = sec.rng
				}
				s.errorf(at, "secret", "make one with: openssl rand -base64 32", "%s: ask needs a secret of at least %d characters", object, minWebhookSecret)
			}
			if d, ok := v["deadline"]; ok && (r.Deadline < 10*time.Millisecond || r.Deadline > 5*time.Second) {
				s.errorf(d.rng, "deadline", "use 10ms to 5s: the caller hears ringing meanwhile", "%s: deadline is out of range", object)
			}
		}
		if r.Action != ScreenRedirect && r.Destination != "" {
			s.errorf(v["destination"].rng, "destination", "remove it, or set action = \"redirect\"", "%s: destination is only for redirect", object)
		}
		if r.Action != ScreenAsk && (r.URL != "" || r.Secret != "") {
			s.errorf(r.Range, "url", "remove url and secret, or set action = \"ask\"", "%s: url and secret are only for ask", object)
		}
		r.Sites = []string{"*"}
		if _, ok := b.Body.Attributes["sites"]; ok {
			r.Sites = c.stringList(s, b.Body, object, "sites", c.siteNames())
		}
		r.Callers = c.stringList(s, b.Body, object, "callers", nil)
		for _, p := range r.Callers {
			if !validCallerPattern(p) {
				s.errorf(b.Body.Attributes["callers"].Expr.Range(), "callers", `write digits with an optional leading + and * for any digits ("0900*"), or "anonymous"`,
					"%s: %q is not a caller pattern", object, p)
			}
		}
		if first, dup := seen[name]; dup {
			s.errorf(r.Range, "", "first defined at "+where(first)+"; remove or rename one of them", "%s is defined twice", object)
			continue
		}
		seen[name] = r.Range
		out = append(out, r)
	}
	return out
}

// validCallerPattern is digits, "*" and an optional leading "+", or
// "anonymous".
func validCallerPattern(p string) bool {
	if p == "anonymous" {
		return true
	}
	p = strings.TrimPrefix(p, "+")
	if p == "" || len(p) > 32 {
		return false
	}
	for _, c := range p {
		if (c < '0' || c > '9') && c != '*' {
			return false
		}
	}
	return true
}
