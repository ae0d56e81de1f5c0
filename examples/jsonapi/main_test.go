package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ittygo/itty/internal/exampletest"
)

func call(t *testing.T, method, url, ctype, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, url, ct, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, url, b)
	}
	return resp.StatusCode, v
}

func TestJSONAPI(t *testing.T) {
	proc := exampletest.Build(t, ".").Start(t)
	api := proc.URL + "/api/2019-11-18"

	if status, doc := call(t, "GET", api+"/", "", ""); status != 200 || doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi: %d %v", status, doc)
	}
	status, list := call(t, "GET", api+"/quotes", "", "")
	if status != 200 || len(list["quotes"].([]any)) != 2 {
		t.Fatalf("list: %d %v", status, list)
	}
	status, created := call(t, "POST", api+"/quotes", "application/json; charset=utf-8", `{"text":"Less is more.","author":"Mies"}`)
	if q, _ := created["quote"].(map[string]any); status != 201 || q["id"] != 3.0 || q["author"] != "Mies" {
		t.Fatalf("create: %d %v", status, created)
	}
	if _, list = call(t, "GET", api+"/quotes", "", ""); len(list["quotes"].([]any)) != 3 {
		t.Fatalf("after create: %v", list)
	}
	if status, r := call(t, "GET", api+"/quotes/random", "", ""); status != 200 || r["quote"] == nil {
		t.Fatalf("random: %d %v", status, r)
	}
	for _, bad := range []struct{ ctype, body string }{
		{"application/json", `{"text":`},
		{"application/json", `[1,2]`},
		{"application/json", `{"text":"x"}`},
		{"text/plain", `{"text":"x","author":"y"}`},
		{"application/json", ``},
	} {
		if status, r := call(t, "POST", api+"/quotes", bad.ctype, bad.body); status != 400 || r["error"] == "" {
			t.Errorf("bad input %q: %d %v", bad.body, status, r)
		}
	}
	if status, r := call(t, "DELETE", api+"/quotes", "", ""); status != 405 || r["error"] != "method not allowed" {
		t.Errorf("DELETE: %d %v", status, r)
	}
	if status, r := call(t, "GET", api+"/nope", "", ""); status != 404 || r["error"] != "not found" {
		t.Errorf("404: %d %v", status, r)
	}
}
