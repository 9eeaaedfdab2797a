package mirtasim

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Texts the PBX answers, with HTTP 200 (facts §0).
const (
	// TooBad is the one answer to a bad key, a missing or unknown tenant,
	// and (modelled) a read-only key used for a write. OBSERVED [AUDIT
	// A-48], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md
	TooBad = "Too bad... you mistaken the security api key."
)

// Request is one request the API received, for tests. The key (parameter
// or X-API-Key header) is never kept: Params["key"] reads "REDACTED".
type Request struct {
	Time    time.Time         `json:"time"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Reqtype string            `json:"reqtype"` // upper case as dispatched
	Params  map[string]string `json:"params"`  // first value of each parameter
	// KeyHeader reports the key came in the X-API-Key header.
	KeyHeader bool `json:"key_header,omitempty"`
}

// params are a request's parameters: POST form values before query ones,
// as PHP's $_REQUEST with the default request_order "GP".
type params struct{ v url.Values }

func (q params) get(name string) string { return strings.TrimSpace(q.v.Get(name)) }

// first returns the first non-empty of the named parameters.
func (q params) first(names ...string) string {
	for _, n := range names {
		if s := q.get(n); s != "" {
			return s
		}
	}
	return ""
}

// answer is a reply body; json reports whether the body is JSON (for the
// callback wrapper).
type answer struct {
	body string
	json bool
}

func plain(s string) answer { return answer{body: s} }

// errLine is a failed write: "Error|<message>|" (facts §0, MODELLED after
// the published Success line).
func errLine(msg string) answer { return answer{body: "Error|" + msg + "|"} }

// okLine is a write that took effect: "Success|<message>|[data|]"
// (PUBLISHED shape of the DIAL answer, [WIKI]).
func okLine(msg string, data ...string) answer {
	s := "Success|" + msg + "|"
	for _, d := range data {
		s += d + "|"
	}
	return answer{body: s}
}

// missing is the answer to a missing parameter: "No <param> specified"
// (facts §0, OBSERVED pattern ).
func missing(param string) answer { return answer{body: "No " + param + " specified"} }

var callbackRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$`)

// apiPath reports whether path serves the API: Options.Path and the two
// published ones (production /pbx/, the demo server's /mirtapbx/; facts §0).
func (p *PBX) apiPath(path string) bool {
	return path == p.opts.Path || path == "/pbx/proxyapi.php" || path == "/mirtapbx/proxyapi.php"
}

// ServeHTTP serves the API (GET or POST, form parameters, see the package
// doc) and the test controls under /sim/ (see serveSim). Every answer of
// the API is HTTP 200 unless a fault says otherwise, a body is over
// MaxBody (413), or the method is not GET or POST (405).
func (p *PBX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sim/") {
		p.serveSim(w, r)
		return
	}
	if !p.apiPath(r.URL.Path) {
		htmlPage(w, http.StatusNotFound, "404 Not Found", "The requested URL was not found on this server.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		htmlPage(w, http.StatusMethodNotAllowed, "405 Method Not Allowed", "Use GET or POST.")
		return
	}
	if r.ContentLength > MaxBody {
		htmlPage(w, http.StatusRequestEntityTooLarge, "413 Request Entity Too Large", "The request body is too large.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(MaxBody)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			htmlPage(w, http.StatusRequestEntityTooLarge, "413 Request Entity Too Large", "The request body is too large.")
			return
		}
		htmlPage(w, http.StatusBadRequest, "400 Bad Request", "The request could not be parsed.")
		return
	}
	q := params{v: r.Form}
	key, keyHeader := q.get("key"), false
	if key == "" {
		if h := strings.TrimSpace(r.Header.Get("X-API-Key")); h != "" {
			key, keyHeader = h, true
		}
	}
	reqtype := strings.ToUpper(q.get("reqtype"))
	fault := p.logRequest(r, q, reqtype, keyHeader)

	if fault&FaultSlow != 0 {
		t := time.NewTimer(p.opts.SlowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	isJSON := strings.EqualFold(q.get("format"), "json")
	switch {
	case fault&FaultHTTP500 != 0:
		htmlPage(w, http.StatusInternalServerError, "500 Internal Server Error", "The server encountered an internal error.")
		return
	case fault&FaultOverload != 0:
		w.Header().Set("Retry-After", "1")
		htmlPage(w, http.StatusServiceUnavailable, "503 Service Unavailable", "The server is temporarily busy, try again later.")
		return
	case fault&FaultGarbage != 0:
		htmlPage(w, http.StatusOK, "MiRTA PBX", "Please log in.")
		return
	}
	var a answer
	if fault&FaultWrongKey != 0 {
		a = plain(TooBad)
	} else {
		a = p.dispatch(reqtype, key, q)
	}
	body := a.body
	if isJSON && a.json {
		if cb := q.get("callback"); cb != "" && callbackRE.MatchString(cb) {
			body = cb + "(" + body + ")" // modelled JSONP wrapper
		}
	}
	if fault&FaultTruncated != 0 && body != "" {
		body = body[:len(body)/2]
	}
	// OBSERVED [AUDIT ]: the Content-Type follows format=, not
	// the body (error texts come as application/json too).
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
	p.opts.Logger.Debug("mirtasim request", "reqtype", reqtype, "tenant", q.get("tenant"), "bytes", len(body))
}

// logRequest records the request (key redacted) and returns the faults
// that apply to it.
func (p *PBX) logRequest(r *http.Request, q params, reqtype string, keyHeader bool) Fault {
	ps := map[string]string{}
	names := make([]string, 0, len(q.v))
	for k := range q.v {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i >= 64 {
			break
		}
		v := q.v.Get(k)
		if len(v) > 256 {
			v = v[:256] + "..."
		}
		if k == "key" || strings.EqualFold(k, "key") {
			v = "REDACTED"
		}
		if len(k) > 64 {
			k = k[:64]
		}
		ps[k] = v
	}
	if len(reqtype) > 64 {
		reqtype = reqtype[:64]
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) >= maxRequests {
		p.requests = append(p.requests[:0], p.requests[len(p.requests)-maxRequests/2:]...)
	}
	p.requests = append(p.requests, Request{Time: p.opts.Now(), Method: r.Method, Path: r.URL.Path,
		Reqtype: reqtype, Params: ps, KeyHeader: keyHeader})
	return p.fault | p.faultReq[reqtype]
}

// Requests returns the API requests received, oldest first (the log keeps
// the last few thousand).
func (p *PBX) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// htmlPage answers an HTML page like Apache's error pages.
func htmlPage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>"+title+
		"</title>\n</head><body>\n<h1>"+title+"</h1>\n<p>"+text+"</p>\n</body></html>\n")
}

var _ http.Handler = (*PBX)(nil)
