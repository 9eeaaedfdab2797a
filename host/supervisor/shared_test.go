package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// recorder collects what an instance publishes.
type recorder struct {
	mu     sync.Mutex
	events []*ctiv1.Event
}

func (r *recorder) publish(ev *ctiv1.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// take returns "site device" of each event published since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, ev.GetSite()+" "+ev.GetDevice())
	}
	r.events = nil
	return out
}

func configure(devices ...string) *ctiv1.ConfigureRequest {
	req := &ctiv1.ConfigureRequest{}
	for _, d := range devices {
		req.Devices = append(req.Devices, &ctiv1.DeviceConfig{Device: d, Model: "M"})
	}
	return req
}

func deviceChanged(device string) *ctiv1.Event {
	return &ctiv1.Event{Device: device, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{
		Status: &ctiv1.DeviceStatus{Reachable: true, Detail: device}}}}
}

// queueChanged is an event about no device in particular.
func queueChanged() *ctiv1.Event {
	return &ctiv1.Event{Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{}}}
}

// TestSharedInstanceMapsDevicesToTheirSites checks, without a process, how
// a per-site and a shared instance name their sites and devices to apps.
func TestSharedInstanceMapsDevicesToTheirSites(t *testing.T) {
	var rec recorder
	perSite := New(Spec{Site: "hq", Driver: "gs", Configure: configure("reception", "desk")}, hclog.NewNullLogger(), rec.publish, Policy{})
	shared := New(Spec{Shared: true, Driver: "gs", Configure: configure("hq/reception", "branch/desk", "hq/dect")}, hclog.NewNullLogger(), rec.publish, Policy{})
	p := &process{}

	if got := perSite.Sites(); !slices.Equal(got, []string{"hq"}) {
		t.Errorf("per-site Sites() = %q", got)
	}
	if got := shared.Sites(); !slices.Equal(got, []string{"branch", "hq"}) {
		t.Errorf("shared Sites() = %q, want branch, hq", got)
	}
	if !shared.Serves("branch") || shared.Serves("nowhere") || shared.Serves("") || !perSite.Serves("hq") || perSite.Serves("branch") {
		t.Errorf("Serves is wrong")
	}
	for _, c := range []struct {
		inst             *Instance
		id, site, ref    string
		describeContains string
	}{
		{perSite, "reception", "hq", "hq/reception", `driver "gs" at site "hq"`},
		{shared, "branch/desk", "branch", "branch/desk", `driver "gs" (one process for 2 sites)`},
		{shared, "orphan", "", "orphan", ""},
	} {
		if site, ref := c.inst.Ref(c.id); site != c.site || ref != c.ref {
			t.Errorf("Ref(%q) = %q, %q; want %q, %q", c.id, site, ref, c.site, c.ref)
		}
		if !strings.Contains(c.inst.Describe(), c.describeContains) {
			t.Errorf("Describe() = %s, want %s", c.inst.Describe(), c.describeContains)
		}
	}

	// Events: a per-site instance adds its site; a shared one takes the
	// site from the id and adds nothing; an event about no device reaches
	// every site served.
	perSite.forward(p, deviceChanged("reception"))
	shared.forward(p, deviceChanged("branch/desk"))
	shared.forward(p, deviceChanged("hq/dect"))
	shared.forward(p, deviceChanged("elsewhere/x")) // not configured: dropped
	shared.forward(p, queueChanged())
	want := []string{"hq hq/reception", "branch branch/desk", "hq hq/dect", "branch ", "hq "}
	if got := rec.take(); !slices.Equal(got, want) {
		t.Errorf("published %q, want %q", got, want)
	}

	// Driver state changes are announced at every site served.
	shared.announce(ctiv1.DriverState_DRIVER_STATE_DOWN, "test")
	if got := rec.take(); !slices.Equal(got, []string{"branch ", "hq "}) {
		t.Errorf("announced at %q, want branch and hq", got)
	}

	// A reload that moves sites in and out tells each site's apps.
	if err := shared.Reconfigure(t.Context(), configure("hq/reception", "annex/desk"), nil); err != nil {
		t.Fatal(err)
	}
	if got := shared.Sites(); !slices.Equal(got, []string{"annex", "hq"}) {
		t.Errorf("Sites() after reconfigure = %q, want annex, hq", got)
	}
	rec.mu.Lock()
	var told []string
	for _, ev := range rec.events {
		told = append(told, ev.GetSite()+" "+ev.GetDriverChanged().GetState().String())
	}
	rec.events = nil
	rec.mu.Unlock()
	if want := []string{"branch DRIVER_STATE_STOPPED", "annex DRIVER_STATE_STOPPED"}; !slices.Equal(told, want) {
		// annex is told the instance's current state, which is STOPPED here
		// (it never ran).
		t.Errorf("reconfigure told %q, want %q", told, want)
	}
	shared.StopExcept(map[string]bool{"hq": true})
	if got := rec.take(); len(got) != 0 {
		t.Errorf("stopping an instance that never ran announced %q", got)
	}
}

func TestSiteListNamesAFewSites(t *testing.T) {
	var sites []string
	for n := range 1000 {
		sites = append(sites, fmt.Sprintf("s%03d", n))
	}
	for _, c := range []struct {
		sites []string
		want  string
	}{
		{sites[:1], "s000"},
		{sites[:4], "s000, s001, s002, s003"},
		{sites, "s000, s001, s002, s003 and 996 more"},
	} {
		if got := SiteList(c.sites); got != c.want {
			t.Errorf("SiteList(%d sites) = %q, want %q", len(c.sites), got, c.want)
		}
	}
}
