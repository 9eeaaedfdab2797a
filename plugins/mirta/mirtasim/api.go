package mirtasim

import (
	"strings"
)

// scope is what a key may see: one tenant, or every tenant for the admin
// key without tenant=.
type scope struct {
	t        *tenant // nil: admin key, no tenant given
	admin    bool
	readOnly bool
}

// sees reports whether c is visible in s.
func (s scope) sees(c *channel) bool { return c != nil && (s.t == nil || c.t == s.t) }

// handler serves one reqtype.
type handler struct {
	fn func(p *PBX, s scope, q params, js bool) answer
	// anyTenant: the admin key may omit tenant= (the reqtype's tenant is
	// "optional" in the vendor document); the handler then sees every
	// tenant.
	anyTenant bool
	// write reports whether the request changes something (refused to a
	// read-only key). Nil: never.
	write func(q params) bool
}

func always(params) bool { return true }

func actionIn(actions ...string) func(q params) bool {
	return func(q params) bool {
		a := strings.ToLower(q.first("action", "subreqtype"))
		for _, x := range actions {
			if a == x {
				return true
			}
		}
		return false
	}
}

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"DIAL":            {fn: apiDial, write: always},
		"HANGUP":          {fn: apiHangup, write: always, anyTenant: true},
		"TRANSFER":        {fn: apiTransfer, write: always, anyTenant: true},
		"ATXTRANSFER":     {fn: apiAtxTransfer, write: always, anyTenant: true},
		"GETCURRENTCALLS": {fn: apiCurrentCalls},
		"CHANNELS":        {fn: apiChannels, anyTenant: true},
		"CHANNEL":         {fn: apiChannel, anyTenant: true},
		"DND":             {fn: apiDND, write: actionIn("set")},
		"BLFS":            {fn: apiBLFs},
		"INFO":            {fn: apiInfo},
		"FLOWS":           {fn: apiFlows},
		"SETFLOW":         {fn: apiSetFlow, write: always},
		"QUEUE":           {fn: apiQueue, write: actionIn("add", "del", "clean")},
		"AGENT":           {fn: apiAgent, write: actionIn("pause", "unpause", "del")},
		"PHONEBOOKS":      {fn: apiPhonebooks},
		"PHONEBOOK":       {fn: apiPhonebook, write: func(q params) bool { return writePhonebook(q.get("subreqtype")) }},
		"CDR":             {fn: apiCDR, write: actionIn("update")},
		"REBOOT":          {fn: apiReboot, write: always},
	}
}

func writePhonebook(sub string) bool {
	switch strings.ToLower(sub) {
	case "add", "delete", "cleanall":
		return true
	}
	return false
}

// auth resolves key and tenant= to a scope. Every failure is the one
// TooBad answer (facts §0, OBSERVED A-48): bad key, unknown tenant, and a
// tenant key naming another tenant (modelled the same way: a tenant key
// never reaches another tenant, whatever tenant= says).
func (p *PBX) auth(key, code string) (scope, bool) {
	if key == "" {
		return scope{}, false
	}
	if p.opts.AdminKey != "" && key == p.opts.AdminKey {
		if code == "" {
			return scope{admin: true}, true
		}
		t := p.tenants[strings.ToUpper(code)]
		return scope{t: t, admin: true}, t != nil
	}
	t := p.keyOwner(key)
	if t == nil || (code != "" && !strings.EqualFold(code, t.code)) {
		return scope{}, false
	}
	return scope{t: t, readOnly: key == t.roKey}, true
}

// dispatch authenticates and serves one API request.
func (p *PBX) dispatch(reqtype, key string, q params) answer {
	p.lock()
	defer p.mu.Unlock()
	s, ok := p.auth(key, q.get("tenant"))
	if !ok {
		return plain(TooBad)
	}
	if reqtype == "" {
		return missing("reqtype") // modelled, like the other missing parameters
	}
	h, found := handlers[reqtype]
	if !found {
		// Modelled: nothing public shows the answer to an unknown
		// reqtype; the failed-write line is the house style.
		return errLine("Unknown request type")
	}
	if s.t == nil && !h.anyTenant {
		return plain(TooBad) // missing tenant with the admin key: OBSERVED A-48
	}
	if s.readOnly && h.write != nil && h.write(q) {
		if p.opts.ReadOnlyError {
			return errLine("Read only API key") // opt-in, modelled (facts §0)
		}
		return plain(TooBad) // modelled after [GVOIPC]'s read-only refusals
	}
	a := h.fn(p, s, q, strings.EqualFold(q.get("format"), "json"))
	p.distribute()
	return a
}
