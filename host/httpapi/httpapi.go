// Package httpapi serves the host's Host and Admin APIs over HTTP/JSON, for
// CRMs, helpdesks and browsers that do not speak gRPC: the routes of
// proto/cti/v1/http.yaml (the generated grpc-gateway in host/gateway), the
// event stream as server-sent events resumable with Last-Event-ID, and the
// OpenAPI document of it all.
//
// Every request goes through the host's own gRPC server over an in-memory
// connection, so tokens, scopes, site limits, audit, per-device command
// limits and message size limits are the gRPC API's, not a second copy of
// them. What is HTTP's own is bounded here: connections, header and body
// size, and CORS, which is off unless origins are configured.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ctihost/ctihost/host/gateway"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Bounds of the HTTP side.
const (
	// MaxBody is the largest request body, as the gRPC API's largest
	// message.
	MaxBody = 1 << 20
	// keepAlive is how often an idle event stream gets a comment line, so
	// that proxies and browsers keep it open.
	keepAlive = 15 * time.Second
)

// HeaderNoRoute marks a 404 that no route matched (not a NOT_FOUND
// answer of a route), for clients and the route test.
const HeaderNoRoute = "CTIHost-No-Route"

// Options configure the handler.
type Options struct {
	// Conn reaches the host's gRPC server (REQUIRED).
	Conn *grpc.ClientConn
	// CORSOrigins are the browser origins allowed to call the API from
	// other sites ("https://crm.example.com"); none: no CORS headers, so
	// browsers allow only same-origin pages.
	CORSOrigins []string
	Logger      hclog.Logger
}

// New returns the HTTP/JSON API handler. ctx bounds the gateway's
// registrations (cancel it at shutdown).
func New(ctx context.Context, o Options) (http.Handler, error) {
	marshaler := &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{},
		UnmarshalOptions: protojson.UnmarshalOptions{}, // unknown fields are an error: a typo is not silently dropped
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithRoutingErrorHandler(noRoute),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
	)
	if err := gateway.RegisterHostHandler(ctx, mux, o.Conn); err != nil {
		return nil, err
	}
	if err := gateway.RegisterAdminHandler(ctx, mux, o.Conn); err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	top := http.NewServeMux()
	top.Handle("GET /v1/events", &events{host: ctiv1.NewHostClient(o.Conn), logger: logger})
	top.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(gateway.OpenAPI)
	})
	top.Handle("/v1/", http.MaxBytesHandler(mux, MaxBody))
	return cors(top, o.CORSOrigins), nil
}

// incomingHeader forwards no HTTP header as gRPC metadata: the gateway
// forwards Authorization by itself (and the client's address as
// x-forwarded-for, which the audit reads), and nothing else a caller sends
// may pose as metadata the host trusts.
func incomingHeader(string) (string, bool) { return "", false }

// noRoute answers requests no route matches.
func noRoute(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
	w.Header().Set(HeaderNoRoute, "1")
	msg := fmt.Sprintf("no route %s %s: see /v1/openapi.json", r.Method, r.URL.Path)
	if code == http.StatusMethodNotAllowed {
		msg = fmt.Sprintf("%s is not allowed on %s: see /v1/openapi.json", r.Method, r.URL.Path)
	}
	writeError(w, code, codes.NotFound, msg)
}

// writeError writes an error as the gateway does: {"code", "message"}.
func writeError(w http.ResponseWriter, httpCode int, code codes.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": int(code), "message": msg})
}

// cors allows the configured origins, and answers their preflights.
func cors(next http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", HeaderNoRoute)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// events serves WatchEvents as server-sent events: one "id: SEQUENCE",
// "event: KIND" and "data: JSON" record per event. A client that
// reconnects sends Last-Event-ID (browsers' EventSource does it by
// itself) and resumes after it; a Gap (events the host no longer holds)
// comes as "event: gap" without an id.
//
// Query parameters: site, device, kind (repeatable: call, device, queue,
// driver, devices) and from (a sequence, as WatchEventsRequest's
// from_sequence; Last-Event-ID wins).
type events struct {
	host   ctiv1.HostClient
	logger hclog.Logger
}

// eventKinds are the kind parameter's values.
var eventKinds = map[string]ctiv1.EventKind{
	"call": ctiv1.EventKind_EVENT_KIND_CALL, "device": ctiv1.EventKind_EVENT_KIND_DEVICE,
	"queue": ctiv1.EventKind_EVENT_KIND_QUEUE, "driver": ctiv1.EventKind_EVENT_KIND_DRIVER,
	"devices": ctiv1.EventKind_EVENT_KIND_DEVICES,
}

func (e *events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := &ctiv1.WatchEventsRequest{Sites: q["site"], Devices: q["device"]}
	for _, k := range q["kind"] {
		kind, ok := eventKinds[k]
		if !ok {
			writeError(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("kind %q: use call, device, queue, driver or devices", cut(k)))
			return
		}
		req.Kinds = append(req.Kinds, kind)
	}
	from := q.Get("from")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		n, err := strconv.ParseUint(last, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("Last-Event-ID %q is not an event sequence", cut(last)))
			return
		}
		from = strconv.FormatUint(n+1, 10)
	}
	if from != "" {
		n, err := strconv.ParseUint(from, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("from %q is not an event sequence", cut(from)))
			return
		}
		req.FromSequence = n
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, codes.Internal, "this connection cannot stream")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if auth := r.Header.Get("Authorization"); auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	stream, err := e.host.WatchEvents(ctx, req)
	if err == nil {
		_, err = stream.Header() // the host sends headers once it accepted the stream
	}
	if err != nil {
		st := status.Convert(err)
		writeError(w, runtime.HTTPStatusFromCode(st.Code()), st.Code(), st.Message())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": ctihost event stream\n\n")
	flusher.Flush()

	received := make(chan *ctiv1.Event)
	failed := make(chan error, 1)
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				failed <- err
				return
			}
			select {
			case received <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case ev := <-received:
			if err := writeEvent(w, ev); err != nil {
				return
			}
		case err := <-failed:
			// The stream ended (the host shuts down, the token was
			// revoked): say why, as an event the client can read.
			st := status.Convert(err)
			if ctx.Err() == nil {
				b, _ := json.Marshal(map[string]any{"code": int(st.Code()), "message": st.Message()})
				_, _ = fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
			}
			flusher.Flush()
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
		flusher.Flush()
	}
}

// writeEvent writes one event record.
func writeEvent(w http.ResponseWriter, ev *ctiv1.Event) error {
	data, err := protojson.Marshal(ev)
	if err != nil {
		return err
	}
	kind := "gap"
	if ev.GetGap() == nil {
		kind = kindName(ev)
		if _, err := fmt.Fprintf(w, "id: %d\n", ev.GetSequence()); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, data)
	return err
}

// kindName is an event's SSE event name: its payload's field name.
func kindName(ev *ctiv1.Event) string {
	if p := ev.ProtoReflect().WhichOneof(ev.ProtoReflect().Descriptor().Oneofs().ByName("payload")); p != nil {
		return p.JSONName()
	}
	return "event"
}

// cut shortens an echoed input.
func cut(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
