package gateway

import _ "embed"

// OpenAPI is the OpenAPI (v2) document of the HTTP/JSON routes,
// generated with them from proto/cti/v1/http.yaml by `make proto`.
//
//go:embed ctihost.swagger.json
var OpenAPI []byte
