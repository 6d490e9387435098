package greet

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
)

func TestGreeting(t *testing.T) {
	for name, want := range map[string]string{"": "hello world", " gopher ": "hello gopher"} {
		if got := Greeting(name); got != want {
			t.Errorf("Greeting(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler("1.2.3"))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/hello?name=tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m Message
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Message != "hello tasks" || m.Version != "1.2.3" {
		t.Fatalf("got %+v", m)
	}
	if _, err := uuid.Parse(m.RequestID); err != nil || res.Header.Get("X-Request-Id") != m.RequestID {
		t.Fatalf("request id %q (header %q): %v", m.RequestID, res.Header.Get("X-Request-Id"), err)
	}
}
