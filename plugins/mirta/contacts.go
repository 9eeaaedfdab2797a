package mirta

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Bounds of what a looked-up contact carries and the cache holds.
const (
	maxContactFields = 32
	maxFieldValue    = 256
	maxCacheEntries  = 10000
	phonebookListTTL = time.Minute
)

// contactCache keeps number look-ups (found or not) for a while, so a
// busy queue does not query the phonebook on every ring. Bounded: when
// full, expired entries go, then the whole cache.
type contactCache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]cacheEntry
	books   []string
	booksAt time.Time
}

type cacheEntry struct {
	contacts []*ctiv1.Contact
	until    time.Time
}

func newContactCache(ttl time.Duration) *contactCache {
	return &contactCache{ttl: ttl, entries: map[string]cacheEntry{}}
}

func (c *contactCache) get(key string) ([]*ctiv1.Contact, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.until) {
		return nil, false
	}
	return e.contacts, true
}

func (c *contactCache) put(key string, contacts []*ctiv1.Contact) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if now.After(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = cacheEntry{contacts: contacts, until: now.Add(c.ttl)}
}

// phonebooks are the phonebooks to search: the configured ones, or every
// phonebook of the tenant (listed at most once a minute).
func (t *tenant) phonebooks(ctx context.Context) ([]string, error) {
	if len(t.cfg.phonebooks) > 0 {
		return t.cfg.phonebooks, nil
	}
	c := t.contacts
	c.mu.Lock()
	books, fresh := c.books, time.Since(c.booksAt) < phonebookListTTL && c.books != nil
	c.mu.Unlock()
	if fresh {
		return books, nil
	}
	books, err := t.api.phonebooks(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.books, c.booksAt = books, time.Now()
	c.mu.Unlock()
	return books, nil
}

// lookupNumber finds the contacts whose number fields hold number
// exactly, at most limit, from the cache when it has them.
func (t *tenant) lookupNumber(ctx context.Context, number string, limit int) ([]*ctiv1.Contact, error) {
	if found, ok := t.contacts.get("n:" + number); ok {
		return capContacts(found, limit), nil
	}
	var fieldsToSearch []string
	for _, f := range t.cfg.numberFields {
		fieldsToSearch = append(fieldsToSearch, f)
	}
	found, err := t.search(ctx, fieldsToSearch, number)
	if err != nil {
		return nil, err
	}
	t.contacts.put("n:"+number, found)
	return capContacts(found, limit), nil
}

// lookupName finds the contacts whose name holds text (MiRTA's % partial
// search on both sides).
func (t *tenant) lookupName(ctx context.Context, text string, limit int) ([]*ctiv1.Contact, error) {
	found, err := t.search(ctx, []string{t.cfg.nameField}, "%"+text+"%")
	if err != nil {
		return nil, err
	}
	return capContacts(found, limit), nil
}

// search queries every phonebook on every field for value (one PHONEBOOK
// query each) and merges the records, each contact once.
func (t *tenant) search(ctx context.Context, fieldNames []string, value string) ([]*ctiv1.Contact, error) {
	books, err := t.phonebooks(ctx)
	if err != nil {
		return nil, err
	}
	var out []*ctiv1.Contact
	seen := map[string]bool{}
	for _, book := range books {
		for _, f := range fieldNames {
			recs, err := t.api.phonebookQuery(ctx, book, f, value)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				c := t.contactOf(book, r)
				if c == nil || seen[c.GetSource()+"\x00"+c.GetId()] {
					continue
				}
				seen[c.GetSource()+"\x00"+c.GetId()] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// contactOf is a phonebook record as a Contact; nil without a peid.
// Only peid and the configured name, company and number fields are
// interpreted; the other fields go to Contact.fields, bounded, and never
// one whose name says it is a secret.
func (t *tenant) contactOf(book string, r map[string]string) *ctiv1.Contact {
	id := r["peid"]
	if id == "" {
		return nil
	}
	c := &ctiv1.Contact{Id: clip(id), Source: "mirta:phonebook/" + clip(book), Name: clip(r[t.cfg.nameField]), Company: clip(r["COMPANY"])}
	if c.Name == "" {
		c.Name = clip(r["NAME"])
	}
	for _, f := range t.cfg.numberFields {
		if n := r[f]; n != "" {
			c.Numbers = append(c.Numbers, clip(n))
		}
	}
	skip := map[string]bool{"peid": true, "NAME": true, "COMPANY": true, t.cfg.nameField: true}
	for _, f := range t.cfg.numberFields {
		skip[f] = true
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if skip[k] || r[k] == "" || secretName(k) || len(c.Fields) >= maxContactFields {
			continue
		}
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		c.Fields[clip(k)] = clip(r[k])
	}
	return c
}

// secretName says whether a field's name suggests a credential.
func secretName(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "secret", "token", "pin", "key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// clip cuts a value to maxFieldValue bytes of valid UTF-8.
func clip(s string) string {
	if len(s) <= maxFieldValue && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	for len(s) > maxFieldValue {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

func capContacts(cs []*ctiv1.Contact, limit int) []*ctiv1.Contact {
	if limit <= 0 {
		limit = 10
	}
	if len(cs) > limit {
		return cs[:limit]
	}
	return cs
}
