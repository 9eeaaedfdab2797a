package mirtasim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tenant is one tenant's configuration and state. Guarded by PBX.mu.
type tenant struct {
	id         int // te_id
	code       string
	key, roKey string
	exts       map[string]*extension // by number
	queues     []*queue
	flows      []*flow
	phonebooks []*phonebook
	cdr        map[string]string // uniqueid → userfield
	cdrOrder   []string          // uniqueids, oldest first
	sorted     []*extension      // sortedExts' cache; nil when stale
	nextPEID   int
}

type extension struct {
	id               int // ex_id
	number, name     string
	username, secret string
	registered, dnd  bool
	ip               string
	regSince         time.Time
	reboots          int
}

type queue struct {
	id, number, name string
	agents           []*agent
	callers          []*channel // waiting, oldest first
}

type agent struct {
	ext         string
	paused      bool
	pauseReason string
	penalty     int
	calls       int // answered queue calls
	lastCall    time.Time
}

type flow struct {
	id                         int // fl_id
	number, name, state, value string
	changed                    time.Time
}

type phonebook struct {
	id       int
	name     string
	contacts []*Contact
}

// Contact is a phone book record. The field names are the phone book's
// columns as PHONEBOOK shows them (peid, NAME, COMPANY, PHONE1, PHONE2,
// EMAIL; see facts §24).
type Contact struct {
	PEID    string `json:"peid"` // assigned by the PBX
	Name    string `json:"NAME"`
	Company string `json:"COMPANY"`
	Phone1  string `json:"PHONE1"`
	Phone2  string `json:"PHONE2"`
	Email   string `json:"EMAIL"`
}

// contactColumns are the phone book columns, in answer order.
var contactColumns = []string{"peid", "NAME", "COMPANY", "PHONE1", "PHONE2", "EMAIL"}

// field returns column col (matched without regard to case) and whether
// it exists.
func (c *Contact) field(col string) (*string, bool) {
	switch strings.ToUpper(col) {
	case "PEID":
		return &c.PEID, true
	case "NAME":
		return &c.Name, true
	case "COMPANY":
		return &c.Company, true
	case "PHONE1":
		return &c.Phone1, true
	case "PHONE2":
		return &c.Phone2, true
	case "EMAIL":
		return &c.Email, true
	}
	return nil, false
}

func (c *Contact) values() []string {
	return []string{c.PEID, c.Name, c.Company, c.Phone1, c.Phone2, c.Email}
}

var (
	codeRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	numberRE = regexp.MustCompile(`^[0-9*#+]{1,32}$`)
	// flowRE: a flow number, optionally with the "[param]" MiRTA shows in
	// fl_number (OBSERVED "500[on]", facts §19).
	flowRE = regexp.MustCompile(`^([0-9*#+]{1,32})(\[[A-Za-z0-9_-]{1,16}\])?$`)
)

func (t *tenant) ext(number string) *extension {
	if t == nil {
		return nil
	}
	return t.exts[number]
}

// extByUser finds an extension by number or SIP username ("103-DEVEL").
func (t *tenant) extByUser(s string) *extension {
	if e := t.exts[s]; e != nil {
		return e
	}
	for _, e := range t.exts {
		if strings.EqualFold(e.username, s) {
			return e
		}
	}
	return nil
}

// sortedExts returns the extensions by number (numerically when both are
// numbers).
func (t *tenant) sortedExts() []*extension {
	if t.sorted != nil {
		return t.sorted
	}
	out := make([]*extension, 0, len(t.exts))
	for _, e := range t.exts {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *extension) int { return cmpNumber(a.number, b.number) })
	t.sorted = out
	return out
}

