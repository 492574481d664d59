package server

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of every endpoint.
//
//go:embed assets/openapi.json
var openAPI []byte

// docsPage renders openAPI in the browser with its own inline script: it
// loads nothing from elsewhere, so it works offline.
//
//go:embed assets/docs.html
var docsPage []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPI)
}

func serveDocs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
	_, _ = w.Write(docsPage)
}
