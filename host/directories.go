package main

import (
	"github.com/ctihost/ctihost/host/config"
	"github.com/ctihost/ctihost/host/directory"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// setDirectories makes cfg's directory blocks the ones in force: for the
// host's enrichment of call events and for LookupContact.
func (h *host) setDirectories(cfg *config.Config) {
	bySite := map[string]*directory.Directory{}
	for _, site := range cfg.Sites {
		for _, d := range cfg.Directories {
			if d.Serves(site.Name) && d.Contacts() != nil {
				bySite[site.Name] = d.Contacts()
			}
		}
	}
	h.directories.Store(&bySite)
	if h.hostAPI != nil {
		h.hostAPI.SetDirectories(bySite)
	}
}

// enrich puts the site directory's contact on an inbound call that has
// none (the driver has no directory of its own): every CallChanged and
// CallEnded of the call, so that no later event seems to take it away.
// A number lookup is one map read.
func (h *host) enrich(ev *ctiv1.Event) {
	c := ev.GetCallChanged().GetCall()
	if c == nil {
		c = ev.GetCallEnded().GetCall()
	}
	if c == nil || c.GetContact() != nil || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND || c.GetRemote().GetNumber() == "" {
		return
	}
	m := h.directories.Load()
	if m == nil {
		return
	}
	if dir := (*m)[ev.GetSite()]; dir != nil {
		if found := dir.LookupNumber(c.GetRemote().GetNumber(), 1); len(found) > 0 {
			c.Contact = found[0]
		}
	}
}
