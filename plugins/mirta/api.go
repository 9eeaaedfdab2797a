package mirta

import (
	"context"
	"net/http"
	"strconv"

	"github.com/ctihost/ctihost/plugins/mirta/mirtaapi"
)

// apiClient adapts mirtaapi.Client to what the driver asks.
type apiClient struct{ c *mirtaapi.Client }

// newAPIClient makes the client of one connection.
func newAPIClient(cc connConfig) (pbxAPI, error) {
	cfg := mirtaapi.Config{BaseURL: cc.baseURL, Path: cc.path, Key: cc.key, Tenant: cc.tenant,
		Timeout: cc.timeout, MaxConcurrent: cc.maxConcurrent}
	if cc.keyInHeader {
		cfg.KeyIn = mirtaapi.KeyInHeader
	}
	if cc.plain {
		cfg.Format = mirtaapi.FormatPlain
	}
	if cc.tls.CAFile != "" || cc.tls.PinSHA256 != "" {
		tc, err := cc.tls.Config()
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tc
		tr.MaxIdleConnsPerHost = cc.maxConcurrent
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	c, err := mirtaapi.New(cfg)
	if err != nil {
		return nil, err
	}
	return apiClient{c}, nil
}

func (a apiClient) extensions(ctx context.Context) ([]extInfo, error) {
	exts, err := a.c.Extensions(ctx)
	out := make([]extInfo, 0, len(exts))
	for _, e := range exts {
		out = append(out, extInfo{number: e.Number, name: e.Name})
	}
	return out, err
}

func (a apiClient) queues(ctx context.Context) ([]queueInfo, error) {
	qs, err := a.c.Queues(ctx)
	out := make([]queueInfo, 0, len(qs))
	for _, q := range qs {
		out = append(out, queueInfo{id: q.ID, name: q.Name})
	}
	return out, err
}

func (a apiClient) channels(ctx context.Context) ([]leg, error) {
	chans, err := a.c.Channels(ctx)
	out := make([]leg, 0, len(chans))
	for _, c := range chans {
		out = append(out, leg{channel: c.Name, uniqueid: c.UniqueID, linkedid: c.LinkedID, state: c.State,
			callerNum: c.CallerIDNum, callerName: c.CallerIDName, connNum: c.ConnectedNum, connName: c.ConnectedName})
	}
	return out, err
}

// blfs maps the tenant's peers' states by extension number: BLFS names a
// peer NUMBER-TENANT (flows, named otherwise, are left out).
func (a apiClient) blfs(ctx context.Context) (map[string]string, error) {
	bs, err := a.c.BLFs(ctx)
	out := make(map[string]string, len(bs))
	for _, b := range bs {
		if n := peerOf("X/"+b.Extension+"-0", a.c.Tenant()); n != "" {
			out[n] = b.State
		}
	}
	return out, err
}

func (a apiClient) queueCallers(ctx context.Context, id string) ([]caller, error) {
	cs, err := a.c.QueueCallers(ctx, id)
	out := make([]caller, 0, len(cs))
	for _, c := range cs {
		out = append(out, caller{uniqueid: c.UniqueID, channel: c.Channel, number: c.CallerIDNum, name: c.CallerIDName, position: c.Position})
	}
	return out, err
}

func (a apiClient) queueMembers(ctx context.Context, id string) ([]member, error) {
	as, err := a.c.QueueAgents(ctx, mirtaapi.QueueRef{ID: id})
	out := make([]member, 0, len(as))
	for _, m := range as {
		ext := m.Number
		if ext == "" {
			ext = peerOf("X/"+m.Extension+"-0", a.c.Tenant())
		}
		out = append(out, member{ext: ext, name: m.Name, paused: m.Paused})
	}
	return out, err
}

func (a apiClient) dndGet(ctx context.Context, ext string) (bool, error) { return a.c.DNDGet(ctx, ext) }

func (a apiClient) dndSet(ctx context.Context, ext string, on bool) error {
	return a.c.DNDSet(ctx, ext, on)
}

func (a apiClient) dial(ctx context.Context, source, dest string, o dialOptions) (string, error) {
	req := mirtaapi.DialRequest{Source: source, Dest: dest, AutoAnswer: o.autoAnswer, DestCLID: o.destCLID,
		DialTimeout: o.dialTimeout, Recording: o.recording}
	if len(o.vars) > 0 {
		req.Var = o.vars[0]
	}
	return a.c.Dial(ctx, req)
}

func (a apiClient) hangup(ctx context.Context, channel string) error {
	return a.c.Hangup(ctx, mirtaapi.HangupRequest{Channel: channel})
}

func (a apiClient) transfer(ctx context.Context, channel, dest string) error {
	return a.c.Transfer(ctx, channel, "", dest)
}

func (a apiClient) queueAdd(ctx context.Context, id, ext string) error {
	return a.c.QueueAdd(ctx, mirtaapi.QueueRef{ID: id}, ext, mirtaapi.QueueAddOptions{})
}

func (a apiClient) queueDel(ctx context.Context, id, ext string) error {
	return a.c.QueueDel(ctx, mirtaapi.QueueRef{ID: id}, ext)
}

func (a apiClient) agentPause(ctx context.Context, id, ext, reason string, paused bool) error {
	if paused {
		return a.c.AgentPause(ctx, mirtaapi.QueueRef{ID: id}, ext, reason)
	}
	return a.c.AgentUnpause(ctx, mirtaapi.QueueRef{ID: id}, ext)
}

// reboot names the phone by its peer, NUMBER-TENANT (REBOOT peer).
func (a apiClient) reboot(ctx context.Context, ext string) error {
	return a.c.Reboot(ctx, ext+"-"+a.c.Tenant())
}

func (a apiClient) phonebooks(ctx context.Context) ([]string, error) {
	bs, err := a.c.Phonebooks(ctx)
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out, err
}

// phonebookQuery returns the records as the PBX names their fields:
// peid, NAME, COMPANY, PHONE1..., and the others.
func (a apiClient) phonebookQuery(ctx context.Context, book, field, value string) ([]map[string]string, error) {
	cs, err := a.c.PhonebookQuery(ctx, book, field, value)
	out := make([]map[string]string, 0, len(cs))
	for _, c := range cs {
		r := map[string]string{"peid": c.ID, "NAME": c.Name, "COMPANY": c.Company}
		for i, n := range c.Numbers {
			r["PHONE"+strconv.Itoa(i+1)] = n
		}
		for k, v := range c.Fields {
			if _, ok := r[k]; !ok {
				r[k] = v
			}
		}
		out = append(out, r)
	}
	return out, err
}
