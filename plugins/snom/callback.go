package snom

import (
	"context"
	"net/http"
	"strings"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// HandleCallback takes one action URL call of a phone: the path names the
// device, the token (compared in constant time) and, for a phone
// configured by IP address, the source address prove it. Unknown paths
// answer 404, anything else refused 403; it never panics on its input.
func (d *Driver) HandleCallback(_ context.Context, req *ctiv1.CallbackRequest) (*ctiv1.CallbackResponse, error) {
	path := strings.TrimSuffix(req.GetPath(), "/")
	d.mu.RLock()
	p := d.byPath[path]
	d.mu.RUnlock()
	if p == nil || len(path) > 64 {
		return &ctiv1.CallbackResponse{HttpStatus: http.StatusNotFound}, nil
	}
	body := req.GetBody()
	if len(body) > snomapi.MaxCallbackBody {
		body = body[:snomapi.MaxCallbackBody]
	}
	cb, err := snomapi.ParseCallback(req.GetMethod(), req.GetQuery(), body)
	if err != nil || !cb.TokenMatches(p.token) || !p.callbackFrom(req.GetRemoteAddr()) {
		return &ctiv1.CallbackResponse{HttpStatus: http.StatusForbidden}, nil
	}
	p.onCallback(cb)
	return &ctiv1.CallbackResponse{}, nil
}