func cmpNumber(a, b string) int {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 == nil && err2 == nil && x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func (t *tenant) queueByID(id string) *queue {
	for _, q := range t.queues {
		if q.id == id {
			return q
		}
	}
	return nil
}

func (t *tenant) queueByNumber(n string) *queue {
	for _, q := range t.queues {
		if q.number == n {
			return q
		}
	}
	return nil
}

// flow finds a flow by its number, with or without its "[param]".
func (t *tenant) flow(number string) *flow {
	for _, f := range t.flows {
		if f.number == number {
			return f
		}
	}
	for _, f := range t.flows {
		if m := flowRE.FindStringSubmatch(f.number); m != nil && m[1] == number {
			return f
		}
	}
	return nil
}

// param returns the "[param]" part of the flow's number.
func (f *flow) param() string {
	if m := flowRE.FindStringSubmatch(f.number); m != nil {
		return m[2]
	}
	return ""
}

func (t *tenant) phonebook(name string) *phonebook {
	for _, pb := range t.phonebooks {
		if strings.EqualFold(pb.name, name) {
			return pb
		}
	}
	return nil
}

func (q *queue) agent(ext string) *agent {
	for _, a := range q.agents {
		if a.ext == ext {
			return a
		}
	}
	return nil
}

// addTenant adds a tenant from spec. Caller holds p.mu.
func (p *PBX) addTenant(spec TenantSpec) error {
	if !codeRE.MatchString(spec.Code) {
		return fmt.Errorf("%w: tenant code %q (want 1-32 letters, digits, _ or -)", ErrInvalid, spec.Code)
	}
	code := strings.ToUpper(spec.Code)
	if p.tenants[code] != nil {
		return fmt.Errorf("%w: tenant %s exists", ErrInvalid, code)
	}
	if len(p.tenants) >= MaxTenants {
		return fmt.Errorf("%w: %d tenants", ErrLimit, MaxTenants)
	}
	for _, k := range []string{spec.Key, spec.ReadOnlyKey} {
		if k == "" {
			continue
		}
		if k == p.opts.AdminKey || p.keyOwner(k) != nil || spec.Key == spec.ReadOnlyKey {
			return fmt.Errorf("%w: tenant %s: keys must be unique", ErrInvalid, code)
		}
	}
	p.idSeq++
	t := &tenant{id: p.idSeq, code: code, key: spec.Key, roKey: spec.ReadOnlyKey, exts: map[string]*extension{},
		cdr: map[string]string{}, nextPEID: 1}
	for _, e := range spec.Extensions {
		if err := p.addExtension(t, e); err != nil {
			return err
		}
	}
	for _, q := range spec.Queues {
		if err := p.addQueue(t, q); err != nil {
			return err
		}
	}
	for _, f := range spec.Flows {
		if err := p.addFlow(t, f); err != nil {
			return err
		}
	}
	for _, pb := range spec.Phonebooks {
		if _, err := p.addContact(t, pb.Name, nil); err != nil {
			return err
		}
		for _, c := range pb.Contacts {
			if _, err := p.addContact(t, pb.Name, &c); err != nil {
				return err
			}
		}
	}
	// Only a tenant built in full joins the PBX.
	p.tenants[code] = t
	p.tenantOrder = append(p.tenantOrder, code)
	return nil
}

// keyOwner returns the tenant owning key k (read/write or read-only).
func (p *PBX) keyOwner(k string) *tenant {
	for _, t := range p.tenants {
		if k == t.key || k == t.roKey {
			return t
		}
	}
	return nil
}

func (p *PBX) addExtension(t *tenant, spec ExtensionSpec) error {
	if !numberRE.MatchString(spec.Number) {
		return fmt.Errorf("%w: extension number %q", ErrInvalid, spec.Number)
	}
	if t.exts[spec.Number] != nil {
		return fmt.Errorf("%w: extension %s exists in %s", ErrInvalid, spec.Number, t.code)
	}
	if len(t.exts) >= MaxExtensions {
		return fmt.Errorf("%w: %d extensions in %s", ErrLimit, MaxExtensions, t.code)
	}
	e := &extension{number: spec.Number, name: spec.Name, username: spec.Username, secret: spec.Secret,
		registered: !spec.Unregistered, dnd: spec.DND}
	if e.name == "" {
		e.name = "Extension " + spec.Number
	}
	if e.username == "" {
		e.username = spec.Number + "-" + t.code
	}
	if e.secret == "" {
		e.secret = "sim-secret-" + spec.Number
	}
	p.idSeq++
	e.id = p.idSeq
	if e.registered {
		e.ip = fmt.Sprintf("10.0.%d.%d", (e.id/250)%250, 1+e.id%250)
		e.regSince = p.opts.Now()
	}
	t.exts[e.number] = e
	t.sorted = nil
	return nil
}

func (p *PBX) addQueue(t *tenant, spec QueueSpec) error {
	if !numberRE.MatchString(spec.Number) {
		return fmt.Errorf("%w: queue number %q", ErrInvalid, spec.Number)
	}
	if len(t.queues) >= MaxQueues {
		return fmt.Errorf("%w: %d queues in %s", ErrLimit, MaxQueues, t.code)
	}
	if t.queueByNumber(spec.Number) != nil || t.exts[spec.Number] != nil {
		return fmt.Errorf("%w: number %s is taken in %s", ErrInvalid, spec.Number, t.code)
	}
	id := spec.ID
	if id == "" {
		p.idSeq++
		id = strconv.Itoa(p.idSeq)
	} else if _, err := strconv.Atoi(id); err != nil || p.queueIDTaken(id) || t.queueByID(id) != nil {
		return fmt.Errorf("%w: queue id %q is not a free number", ErrInvalid, id)
	}
	q := &queue{id: id, number: spec.Number, name: spec.Name}
	if q.name == "" {
		q.name = "Queue " + spec.Number
	}
	for _, a := range spec.Agents {
		if t.exts[a.Extension] == nil {
			return fmt.Errorf("%w: agent %s is not an extension of %s", ErrNotFound, a.Extension, t.code)
		}
		if q.agent(a.Extension) == nil {
			q.agents = append(q.agents, &agent{ext: a.Extension, paused: a.Paused, pauseReason: a.PauseReason, penalty: a.Penalty})
		}
	}
	t.queues = append(t.queues, q)
	return nil
}

func (p *PBX) addFlow(t *tenant, spec FlowSpec) error {
	if !flowRE.MatchString(spec.Number) || t.flow(spec.Number) != nil {
		return fmt.Errorf("%w: flow number %q", ErrInvalid, spec.Number)
	}
	if len(t.flows) >= MaxFlows {
		return fmt.Errorf("%w: %d flows in %s", ErrLimit, MaxFlows, t.code)
	}
	st := strings.ToUpper(spec.State)
	if st == "" {
		st = "NOT_INUSE"
	}
	if !validFlowState(st) {
		return fmt.Errorf("%w: flow state %q", ErrInvalid, spec.State)
	}
	name := spec.Name
	if name == "" {
		name = "Flow " + spec.Number
	}
	p.idSeq++
	t.flows = append(t.flows, &flow{id: p.idSeq, number: spec.Number, name: name, state: st, value: spec.Value, changed: p.opts.Now()})
	return nil
}

func validFlowState(s string) bool {
	switch s {
	case "INUSE", "NOT_INUSE", "UNAVAILABLE", "RINGING":
		return true
	}
	return false
}

// addContact adds a record to phone book name (created if missing; c nil
// only creates the book) and returns its peid.
func (p *PBX) addContact(t *tenant, name string, c *Contact) (string, error) {
	if name == "" || len(name) > 64 {
		return "", fmt.Errorf("%w: phone book name %q", ErrInvalid, name)
	}
	pb := t.phonebook(name)
	if pb == nil {
		if len(t.phonebooks) >= MaxPhonebooks {
			return "", fmt.Errorf("%w: %d phone books in %s", ErrLimit, MaxPhonebooks, t.code)
		}
		p.idSeq++
		pb = &phonebook{id: p.idSeq, name: name}
		t.phonebooks = append(t.phonebooks, pb)
	}
	if c == nil {
		return "", nil
	}
	if len(pb.contacts) >= MaxContacts {
		return "", fmt.Errorf("%w: %d contacts in %s", ErrLimit, MaxContacts, name)
	}
	n := *c
	for _, v := range n.values() {
		if len(v) > maxValueLen {
			return "", fmt.Errorf("%w: a contact field is over %d bytes", ErrInvalid, maxValueLen)
		}
	}
	n.PEID = strconv.Itoa(t.nextPEID)
	t.nextPEID++
	pb.contacts = append(pb.contacts, &n)
	return n.PEID, nil
}

func (p *PBX) queueIDTaken(id string) bool {
	for _, t := range p.tenants {
		if t.queueByID(id) != nil {
			return true
		}
	}
	return false
}

// addCDR records a CDR row for uniqueid (for CDR update/get), dropping the
// oldest past MaxCDRFields over the tenant. Caller holds p.mu.
func (t *tenant) addCDR(uid string) {
	if len(t.cdrOrder) >= MaxCDRFields {
		delete(t.cdr, t.cdrOrder[0])
		t.cdrOrder = t.cdrOrder[1:]
	}
	t.cdr[uid] = ""
	t.cdrOrder = append(t.cdrOrder, uid)
}

// busy reports whether ext has a live channel.
func (p *PBX) busy(t *tenant, ext string) bool {
	for _, c := range p.chans {
		if c.t == t && c.ext == ext {
			return true
		}
	}
	return false
}
