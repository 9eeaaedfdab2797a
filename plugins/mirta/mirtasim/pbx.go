package mirtasim

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// PBX is a simulated MiRTA PBX. It is an http.Handler (ServeHTTP) and safe
// for concurrent use; the control methods below steer it from Go tests.
type PBX struct {
	opts Options

	mu          sync.Mutex
	tenants     map[string]*tenant // by code
	tenantOrder []string
	chans       map[string]*channel // by name
	originates  map[string]*originate
	origOrder   []string
	chanSeq     int
	uidSeq      int
	idSeq       int // ex_id, queue, flow, phone book and tenant ids
	origSeq     int
	loadNext    int // LoadStep's round robin
	loadCaller  int
	requests    []Request
	fault       Fault
	faultReq    map[string]Fault // per reqtype
}

// New returns a PBX with opts' tenants. It fails on an invalid option or
// tenant.
func New(opts Options) (*PBX, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	p := &PBX{opts: opts, tenants: map[string]*tenant{}, chans: map[string]*channel{},
		originates: map[string]*originate{}, faultReq: map[string]Fault{}}
	for _, spec := range opts.Tenants {
		if err := p.addTenant(spec); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// lock takes p.mu and applies the deadlines that have passed; every
// entry point uses it.
func (p *PBX) lock() {
	p.mu.Lock()
	p.tick()
}

func (p *PBX) tenant(code string) (*tenant, error) {
	t := p.tenants[strings.ToUpper(code)]
	if t == nil {
		return nil, fmt.Errorf("%w: tenant %q", ErrNotFound, code)
	}
	return t, nil
}

func (p *PBX) extOf(code, ext string) (*tenant, *extension, error) {
	t, err := p.tenant(code)
	if err != nil {
		return nil, nil, err
	}
	e := t.extByUser(ext)
	if e == nil {
		return nil, nil, fmt.Errorf("%w: extension %s in %s", ErrNotFound, ext, t.code)
	}
	return t, e, nil
}

// AddTenant adds a tenant (with its extensions, queues, flows and phone
// books).
func (p *PBX) AddTenant(spec TenantSpec) error {
	p.lock()
	defer p.mu.Unlock()
	return p.addTenant(spec)
}

// AddExtension adds an extension to tenant code.
func (p *PBX) AddExtension(code string, spec ExtensionSpec) error {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return err
	}
	if t.queueByNumber(spec.Number) != nil {
		return fmt.Errorf("%w: number %s is a queue in %s", ErrInvalid, spec.Number, t.code)
	}
	return p.addExtension(t, spec)
}

// RemoveExtension removes an extension: its calls end and it leaves its
// queues.
func (p *PBX) RemoveExtension(code, ext string) error {
	p.lock()
	defer p.mu.Unlock()
	t, e, err := p.extOf(code, ext)
	if err != nil {
		return err
	}
	for _, c := range p.extChans(t, e.number) {
		p.hangup(c)
	}
	for _, q := range t.queues {
		q.agents = slices.DeleteFunc(q.agents, func(a *agent) bool { return a.ext == e.number })
	}
	delete(t.exts, e.number)
	t.sorted = nil
	p.distribute()
	return nil
}

// SetRegistered registers or unregisters an extension's phone. A phone
// that unregisters loses its calls.
func (p *PBX) SetRegistered(code, ext string, registered bool) error {
	p.lock()
	defer p.mu.Unlock()
	t, e, err := p.extOf(code, ext)
	if err != nil {
		return err
	}
	if e.registered == registered {
		return nil
	}
	e.registered = registered
	if registered {
		e.ip = fmt.Sprintf("10.0.%d.%d", (e.id/250)%250, 1+e.id%250)
		e.regSince = p.opts.Now()
	} else {
		e.ip = ""
		for _, c := range p.extChans(t, e.number) {
			p.hangup(c)
		}
	}
	p.distribute()
	return nil
}

// SetDND sets an extension's do-not-disturb, as DND set does.
func (p *PBX) SetDND(code, ext string, on bool) error {
	p.lock()
	defer p.mu.Unlock()
	_, e, err := p.extOf(code, ext)
	if err != nil {
		return err
	}
	e.dnd = on
	return nil
}

// AddQueue adds a queue to tenant code; every agent must be an extension.
func (p *PBX) AddQueue(code string, spec QueueSpec) error {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return err
	}
	return p.addQueue(t, spec)
}

