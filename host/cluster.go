package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/host/cluster"
	"github.com/ctihost/ctihost/host/eventlog"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// clusterSites runs this host's part of the site leases: it starts a
// site's drivers when this host takes the site, stops them when it loses
// it, and sends commands for sites other hosts run to them.
type clusterSites struct {
	h      *host
	log    *eventlog.Log
	leases *cluster.Leases
	self   cluster.Owner
	creds  credentials.TransportCredentials

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn // by address
}

// runLeases takes part in the site leases of the cluster until ctx ends.
// advertise is where the other hosts reach this host's API.
func (h *host) runLeases(ctx context.Context, nc *nats.Conn, log *eventlog.Log, advertise string, tlsCfg *tls.Config) (*clusterSites, error) {
	cl := h.cfg.Cluster
	for _, inst := range h.instances {
		if len(inst.Sites()) > 1 {
			return nil, fmt.Errorf("cluster: plugin %q has isolation = \"driver\": a host of a cluster runs sites one by one, so use isolation = \"site\"", inst.Driver())
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	c := &clusterSites{h: h, log: log, self: cluster.Owner{Host: cl.HostID, Addr: advertise}, conns: map[string]*grpc.ClientConn{}, creds: insecure.NewCredentials()}
	if tlsCfg != nil {
		c.creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	c.leases, err = cluster.New(ctx, js, c.self, cl.LeaseTTL, c.acquired, c.lost)
	if err != nil {
		return nil, fmt.Errorf("cluster: site leases: %w", err)
	}
	var sites []string
	for _, s := range h.cfg.Sites {
		sites = append(sites, s.Name)
	}
	h.leases.Store(c.leases)
	go c.leases.Run(ctx, sites)
	h.logger.Info("taking part in the site leases", "sites", sites, "advertise", advertise, "lease_ttl", cl.LeaseTTL)
	return c, nil
}

// acquired starts a site this host now runs. When another host ran it
// before (and stopped renewing: it died), apps first learn that the
// site's devices are out of service, then the drivers' own snapshots
// bring them back in service, and calls the dead host left open end as
// LOST once the new drivers answer.
func (c *clusterSites) acquired(site string, previous *cluster.Owner) {
	h := c.h
	h.logger.Info("this host now runs the site", "site", site, "previous_host", ownerName(previous))
	ctx := context.Background()
	if previous != nil {
		why := fmt.Sprintf("out of service: the site moved from host %s, which stopped renewing its lease, to host %s", previous.Host, c.self.Host)
		if previous.Host == c.self.Host {
			why = fmt.Sprintf("out of service: host %s restarted", c.self.Host)
		}
		for _, ref := range configuredDevices(h, site) {
			h.publish(&ctiv1.Event{Site: site, Device: ref, Time: timestamppb.Now(), Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{
				Status: &ctiv1.DeviceStatus{Detail: why}}}})
		}
	}
	// Each tenure gets its own call ids: the drivers of the host before
	// (or of this host's previous life) numbered their calls the same way.
	prefix := fmt.Sprintf("%s.%d.", c.self.Host, c.leases.Revision(site))
	for _, inst := range h.instances {
		if slices.Contains(inst.Sites(), site) {
			inst.SetCallIDPrefix(prefix)
			if err := inst.Start(ctx); err != nil {
				h.logger.Error("driver failed to start", "instance", inst.Describe(), "error", err)
			}
		}
	}
	if previous != nil {
		if open, _, err := openCalls(ctx, c.log); err == nil {
			for dev := range open {
				if siteOf(dev) != site {
					delete(open, dev)
				}
			}
			lostWhy := fmt.Sprintf("ended while site %s moved from host %s to host %s", site, previous.Host, c.self.Host)
			if previous.Host == c.self.Host {
				lostWhy = fmt.Sprintf("ended while host %s restarted", c.self.Host)
			}
			go h.reconcile(ctx, open, h.cfg.Host.StartTimeout+h.cfg.Host.CommandTimeout, lostWhy)
		}
	}
}

// lost stops a site this host no longer runs (its lease could not be
// renewed: NATS unreachable, or another host holds it now).
func (c *clusterSites) lost(site string) {
	h := c.h
	h.logger.Warn("this host no longer runs the site: its lease was lost", "site", site)
	for _, inst := range h.instances {
		if slices.Contains(inst.Sites(), site) {
			inst.Stop()
		}
	}
}

// Host is the connection to the host that runs site, when another does.
func (c *clusterSites) Host(ctx context.Context, site string) (*grpc.ClientConn, bool) {
	if c.leases.Owns(site) {
		return nil, false
	}
	lookup, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	o, ok := c.leases.Owner(lookup, site)
	if !ok || o.Host == c.self.Host {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn := c.conns[o.Addr]; conn != nil {
		return conn, true
	}
	conn, err := grpc.NewClient(o.Addr, grpc.WithTransportCredentials(c.creds))
	if err != nil {
		return nil, false
	}
	c.conns[o.Addr] = conn
	return conn, true
}

// close lets go of the connections to other hosts.
func (c *clusterSites) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
}

func ownerName(o *cluster.Owner) string {
	if o == nil {
		return "-"
	}
	return o.Host
}

// configuredDevices are the references of site's device blocks.
func configuredDevices(h *host, site string) []string {
	var refs []string
	for _, s := range h.cfg.Sites {
		if s.Name == site {
			for _, d := range s.Devices {
				refs = append(refs, site+"/"+d.Name)
			}
		}
	}
	return refs
}

// advertiseAddr is where the other hosts reach this host: the cluster
// block's advertise, or the address the API listens on.
func advertiseAddr(configured string, lis net.Addr) string {
	if configured != "" {
		return configured
	}
	return localTokenAddr(lis)
}
