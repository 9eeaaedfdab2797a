package config

import (
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Cluster is the cluster block: the NATS (JetStream) several hosts share,
// so that each serves every host's events under one sequence.
type Cluster struct {
	// URLs are the NATS servers, nats:// or tls://.
	URLs []string
	// Token is the NATS token (a secret), or "".
	Token string
	// CAFile is the absolute path of the CA that signs the servers'
	// certificates, or "" (the system's roots).
	CAFile string
	// HostID names this host to the others (default: the machine's name).
	HostID string
	// Advertise is where the other hosts reach this host's API ("": the
	// listen address). LeaseTTL is how long a dead host keeps its sites.
	Advertise string
	LeaseTTL  time.Duration
	// Replicas, MaxBytes and MaxAge are the events stream's.
	Replicas int
	MaxBytes int64
	MaxAge   time.Duration
	// Range is the block header in the file.
	Range hcl.Range
}

var clusterAttrs = []*ctiv1.ConfigAttribute{
	{Name: "nats_url", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true, Description: "the NATS servers with JetStream, comma-separated: nats://host:4222 or tls://host:4222"},
	{Name: "token", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Secret: true, Description: `the NATS token: env("…") or file("…")`},
	{Name: "ca_file", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "PEM certificates that sign the NATS servers' certificates (tls://), instead of the system's roots"},
	{Name: "host_id", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "this host's name among the cluster's hosts; default the machine's name"},
	{Name: "advertise", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Description: "host:port the other hosts reach this host's API at, for the commands of sites it runs; default the listen address"},
	{Name: "lease_ttl", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "10s", Description: "how long a site stays with a host that stopped renewing its lease (a dead host); it renews every third of it"},
	{Name: "replicas", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "1", Description: "copies of the events stream on the NATS servers (1, 3 or 5)"},
	{Name: "max_bytes", Type: ctiv1.ConfigType_CONFIG_TYPE_INT, DefaultValue: "1073741824", Description: "the events stream's size limit in bytes; the oldest events go first"},
	{Name: "max_age", Type: ctiv1.ConfigType_CONFIG_TYPE_DURATION, DefaultValue: "24h", Description: "how long the events stream keeps an event (0: no limit)"},
}

// decodeCluster decodes the optional cluster block.
func (c *Config) decodeCluster(s *sink, blocks []*hclsyntax.Block) *Cluster {
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		s.errorf(b.DefRange(), "", "first defined at "+where(blocks[0].DefRange())+"; merge the two blocks", "cluster block is defined twice")
	}
	b := blocks[0]
	if len(b.Labels) > 0 {
		s.errorf(b.LabelRanges[0], "", "write cluster { … }", "cluster block takes no label")
	}
	cl := &Cluster{Range: b.DefRange()}
	v := c.checkBody(s, b.Body, bodyRules{object: "cluster", owner: "ctihost", at: cl.Range, attrs: clusterAttrs})
	for _, u := range strings.Split(v["nats_url"].text, ",") {
		u = strings.TrimSpace(u)
		parsed, err := url.Parse(u)
		if u == "" {
			continue
		}
		if err != nil || (parsed.Scheme != "nats" && parsed.Scheme != "tls") || parsed.Host == "" || parsed.User != nil {
			s.errorf(v["nats_url"].rng, "nats_url", "write nats://host:4222 or tls://host:4222, credentials in token", "cluster: %q is not a NATS server URL", u)
			continue
		}
		cl.URLs = append(cl.URLs, u)
	}
	cl.Token, cl.HostID = v["token"].text, v["host_id"].text
	if f := v["ca_file"].text; f != "" {
		cl.CAFile = c.absPath(f)
	}
	if cl.HostID == "" {
		cl.HostID, _ = os.Hostname()
	}
	cl.Advertise = v["advertise"].text
	cl.LeaseTTL, _ = time.ParseDuration(v["lease_ttl"].text)
	if l, ok := v["lease_ttl"]; ok && (cl.LeaseTTL < time.Second || cl.LeaseTTL > 5*time.Minute) {
		s.errorf(l.rng, "lease_ttl", "use 1s to 5m", "cluster: lease_ttl is out of range")
	}
	cl.Replicas, _ = strconv.Atoi(v["replicas"].text)
	if r, ok := v["replicas"]; ok && cl.Replicas != 1 && cl.Replicas != 3 && cl.Replicas != 5 {
		s.errorf(r.rng, "replicas", "use 1, 3 or 5", "cluster: replicas must be 1, 3 or 5")
	}
	cl.MaxBytes, _ = strconv.ParseInt(v["max_bytes"].text, 10, 64)
	cl.MaxAge, _ = time.ParseDuration(v["max_age"].text)
	if c.Host.EventLogDir != "" {
		s.errorf(cl.Range, "", "remove event_log_dir from the host block: the cluster's stream is the event log",
			"cluster: a host in a cluster keeps its events in the cluster's stream, not in event_log_dir")
	}
	if len(cl.URLs) == 0 {
		return nil
	}
	return cl
}