// AddFlow adds a flow to tenant code.
func (p *PBX) AddFlow(code string, spec FlowSpec) error {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return err
	}
	return p.addFlow(t, spec)
}

// AddContact adds c to phone book book of tenant code (the book is created
// if missing) and returns the record's peid. c.PEID is ignored.
func (p *PBX) AddContact(code, book string, c Contact) (string, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return "", err
	}
	return p.addContact(t, book, &c)
}

// Extension is a snapshot of an extension, for tests.
type Extension struct {
	Tenant     string `json:"tenant"`
	Number     string `json:"number"`
	Name       string `json:"name"`
	Username   string `json:"username"`
	Registered bool   `json:"registered"`
	DND        bool   `json:"dnd"`
	State      string `json:"state"` // device state, e.g. NOT_INUSE
	Reboots    int    `json:"reboots"`
}

// Extensions returns tenant code's extensions by number.
func (p *PBX) Extensions(code string) ([]Extension, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return nil, err
	}
	var out []Extension
	for _, e := range t.sortedExts() {
		out = append(out, Extension{Tenant: t.code, Number: e.number, Name: e.name, Username: e.username,
			Registered: e.registered, DND: e.dnd, State: p.devState(t, e), Reboots: e.reboots})
	}
	return out, nil
}

// Agent is a snapshot of a queue member.
type Agent struct {
	Extension   string `json:"extension"`
	Paused      bool   `json:"paused"`
	PauseReason string `json:"pause_reason"`
	Penalty     int    `json:"penalty"`
	Calls       int    `json:"calls"` // queue calls answered
}

// Queue is a snapshot of a queue.
type Queue struct {
	ID      string   `json:"id"`
	Number  string   `json:"number"`
	Name    string   `json:"name"`
	Agents  []Agent  `json:"agents"`
	Callers []string `json:"callers"` // waiting callers' channels, oldest first
}

// Queues returns tenant code's queues.
func (p *PBX) Queues(code string) ([]Queue, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return nil, err
	}
	out := []Queue{}
	for _, q := range t.queues {
		s := Queue{ID: q.id, Number: q.number, Name: q.name, Agents: []Agent{}, Callers: []string{}}
		for _, a := range q.agents {
			s.Agents = append(s.Agents, Agent{Extension: a.ext, Paused: a.paused, PauseReason: a.pauseReason, Penalty: a.penalty, Calls: a.calls})
		}
		for _, c := range q.callers {
			s.Callers = append(s.Callers, c.name)
		}
		out = append(out, s)
	}
	return out, nil
}

// Flow is a snapshot of a flow.
type Flow struct {
	ID     int    `json:"id"`
	Number string `json:"number"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Value  string `json:"value"`
}

// Flows returns tenant code's flows.
func (p *PBX) Flows(code string) ([]Flow, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return nil, err
	}
	out := []Flow{}
	for _, f := range t.flows {
		out = append(out, Flow{ID: f.id, Number: f.number, Name: f.name, State: f.state, Value: f.value})
	}
	return out, nil
}

// Contacts returns phone book book of tenant code.
func (p *PBX) Contacts(code, book string) ([]Contact, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return nil, err
	}
	pb := t.phonebook(book)
	if pb == nil {
		return nil, fmt.Errorf("%w: phone book %q in %s", ErrNotFound, book, t.code)
	}
	out := []Contact{}
	for _, c := range pb.contacts {
		out = append(out, *c)
	}
	return out, nil
}

// CDRUserfield returns the userfield of the CDR of uniqueid in tenant
// code, and whether that CDR exists.
func (p *PBX) CDRUserfield(code, uniqueid string) (string, bool) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return "", false
	}
	v, ok := t.cdr[uniqueid]
	return v, ok
}

// Now returns the model's clock (Options.Now).
func (p *PBX) Now() time.Time { return p.opts.Now() }
