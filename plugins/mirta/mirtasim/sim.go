package mirtasim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// serveSim serves the test controls. Each needs "Authorization: Bearer
// TOKEN" with Options.ControlToken (403 when none is configured, 401 when
// wrong), takes a JSON body (POST, at most MaxBody) or query parameters
// (GET), answers JSON, and ignores faults:
//
//	POST /sim/tenant          TenantSpec                                    AddTenant
//	POST /sim/extension       {"tenant", ExtensionSpec fields...}           AddExtension
//	POST /sim/remove          {"tenant", "extension"}                       RemoveExtension
//	POST /sim/register        {"tenant", "extension", "registered"}         SetRegistered
//	POST /sim/dnd             {"tenant", "extension", "on"}                 SetDND
//	POST /sim/queue           {"tenant", QueueSpec fields...}               AddQueue
//	POST /sim/flow            {"tenant", FlowSpec fields...}                AddFlow
//	POST /sim/contact         {"tenant", "phonebook", "contact": Contact}   AddContact → {"peid"}
//	POST /sim/ring            {"tenant", "from", "to"}                      RingIn → Channel
//	POST /sim/answer          {"tenant", "extension"}                       Answer → Channel
//	POST /sim/hangup          {"tenant", "extension"}                       Hangup
//	POST /sim/remote-answer   {"call"}  (linkedid or trunk channel)         RemoteAnswer
//	POST /sim/remote-hangup   {"call"}                                      RemoteHangup
//	POST /sim/fault           {"mode": "slow,garbage", ["reqtype"]}         SetFault / SetReqtypeFault
//	GET  /sim/calls?tenant=T | extensions?tenant=T | queues?tenant=T | requests | originates | faults
//
// Failures answer {"error": "..."}: 404 for ErrNotFound, 409 for
// ErrNotApplicable, 400 for a bad body or ErrInvalid, 429 for ErrLimit.
func (p *PBX) serveSim(w http.ResponseWriter, r *http.Request) {
	if p.opts.ControlToken == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "the test controls are disabled: no control token"})
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(p.opts.ControlToken)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong or missing control token"})
		return
	}
	action := strings.TrimPrefix(r.URL.Path, "/sim/")
	q := r.URL.Query()
	gets := map[string]func() (any, error){
		"calls":      func() (any, error) { return p.Calls(q.Get("tenant")) },
		"extensions": func() (any, error) { return p.Extensions(q.Get("tenant")) },
		"queues":     func() (any, error) { return p.Queues(q.Get("tenant")) },
		"requests":   func() (any, error) { return p.Requests(), nil },
		"originates": func() (any, error) { return p.Originates(), nil },
		"faults": func() (any, error) {
			f, per := p.Faults()
			return map[string]any{"fault": f, "reqtypes": per}, nil
		},
	}
	if get, ok := gets[action]; ok {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
			return
		}
		v, err := get()
		simReply(w, v, err)
		return
	}
	post, ok := simPosts[action]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control " + action})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	var b simBody
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err == nil && len(body) > MaxBody {
		err = errors.New("body over 1 MiB")
	}
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &b)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad body: " + err.Error()})
		return
	}
	v, err := post(p, &b)
	simReply(w, v, err)
}

// simBody is the union of the controls' JSON bodies.
type simBody struct {
	TenantSpec
	Tenant     string      `json:"tenant"`
	Extension  string      `json:"extension"`
	Number     string      `json:"number"`
	Name       string      `json:"name"`
	Username   string      `json:"username"`
	Secret     string      `json:"secret"`
	Unreg      bool        `json:"unregistered"`
	DND        bool        `json:"dnd"`
	Registered bool        `json:"registered"`
	On         bool        `json:"on"`
	ID         string      `json:"id"`
	Agents     []AgentSpec `json:"agents"`
	State      string      `json:"state"`
	Value      string      `json:"value"`
	Phonebook  string      `json:"phonebook"`
	Contact    Contact     `json:"contact"`
	From       string      `json:"from"`
	To         string      `json:"to"`
	Call       string      `json:"call"`
	Mode       string      `json:"mode"`
	Reqtype    string      `json:"reqtype"`
}

var simPosts = map[string]func(p *PBX, b *simBody) (any, error){
	"tenant": func(p *PBX, b *simBody) (any, error) { return nil, p.AddTenant(b.TenantSpec) },
	"extension": func(p *PBX, b *simBody) (any, error) {
		return nil, p.AddExtension(b.Tenant, ExtensionSpec{Number: b.Number, Name: b.Name, Username: b.Username,
			Secret: b.Secret, Unregistered: b.Unreg, DND: b.DND})
	},
	"remove": func(p *PBX, b *simBody) (any, error) { return nil, p.RemoveExtension(b.Tenant, b.Extension) },
	"register": func(p *PBX, b *simBody) (any, error) {
		return nil, p.SetRegistered(b.Tenant, b.Extension, b.Registered)
	},
	"dnd": func(p *PBX, b *simBody) (any, error) { return nil, p.SetDND(b.Tenant, b.Extension, b.On) },
	"queue": func(p *PBX, b *simBody) (any, error) {
		return nil, p.AddQueue(b.Tenant, QueueSpec{ID: b.ID, Number: b.Number, Name: b.Name, Agents: b.Agents})
	},
	"flow": func(p *PBX, b *simBody) (any, error) {
		return nil, p.AddFlow(b.Tenant, FlowSpec{Number: b.Number, Name: b.Name, State: b.State, Value: b.Value})
	},
	"contact": func(p *PBX, b *simBody) (any, error) {
		peid, err := p.AddContact(b.Tenant, b.Phonebook, b.Contact)
		return map[string]string{"peid": peid}, err
	},
	"ring":          func(p *PBX, b *simBody) (any, error) { return p.RingIn(b.Tenant, b.From, b.To) },
	"answer":        func(p *PBX, b *simBody) (any, error) { return p.Answer(b.Tenant, b.Extension) },
	"hangup":        func(p *PBX, b *simBody) (any, error) { return nil, p.Hangup(b.Tenant, b.Extension) },
	"remote-answer": func(p *PBX, b *simBody) (any, error) { return nil, p.RemoteAnswer(b.Call) },
	"remote-hangup": func(p *PBX, b *simBody) (any, error) { return nil, p.RemoteHangup(b.Call) },
	"fault": func(p *PBX, b *simBody) (any, error) {
		f, err := ParseFault(b.Mode)
		if err != nil {
			return nil, errors.Join(ErrInvalid, err)
		}
		if b.Reqtype != "" {
			p.SetReqtypeFault(b.Reqtype, f)
		} else {
			p.SetFault(f)
		}
		return nil, nil
	},
}

func simReply(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		if v == nil {
			v = map[string]bool{"ok": true}
		}
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrNotApplicable):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrLimit):
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
