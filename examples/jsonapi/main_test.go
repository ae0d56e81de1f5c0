package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ittygo/itty/internal/exampletest"
)

// call sends a request and decodes the JSON answer into out.
func call(t *testing.T, method, url, ctype, body string, out any) int {
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
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, url, b)
	}
	return resp.StatusCode
}

func TestJSONAPI(t *testing.T) {
	proc := exampletest.Build(t, ".").Start(t)
	base := proc.URL + "/api/2019-11-18"

	var doc map[string]any
	if status := call(t, "GET", base+"/", "", "", &doc); status != 200 || doc["openapi"] != "3.0.0" {
		t.Fatalf("schema: %d %v", status, doc)
	}
	var list []string
	if status := call(t, "GET", base+"/quotes", "", "", &list); status != 200 || len(list) != 3 {
		t.Fatalf("list: %d %v", status, list)
	}
	var ok map[string]any
	if status := call(t, "POST", base+"/quotes", "application/json; charset=utf-8", `{"newQuote": "Uh, hi?"}`, &ok); status != 200 || ok["success"] != true {
		t.Fatalf("create: %d %v", status, ok)
	}
	if call(t, "GET", base+"/quotes", "", "", &list); len(list) != 4 || list[3] != "Uh, hi?" {
		t.Fatalf("after create: %v", list)
	}
	var r map[string]string
	if status := call(t, "GET", base+"/quotes/random", "", "", &r); status != 200 || r["quote"] == "" {
		t.Fatalf("random: %d %v", status, r)
	}
	for _, bad := range []struct{ ctype, body string }{
		{"application/json", `{"newQuote":`},
		{"application/json", `["a"]`},
		{"application/json", `{"other": 1}`},
		{"text/plain", `{"newQuote":"x"}`},
		{"application/json", ``},
		{"application/json", `{"newQuote":"a"} trailing`},
	} {
		var e map[string]any
		if status := call(t, "POST", base+"/quotes", bad.ctype, bad.body, &e); status != 400 || e["success"] != false || e["error"] == "" {
			t.Errorf("bad input %q: %d %v", bad.body, status, e)
		}
	}
	var e map[string]any
	if status := call(t, "DELETE", base+"/quotes", "", "", &e); status != 405 || e["error"] != "method not allowed" {
		t.Errorf("DELETE: %d %v", status, e)
	}
	if status := call(t, "GET", base+"/nope", "", "", &e); status != 404 || e["error"] != "not found" {
		t.Errorf("404: %d %v", status, e)
	}
}
