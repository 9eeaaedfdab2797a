package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// serveCallbacks stands in for the host's callback listener: every
// request below its URL goes to the driver's HandleCallback, as the host
// would send it (bounded the same way). It returns the base URL.
func (k *kit) serveCallbacks(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		resp, err := k.client.HandleCallback(r.Context(), &ctiv1.CallbackRequest{
			Method: r.Method, Path: strings.TrimPrefix(r.URL.EscapedPath(), "/"), Query: r.URL.RawQuery,
			Body: body, ContentType: r.Header.Get("Content-Type"), RemoteAddr: r.RemoteAddr,
		})
		if err != nil {
			t.Errorf("HandleCallback of %s %s: %v", r.Method, r.URL.Path, err)
			http.Error(w, "the driver failed", http.StatusBadGateway)
			return
		}
		code := int(resp.GetHttpStatus())
		if code == 0 {
			code = http.StatusNoContent
		}
		if ct := resp.GetContentType(); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(code)
		_, _ = w.Write(resp.GetBody())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}
