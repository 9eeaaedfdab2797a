// Package metrics exposes the host's Prometheus metrics: plugin instances
// (up, restarts, crash loop, swaps, rollbacks), commands by operation and status code with a
// latency histogram, and events in, out and dropped. No label ever carries a
// secret or a device credential: labels are site, driver, method and code.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Source is what the metrics read at scrape time, so that the supervisor
// and the bus need no metrics code of their own.
type Source interface {
	// Plugins reports every instance (Admin.ListPlugins).
	Plugins() []*ctiv1.PluginInstance
	// Subscribers is the number of open event streams.
	Subscribers() int64
	// EventsIn is the number of events published on the bus.
	EventsIn() uint64
}

// Metrics holds the host's collectors. A nil *Metrics records nothing, so
// callers need not check whether metrics are on.
type Metrics struct {
	registry  *prometheus.Registry
	commands  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	out       prometheus.Counter
	dropped   *prometheus.CounterVec
	callbacks *prometheus.CounterVec
	webhooks  *prometheus.CounterVec
	screened  *prometheus.CounterVec
	screenLat *prometheus.HistogramVec
}

// New registers the host's metrics, reading src at scrape time.
func New(src Source) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ctihost_commands_total", Help: "Commands from apps, by operation and gRPC status code.",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ctihost_command_duration_seconds", Help: "Command latency through the host, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method"}),
		out: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ctihost_events_out_total", Help: "Events delivered to app subscribers.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ctihost_events_dropped_total", Help: "Events not delivered: malformed driver events, or events a slow subscriber missed (announced with a gap).",
		}, []string{"reason"}),
	}
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ctihost_callbacks_total",
		Help: "Requests devices sent to the callback listener, by driver and result: delivered, refused (by the driver: a wrong token, an unknown device), unknown (no such instance), too_large, driver_down, error.",
	}, []string{"driver", "result"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ctihost_webhook_deliveries_total",
		Help: "Webhook deliveries by webhook and result: delivered, retried (an attempt failed), gave_up, refused (4xx), queue_full (dropped: the receiver is too slow), gap (dropped: the bus overwrote them first).",
	}, []string{"webhook", "result"})
	m.screened = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ctihost_screening_total",
		Help: "Call screening decisions by rule, action (allow, reject, redirect) and result (done, failed: the command failed, timed_out: the ask webhook did not answer in time).",
	}, []string{"rule", "action", "result"})
	m.screenLat = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ctihost_screening_latency_seconds", Help: "From a call's first ringing event to the device's answer to the screening command, by action.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"action"})
	m.registry.MustRegister(m.commands, m.latency, m.out, m.dropped, m.callbacks, m.webhooks, m.screened, m.screenLat, &sourceCollector{src: src},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Command records one command.
func (m *Metrics) Command(method string, code codes.Code, took time.Duration) {
	if m == nil {
		return
	}
	m.commands.WithLabelValues(method, code.String()).Inc()
	m.latency.WithLabelValues(method).Observe(took.Seconds())
}

// EventOut records one event delivered to a subscriber.
func (m *Metrics) EventOut() {
	if m != nil {
		m.out.Inc()
	}
}

// EventsDropped records n events not delivered for reason ("malformed",
// "gap").
func (m *Metrics) EventsDropped(reason string, n uint64) {
	if m != nil {
		m.dropped.WithLabelValues(reason).Add(float64(n))
	}
}

// Callback records one request to the callback listener.
func (m *Metrics) Callback(driver, result string) {
	if m != nil {
		m.callbacks.WithLabelValues(driver, result).Inc()
	}
}

// Webhook records n webhook deliveries with result (webhook.Recorder).
func (m *Metrics) Webhook(name, result string, n uint64) {
	if m != nil {
		m.webhooks.WithLabelValues(name, result).Add(float64(n))
	}
}

// Screening records one call screening decision (screen.Recorder).
func (m *Metrics) Screening(rule, action, result string, latency time.Duration) {
	if m != nil {
		m.screened.WithLabelValues(rule, action, result).Inc()
		m.screenLat.WithLabelValues(action).Observe(latency.Seconds())
	}
}

// sourceCollector turns Source into metrics at scrape time.
type sourceCollector struct{ src Source }

var (
	upDesc          = prometheus.NewDesc("ctihost_plugin_up", "1 while the plugin instance is running.", []string{"site", "driver"}, nil)
	restartsDesc    = prometheus.NewDesc("ctihost_plugin_restarts_total", "Restarts of the plugin instance since the host started.", []string{"site", "driver"}, nil)
	crashLoopDesc   = prometheus.NewDesc("ctihost_plugin_crash_loop", "1 while the instance is kept down after crashing too often.", []string{"site", "driver"}, nil)
	crashesDesc     = prometheus.NewDesc("ctihost_plugin_recent_crashes", "Crashes counted in the crash-loop window now.", []string{"site", "driver"}, nil)
	swapsDesc       = prometheus.NewDesc("ctihost_plugin_swaps_total", "Successful binary swaps of the instance.", []string{"site", "driver"}, nil)
	rollbacksDesc   = prometheus.NewDesc("ctihost_plugin_rollbacks_total", "Swaps of the instance that were refused or rolled back.", []string{"site", "driver"}, nil)
	subscribersDesc = prometheus.NewDesc("ctihost_event_subscribers", "Open event streams.", nil, nil)
	eventsInDesc    = prometheus.NewDesc("ctihost_events_in_total", "Events published by drivers and the host.", nil, nil)
)

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, restartsDesc, crashLoopDesc, crashesDesc, swapsDesc, rollbacksDesc, subscribersDesc, eventsInDesc} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.src.Plugins() {
		up := boolValue(p.GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING)
		loop := boolValue(p.GetState() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP)
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, p.GetSite(), p.GetDriver())
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(p.GetRestarts()), p.GetSite(), p.GetDriver())
		ch <- prometheus.MustNewConstMetric(crashLoopDesc, prometheus.GaugeValue, loop, p.GetSite(), p.GetDriver())
		ch <- prometheus.MustNewConstMetric(crashesDesc, prometheus.GaugeValue, float64(p.GetRecentCrashes()), p.GetSite(), p.GetDriver())
		ch <- prometheus.MustNewConstMetric(swapsDesc, prometheus.CounterValue, float64(p.GetSwaps()), p.GetSite(), p.GetDriver())
		ch <- prometheus.MustNewConstMetric(rollbacksDesc, prometheus.CounterValue, float64(p.GetRollbacks()), p.GetSite(), p.GetDriver())
	}
	ch <- prometheus.MustNewConstMetric(subscribersDesc, prometheus.GaugeValue, float64(c.src.Subscribers()))
	ch <- prometheus.MustNewConstMetric(eventsInDesc, prometheus.CounterValue, float64(c.src.EventsIn()))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
