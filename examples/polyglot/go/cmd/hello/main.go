// Command hello serves the greet API over HTTP (ADDR, default :8080).
package main

import (
	"log"
	"net/http"
	"os"

	"example.com/polyglot/hello/greet"
)

// version is stamped at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	log.Printf("hello %s listening on %s", version, addr)
	log.Fatal(http.ListenAndServe(addr, greet.Handler(version)))
}
