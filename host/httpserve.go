package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/ctihost/ctihost/host/api"
	"github.com/ctihost/ctihost/host/console"
	"github.com/ctihost/ctihost/host/httpapi"
)

// serveHTTP serves the HTTP/JSON API on http_listen. Its requests reach
// srv, the gRPC server, over an in-memory connection, so they pass the
// same guard (tokens, scopes, audit) and limits as gRPC calls. It returns
// the function that stops it.
func (h *host) serveHTTP(srv *grpc.Server, tlsCfg *tls.Config) (func(), error) {
	hc := h.cfg.Host
	if tlsCfg == nil && !isLoopback(hc.HTTPListen) && !hc.InsecurePlaintext {
		return nil, fmt.Errorf("http_listen = %q reaches beyond loopback without TLS: tokens and commands would cross the network in clear; set tls_cert_file and tls_key_file, or (on a network you trust completely) insecure_plaintext = true", hc.HTTPListen)
	}
	mem := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(mem) }()
	conn, err := grpc.NewClient("passthrough:///ctihost-http",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return mem.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		mem.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	apiHandler, err := httpapi.New(ctx, httpapi.Options{Conn: conn, CORSOrigins: hc.HTTPCORSOrigins, Logger: h.logger.Named("http")})
	if err != nil {
		cancel()
		conn.Close()
		mem.Close()
		return nil, err
	}
	// The console shares the listener; its sessions stand for tokens of
	// the clients in force (a reload's revocations included).
	cons := console.New(h.guard.Clients)
	handler := cons.Handler(apiHandler)
	lis, err := net.Listen("tcp", hc.HTTPListen)
	if err != nil {
		cancel()
		conn.Close()
		mem.Close()
		return nil, fmt.Errorf("http_listen on %s: %w", hc.HTTPListen, err)
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       hc.ConnectionIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsCfg,
		ErrorLog:          h.logger.Named("http").StandardLogger(nil),
	}
	bounded := api.Listener(lis, hc.MaxConnections)
	go func() {
		var err error
		if tlsCfg != nil {
			err = server.ServeTLS(bounded, "", "")
		} else {
			err = server.Serve(bounded)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.logger.Error("HTTP API stopped", "error", err)
		}
	}()
	h.logger.Info("HTTP/JSON API listening", "http_listen", lis.Addr().String(), "tls", tlsCfg != nil, "cors_origins", hc.HTTPCORSOrigins)
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	consoleURL := scheme + "://" + localTokenAddr(lis.Addr()) + "/console/"
	if h.localToken != "" {
		// A one-time code for this user's local token: opening the URL
		// signs the browser in, without the token itself in a log or a
		// browser history.
		consoleURL += "#code=" + cons.LoginCode(h.localToken)
	}
	h.logger.Info("web console, open in a browser", "url", consoleURL)
	return func() {
		shutdown, done := context.WithTimeout(context.Background(), shutdownGrace)
		defer done()
		if server.Shutdown(shutdown) != nil {
			server.Close()
		}
		cancel()
		conn.Close()
		mem.Close()
	}, nil
}
