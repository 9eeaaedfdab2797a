package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/ctihost/ctihost/host/api"
	"github.com/ctihost/ctihost/host/config"
	"github.com/ctihost/ctihost/host/metrics"
)

// maxCallbackConnections bounds the callback listener's connections: a
// site's phones call back now and then, each briefly.
const maxCallbackConnections = 512

// stampCallbacks gives every instance its callback base URL when the host
// has a callback listener: host.CallbackURL + the instance's path (see
// api.CallbackPath), and its callback secret: the HMAC of its key under
// the host's key, the same for every process and reload of the instance.
func stampCallbacks(host config.Host, key []byte, resolved []config.Instance) {
	if host.CallbackURL == "" {
		return
	}
	for i := range resolved {
		in := &resolved[i]
		in.Request.CallbackBaseUrl = host.CallbackURL + api.CallbackPath(in.Site, in.Driver)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(instanceKey(in.Site, in.Driver)))
		in.Request.CallbackSecret = hex.EncodeToString(mac.Sum(nil))
		in.Secrets = append(in.Secrets, in.Request.CallbackSecret)
	}
}

// newCallbackKey is the host's key for callback secrets, new at every
// start: devices are provisioned again when their driver starts.
func newCallbackKey() []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("no randomness for the callback key: " + err.Error())
	}
	return key
}

// serveCallbacks starts the callback listener when the host block sets
// callback_listen. Devices are not clients of the API: the listener
// authenticates nothing itself, bounds everything, and hands each request
// to the driver, which checks its own per-device secret.
func (h *host) serveCallbacks(m *metrics.Metrics) (stop func(), err error) {
	addr := h.cfg.Host.CallbackListen
	if addr == "" {
		return func() {}, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           api.NewCallbacks(h.router, h.cfg.Host.CommandTimeout, h.logger.Named("callbacks"), m),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go srv.Serve(api.Listener(lis, maxCallbackConnections))
	shown, _ := url.Parse(h.cfg.Host.CallbackURL)
	h.logger.Info("callback listener for devices", "listen", lis.Addr().String(), "devices_call", shown.Redacted())
	return func() { srv.Close() }, nil
}
