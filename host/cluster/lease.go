// Package cluster is what several hosts sharing one NATS (JetStream) agree
// on beyond their events: which host runs each site. A site is owned by
// one host at a time through a lease, a key of the JetStream KeyValue
// bucket CTI_SITES whose value names the host and its API address and
// which expires TTL after its owner last renewed it. A host configured for
// a site takes the lease when it is free, renews it every TTL/3, and runs
// the site's drivers only while it holds it; when a host dies its leases
// expire and another host configured for the same site takes over.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the KeyValue bucket of the site leases.
const Bucket = "CTI_SITES"

// Owner is a lease's value: who runs a site, and where to reach its API.
type Owner struct {
	Host string `json:"host"`
	Addr string `json:"addr"`
}

// Leases takes, renews and watches the leases of this host's sites.
type Leases struct {
	kv        jetstream.KeyValue
	self      Owner
	ttl       time.Duration
	onAcquire func(site string, previous *Owner)
	onLose    func(site string)

	mu    sync.Mutex
	owned map[string]uint64 // site -> revision of our lease
	// until is how long each lease this host holds is surely still its
	// own, by this host's monotonic clock: the send time of its last
	// successful write plus most of the TTL. A host that was paused
	// (SIGSTOP, a VM frozen) sees its leases stale when it wakes, before
	// it could learn from NATS that another host took them.
	until  map[string]time.Time
	owners map[string]Owner // site -> last owner seen (any site asked about)
}

// New opens the leases bucket with ttl. onAcquire runs (on the site's own
// goroutine) when this host takes a site, with the previous owner if the
// site had one this host saw (this host itself, before a restart); onLose
// when it loses one.
func New(ctx context.Context, js jetstream.JetStream, self Owner, ttl time.Duration, onAcquire func(site string, previous *Owner), onLose func(site string)) (*Leases, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, TTL: ttl, History: 1, Description: "ctihost: which host runs each site"})
	if err != nil {
		return nil, err
	}
	return &Leases{kv: kv, self: self, ttl: ttl, onAcquire: onAcquire, onLose: onLose, owned: map[string]uint64{}, until: map[string]time.Time{}, owners: map[string]Owner{}}, nil
}

// Run keeps the leases of sites until ctx ends, then gives up those held
// (deleting them, so another host need not wait for their expiry).
func (l *Leases) Run(ctx context.Context, sites []string) {
	var wg sync.WaitGroup
	for _, site := range sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.keep(ctx, site)
		}()
	}
	wg.Wait()
}

// keep takes and renews one site's lease.
func (l *Leases) keep(ctx context.Context, site string) {
	value, _ := json.Marshal(l.self)
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	var previous *Owner
	for {
		l.mu.Lock()
		rev, owned := l.owned[site]
		l.mu.Unlock()
		op, cancel := context.WithTimeout(ctx, l.ttl/3)
		sent := time.Now()
		if owned {
			if next, err := l.kv.Update(op, site, value, rev); err == nil {
				l.setOwned(site, next, sent)
			} else if ctx.Err() == nil {
				l.setOwned(site, 0, sent)
				l.onLose(site)
			}
		} else {
			entry, err := l.kv.Get(op, site)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				if next, err := l.kv.Create(op, site, value); err == nil {
					l.setOwned(site, next, sent)
					l.remember(site, l.self)
					l.onAcquire(site, previous)
				}
			case err == nil:
				var o Owner
				if json.Unmarshal(entry.Value(), &o) == nil {
					l.remember(site, o)
					if o.Host == l.self.Host {
						// Ours from before a restart: take it back at once,
						// as a takeover from that previous life (whose calls
						// may have ended meanwhile).
						if next, err := l.kv.Update(op, site, value, entry.Revision()); err == nil {
							l.setOwned(site, next, sent)
							l.onAcquire(site, &o)
						}
					} else {
						previous = &o
					}
				}
			}
		}
		cancel()
		select {
		case <-ctx.Done():
			l.release(site)
			return
		case <-tick.C:
		}
	}
}

// release deletes a lease this host holds (a clean stop).
func (l *Leases) release(site string) {
	l.mu.Lock()
	rev, owned := l.owned[site]
	delete(l.owned, site)
	delete(l.until, site)
	l.mu.Unlock()
	if owned {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = l.kv.Delete(ctx, site, jetstream.LastRevision(rev))
	}
}

// setOwned records the revision of this host's lease (0: none) written by
// a request sent at sent. NATS expires the entry ttl after it stored it,
// never sooner, so the lease is ours until at least sent+ttl; freshness
// keeps a quarter of the TTL as a margin for clock rates and scheduling.
func (l *Leases) setOwned(site string, rev uint64, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev == 0 {
		delete(l.owned, site)
		delete(l.until, site)
		return
	}
	l.owned[site] = rev
	l.until[site] = sent.Add(l.ttl - l.ttl/4)
}

// Fresh reports whether this host holds site's lease and renewed it
// recently enough that no other host can have taken it: only then may it
// publish the site's events.
func (l *Leases) Fresh(site string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, owned := l.owned[site]
	return owned && time.Now().Before(l.until[site])
}

// AwaitFresh waits up to max for site's lease to be fresh again (the next
// renewal after a pause) and reports whether it is; false as soon as this
// host no longer holds it.
func (l *Leases) AwaitFresh(site string, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for {
		if l.Fresh(site) {
			return true
		}
		if !l.Owns(site) || time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *Leases) remember(site string, o Owner) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owners[site] = o
}

// Revision is the bucket revision of this host's lease on site (0 when it
// holds none). Revisions only grow, so the one a lease was taken at names
// that tenure uniquely, also across restarts of this host.
func (l *Leases) Revision(site string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owned[site]
}

// Owns reports whether this host holds site's lease.
func (l *Leases) Owns(site string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.owned[site]
	return ok
}

// Owner is site's owner, read from the bucket (any site, also one this
// host is not configured for); false when no host runs it.
func (l *Leases) Owner(ctx context.Context, site string) (Owner, bool) {
	entry, err := l.kv.Get(ctx, site)
	if err != nil {
		return Owner{}, false
	}
	var o Owner
	if json.Unmarshal(entry.Value(), &o) != nil {
		return Owner{}, false
	}
	l.remember(site, o)
	return o, true
}

// Sites lists every site some host runs, with its owner.
func (l *Leases) Sites(ctx context.Context) map[string]Owner {
	out := map[string]Owner{}
	keys, err := l.kv.ListKeys(ctx)
	if err != nil {
		return out
	}
	var names []string
	for k := range keys.Keys() {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, site := range names {
		if o, ok := l.Owner(ctx, site); ok {
			out[site] = o
		}
	}
	return out
}
