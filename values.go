package itty

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Values are query-string (Request.GET) or form (Request.POST) values,
// parsed on first use. As in itty3, Get returns the first value of a key and
// GetList all of them; keys given without a value ("?debug" or "?q=") are
// kept with the value "".
//
// Malformed pairs (a bad %-escape, a ';' separator) are skipped, the rest
// are kept, and Err reports the first problem, so a handler can tell a
// missing value from one it could not read.
type Values struct {
	req    *Request
	form   bool
	loaded bool
	m      url.Values
	err    error
}

func (v *Values) load() {
	if v.loaded || v.req == nil {
		return
	}
	v.loaded = true
	if v.form {
		v.m, v.err = v.req.parseForm()
		return
	}
	if raw := v.req.Raw.URL.RawQuery; raw != "" {
		v.m, v.err = url.ParseQuery(raw)
	}
}

// Get returns the first value for key, or "" if there is none.
func (v *Values) Get(key string) string {
	v.load()
	if vs := v.m[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Default returns the first value for key, or fallback if there is none:
// itty3's get(key, default). A key present with an empty value gives "".
func (v *Values) Default(key, fallback string) string {
	if val, ok := v.Lookup(key); ok {
		return val
	}
	return fallback
}

// Lookup returns the first value for key and whether the key was present.
func (v *Values) Lookup(key string) (string, bool) {
	v.load()
	if vs := v.m[key]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// Has reports whether key was present, with or without a value.
func (v *Values) Has(key string) bool {
	_, ok := v.Lookup(key)
	return ok
}

// GetList returns every value for key, in the order they were sent.
// The caller must not modify the slice.
func (v *Values) GetList(key string) []string {
	v.load()
	return v.m[key]
}

// All returns every key and its values. The caller must not modify it.
func (v *Values) All() url.Values {
	v.load()
	return v.m
}

// Err returns the first error met while parsing: a malformed pair, or for
// POST a body that could not be read or was over the limit.
func (v *Values) Err() error {
	v.load()
	return v.err
}

// parseForm reads a url-encoded or multipart body; other bodies have no form.
// A body whose Content-Type cannot be read is an error, not an empty form.
func (req *Request) parseForm() (url.Values, error) {
	ct := req.ContentType()
	if ct == "" && req.Body != http.NoBody && req.Headers.Get("Content-Type") != "" {
		return nil, fmt.Errorf("itty: form not read: malformed Content-Type %q", req.Headers.Get("Content-Type"))
	}
	switch ct {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		return url.ParseQuery(string(b))
	case "multipart/form-data":
		err := req.Raw.ParseMultipartForm(DefaultMaxMemory)
		if mf := req.Raw.MultipartForm; mf != nil {
			// The body was read whole. An error now is the query string's
			// (net/http parses it first): GET.Err reports it, and the form
			// is good.
			return mf.Value, nil
		}
		return nil, err
	}
	return nil, nil
}
