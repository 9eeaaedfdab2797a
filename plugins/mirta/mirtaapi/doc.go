// Package mirtaapi is a client for the legacy HTTP API of MiRTA PBX,
// proxyapi.php ("Old ProxyAPI", https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples;
// the parameter list in shared/vendor-docs/mirta-pbx-api.txt), which a
// tenant (or admin) API key drives with GET requests of the form
//
//	https://PBX/pbx/proxyapi.php?reqtype=DIAL&tenant=T&source=103&dest=...&format=json&key=KEY
//
// It knows nothing about gRPC or ctihost: a driver maps its results and
// errors onto the SDK.
//
// The vendor documents requests but almost no answers: only DIAL's
// "Success|Originate successfully queued|<id>|". The shapes parsed here
// come from that, from a third party's structure-only probes of a real
// MiRTA PBX (github.com/ivgi1com/1com-doco-api, source-docs/DOCS_AUDIT.md),
// from the OpenAPI endpoint's published extension-state object, and, where
// nothing is public, from models consistent with those. Each parser names
// its source ("Published" or "Modelled"). Because of that uncertainty every
// parser accepts both format=json and format=plain, numbers as strings or
// numbers, and unknown fields.
//
// What the PBX does that shapes this package:
//
//   - Errors come back as HTTP 200 with a text ("Too bad... you mistaken
//     the security api key." for a wrong key, an unknown tenant and a
//     read-only key alike; "No id specified"), and an empty 200 for "no
//     data", so the body, not the status, is classified (see Kind).
//   - Content-Type follows the format parameter, not the body; HTML (a
//     login or proxy page) is recognised by sniffing and never parsed as
//     success.
//   - INFO extensions returns SIP secrets, web passwords, PINs and 2FA
//     parameters: they are dropped while the JSON is read, Extension has
//     no field for them, and answer buffers are zeroed after parsing.
//   - The key travels in the query (the only published form) unless
//     Config.KeyIn asks for the X-API-Key header. No error, log or URL this
//     package exposes contains it: transport errors lose their URL, and
//     every text passes through an sdk.Redactor for the key.
//
// A Client bounds requests in flight (Config.MaxConcurrent), reuses
// connections, limits answer sizes and never retries; pollers space their
// retries with Backoff.
package mirtaapi
