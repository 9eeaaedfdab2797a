package main

import (
	"reflect"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/config"
	"github.com/ctihost/ctihost/host/metrics"
	"github.com/ctihost/ctihost/host/webhook"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// runningWebhook is a webhook block and the receiver delivering to it.
type runningWebhook struct {
	cfg config.Webhook
	r   *webhook.Receiver
}

// applyWebhooks makes the running receivers those of blocks: unchanged
// blocks keep theirs (and their queues), changed and new ones start with
// the events published from now on, removed ones stop. Called by serve
// and by the reload goroutine, never at once.
func (h *host) applyWebhooks(blocks []*config.Webhook, m *metrics.Metrics) {
	next := map[string]*runningWebhook{}
	for _, w := range blocks {
		if old := h.webhooks[w.Name]; old != nil && reflect.DeepEqual(old.cfg, *w) {
			next[w.Name] = old
			delete(h.webhooks, w.Name)
			continue
		}
		r := webhook.Start(h.bus, 0, webhookConfig(w), h.logger.Named("webhook"), m)
		next[w.Name] = &runningWebhook{cfg: *w, r: r}
		h.logger.Info("webhook delivering", "webhook", w.Name, "url", webhook.Redact(w.URL), "sites", w.Sites, "kinds", w.Kinds)
	}
	for _, old := range h.webhooks {
		old.r.Stop()
	}
	h.webhooks = next
}

// stopWebhooks stops every receiver.
func (h *host) stopWebhooks() {
	for _, w := range h.webhooks {
		w.r.Stop()
	}
	h.webhooks = nil
}

// webhookConfig is the receiver's configuration of a webhook block.
func webhookConfig(w *config.Webhook) webhook.Config {
	f := &bus.Filter{Kinds: map[ctiv1.EventKind]bool{}}
	for _, s := range w.Sites {
		if s == "*" {
			f.Sites = nil
			break
		}
		if f.Sites == nil {
			f.Sites = map[string]bool{}
		}
		f.Sites[s] = true
	}
	kinds := w.Kinds
	if len(kinds) == 0 {
		kinds = []string{"call", "device", "queue"}
	}
	for _, k := range kinds {
		f.Kinds[config.WebhookKinds[k]] = true
	}
	return webhook.Config{Name: w.Name, URL: w.URL, Secret: w.Secret, Filter: f, Timeout: w.Timeout, Queue: w.Queue, MaxAttempts: w.MaxAttempts}
}
