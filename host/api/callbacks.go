package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/metrics"
	"github.com/ctihost/ctihost/host/supervisor"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Bounds of one callback: a phone's action URL carries a few variables,
// a webhook a small JSON document.
const (
	maxCallbackQuery = 8 << 10
	maxCallbackBody  = 64 << 10
	maxCallbackPath  = 1 << 10
)

// CallbackPath is the path, below the host's callback URL, that reaches
// the instance serving driver at site: "cb/DRIVER/s/SITE/", or
// "cb/DRIVER/all/" for one process serving every site of the driver
// (site ""). The instance keeps it across restarts and swaps, so a device
// provisioned once keeps reaching whichever process serves it.
func CallbackPath(site, driver string) string {
	if site == "" {
		return "cb/" + driver + "/all/"
	}
	return "cb/" + driver + "/s/" + url.PathEscape(site) + "/"
}

// Callbacks is the host's callback listener: it hands each request to the
// instance its path names (see CallbackPath), bounded. It authenticates
// nothing: the driver checks its own per-device secret and the sender's
// address, and answers 403 or 404 to what it refuses.
type Callbacks struct {
	router  *Router
	timeout time.Duration
	logger  hclog.Logger
	metrics *metrics.Metrics
}

// NewCallbacks returns the listener's handler; timeout bounds each
// driver's answer.
func NewCallbacks(r *Router, timeout time.Duration, logger hclog.Logger, m *metrics.Metrics) *Callbacks {
	return &Callbacks{router: r, timeout: timeout, logger: logger, metrics: m}
}

func (c *Callbacks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	driver, result := "", "unknown"
	defer func() { c.metrics.Callback(driver, result) }()
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodHead:
	default:
		result = "refused"
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.EscapedPath()
	if len(path) > maxCallbackPath || len(r.URL.RawQuery) > maxCallbackQuery {
		result = "too_large"
		http.Error(w, "request URI too long", http.StatusRequestURITooLong)
		return
	}
	inst, rest := c.instance(path)
	if inst == nil {
		http.NotFound(w, r)
		return
	}
	driver = inst.Driver()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		result = "too_large"
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
	defer cancel()
	conn, err := inst.Client(ctx)
	if err != nil {
		result = "driver_down"
		http.Error(w, "the driver is not running; try again later", http.StatusServiceUnavailable)
		return
	}
	defer conn.Release()
	resp, err := conn.Driver.HandleCallback(ctx, &ctiv1.CallbackRequest{
		Method: r.Method, Path: rest, Query: r.URL.RawQuery, Body: body,
		ContentType: r.Header.Get("Content-Type"), RemoteAddr: r.RemoteAddr,
	})
	if err != nil {
		switch code := status.Code(err); {
		case code == codes.Unimplemented:
			result = "refused"
			http.NotFound(w, r) // the driver takes no callbacks
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || code == codes.DeadlineExceeded:
			result = "error"
			http.Error(w, "the driver did not answer in time", http.StatusGatewayTimeout)
		default:
			result = "error"
			c.logger.Warn("driver failed a callback", "driver", driver, "error", inst.Redact(status.Convert(err).Message()))
			http.Error(w, "the driver failed", http.StatusBadGateway)
		}
		return
	}
	code := int(resp.GetHttpStatus())
	switch {
	case code == 0:
		code = http.StatusNoContent
	case code < 200 || code > 599:
		result = "error"
		http.Error(w, "the driver answered nonsense", http.StatusBadGateway)
		return
	}
	result = "delivered"
	if code >= 400 {
		result = "refused"
	}
	if ct := resp.GetContentType(); ct != "" && len(resp.GetBody()) > 0 {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(code)
	b := resp.GetBody()
	if len(b) > maxCallbackBody {
		b = b[:maxCallbackBody]
	}
	if code != http.StatusNoContent && r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// instance finds the instance a callback path names, and the path below
// its prefix.
func (c *Callbacks) instance(path string) (*supervisor.Instance, string) {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 5)
	if len(parts) < 3 || parts[0] != "cb" {
		return nil, ""
	}
	driver, shared, site, rest := parts[1], parts[2] == "all", "", ""
	switch {
	case shared:
		rest = strings.Join(parts[3:], "/")
	case parts[2] == "s" && len(parts) >= 4:
		var err error
		if site, err = url.PathUnescape(parts[3]); err != nil {
			return nil, ""
		}
		if len(parts) == 5 {
			rest = parts[4]
		}
	default:
		return nil, ""
	}
	for _, inst := range c.router.Instances() {
		if inst.Driver() == driver && inst.Shared() == shared && (shared || inst.Site() == site) {
			return inst, rest
		}
	}
	return nil, ""
}
