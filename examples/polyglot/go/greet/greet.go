// Package greet is the HTTP API of the hello service.
package greet

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Message is the JSON body of GET /hello.
type Message struct {
	Message string `json:"message"`
	Version string `json:"version"`
	// RequestID is a random UUID (github.com/google/uuid), also sent as the X-Request-Id header.
	RequestID string `json:"requestId"`
}

// Greeting returns the greeting for name ("world" when empty).
func Greeting(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "world"
	}
	return "hello " + name
}

// Handler serves GET /hello?name=... and GET /healthz.
func Handler(version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		id := uuid.NewString()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", id)
		_ = json.NewEncoder(w).Encode(Message{Message: Greeting(r.URL.Query().Get("name")), Version: version, RequestID: id})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
