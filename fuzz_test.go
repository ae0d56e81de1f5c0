package itty

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzCookieHeader: parsing any Cookie header never panics and never yields
// a cookie with an invalid name.
func FuzzCookieHeader(f *testing.F) {
	for _, s := range []string{"a=1; b=2", `a="x"; ;;=; b`, "a=caf%C3%A9; a=%zz", "\x00=\xff; \t a \t= b ", strings.Repeat("k=v;", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		var c Cookies
		c.reset(http.Header{"Cookie": {header}})
		for _, p := range c.pairs[:c.Len()] {
			if !validCookieName(p.name) {
				t.Fatalf("invalid name %q from %q", p.name, header)
			}
			if c.Get(p.name) == "" && !c.Has(p.name) {
				t.Fatalf("parsed %q but cannot look it up", p.name)
			}
		}
	})
}

// FuzzCookieValue: every string survives EncodeCookieValue and
// DecodeCookieValue, and the encoding holds only cookie-octets.
func FuzzCookieValue(f *testing.F) {
	for _, s := range []string{"", "plain", "a b;c,d\"e\\f", "café 🍪", "100%", "%41", "\x00\x7f\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		enc := EncodeCookieValue(v)
		for i := 0; i < len(enc); i++ {
			if !cookieOctets[enc[i]] && enc[i] != '%' {
				t.Fatalf("%q encoded to %q with byte %q", v, enc, enc[i])
			}
		}
		if got := DecodeCookieValue(enc); got != v {
			t.Fatalf("%q -> %q -> %q", v, enc, got)
		}
	})
}

// FuzzSetCookie: building a Set-Cookie header either fails with an error
// or produces a header net/http reads back to the same name, value and
// flags, within the size limit.
func FuzzSetCookie(f *testing.F) {
	f.Add("sid", "abc", "/", "example.com", int64(3600), true, true, uint8(1), false)
	f.Add("__Host-x", "v a;l", "/", "", int64(0), true, false, uint8(3), true)
	f.Add("bad name", "", "rel", "ex:80", int64(-5), false, false, uint8(0), false)
	f.Fuzz(func(t *testing.T, name, value, path, domain string, maxAge int64, secure, httpOnly bool, sameSite uint8, partitioned bool) {
		o := CookieOptions{Path: path, Domain: domain, MaxAge: time.Duration(maxAge) * time.Second,
			Secure: secure, HttpOnly: httpOnly, SameSite: SameSite(sameSite % 4), Partitioned: partitioned}
		enc := EncodeCookieValue(value)
		line, err := buildSetCookie(name, enc, &o, cookieNow)
		if err != nil {
			return
		}
		if len(name)+len(enc) > MaxCookieSize {
			t.Fatalf("oversized cookie accepted: %d bytes", len(name)+len(enc))
		}
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("net/http cannot read %q: %v", line, err)
		}
		wantPath := path
		if wantPath == "" {
			wantPath = "/"
		}
		if c.Name != name || DecodeCookieValue(c.Value) != value || c.Path != wantPath ||
			c.Secure != secure || c.HttpOnly != httpOnly || c.Partitioned != partitioned ||
			!strings.EqualFold(strings.TrimPrefix(c.Domain, "."), strings.TrimPrefix(domain, ".")) {
			t.Fatalf("%q read back as %+v", line, c)
		}
	})
}

// FuzzSignedCookie: no string an attacker sends decodes, and any one-byte
// change, truncation or renaming of a valid value fails.
func FuzzSignedCookie(f *testing.F) {
	app := signedApp(f, keyB)
	// Each fuzzing process signs its own valid value (encryption makes it
	// differ from run to run); the fuzzer's strings never hold a signature.
	valid := sign(f, app, "sid", "user-1")
	foreign := sign(f, signedApp(f, keyC), "sid", "user-1")
	f.Add(foreign, 0, byte('A'))
	f.Add("garbage", 3, byte(0))
	f.Add(foreign[:20]+"|"+foreign[20:], 100, byte('='))
	f.Fuzz(func(t *testing.T, s string, pos int, b byte) {
		var v string
		if verify(app, "sid="+s, "sid", &v) {
			t.Fatalf("forged value %q accepted", s)
		}
		if pos < 0 {
			pos = -pos
		}
		i := pos % len(valid)
		if valid[i] != b {
			mutated := valid[:i] + string([]byte{b}) + valid[i+1:]
			if verify(app, "sid="+EncodeCookieValue(mutated), "sid", &v) {
				t.Fatalf("byte %d changed to %q accepted", i, b)
			}
		}
		if verify(app, "sid="+valid[:i], "sid", &v) {
			t.Fatalf("truncation to %d accepted", i)
		}
		if verify(app, "sid2="+valid, "sid2", &v) {
			t.Fatal("renamed cookie accepted")
		}
	})
}

// FuzzRouter: registering any pattern either works or panics with an itty
// message, and matching any path never panics; every matched value
// satisfies its converter.
func FuzzRouter(f *testing.F) {
	f.Add("/a/<int:id>/<str:name>", "/a/12/bob")
	f.Add("/files/<path:rest>", "/files/a/b/../c")
	f.Add("/<uuid:u>/<float:f>/<slug:s>", "/123e4567-e89b-12d3-a456-426614174000/1.5/a-b")
	f.Add("/<bad", "//")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		rt := &router{}
		ok := func() (ok bool) {
			defer func() {
				if v := recover(); v != nil {
					if msg, _ := v.(string); !strings.HasPrefix(msg, "itty: ") {
						t.Fatalf("pattern %q: unexpected panic %v", pattern, v)
					}
				}
			}()
			rt.add(&route{method: "GET", pattern: pattern})
			return true
		}()
		if !ok || path == "" || path[0] != '/' {
			return
		}
		var ps Params
		ps.reset()
		r := rt.find("GET", path, &ps)
		if r == nil {
			return
		}
		segs := parsePattern(r.pattern)
		vi := 0
		for _, s := range segs {
			if !s.param {
				continue
			}
			if !s.typ.matches(ps.values[vi]) {
				t.Fatalf("%q matched %q but %q is not a valid %d", path, pattern, ps.values[vi], s.typ)
			}
			vi++
		}
		if vi != len(ps.values) {
			t.Fatalf("%d values for %d params", len(ps.values), vi)
		}
	})
}

// FuzzQuery: query strings of any shape never panic and never lose a
// well-formed pair.
func FuzzQuery(f *testing.F) {
	f.Add("a=1&b=&c")
	f.Add("%zz=1&ok=yes;x=2")
	f.Fuzz(func(t *testing.T, raw string) {
		app := New()
		app.Get("/", func(req *Request) *Response {
			req.GET.Get("a")
			req.GET.All()
			req.GET.Err()
			return NewResponse("", 200)
		})
		r, err := http.NewRequest("GET", "http://x/?ok=yes", nil)
		if err != nil {
			t.Skip()
		}
		r.URL.RawQuery = raw + "&ok=yes"
		req := app.acquire(r)
		defer app.release(req)
		if !strings.Contains(raw, ";") && req.GET.Get("ok") != "yes" && !req.GET.Has("ok") {
			t.Fatalf("%q lost the pair ok=yes: %v", raw, req.GET.All())
		}
	})
}

// FuzzForm: url-encoded bodies of any shape never panic, and a well-formed
// pair after them is kept.
func FuzzForm(f *testing.F) {
	f.Add("a=1&b=&c")
	f.Add("%zz=1&x=%")
	f.Fuzz(func(t *testing.T, body string) {
		app := New()
		var got []string
		app.Post("/", func(req *Request) *Response {
			got = req.POST.GetList("ok")
			req.POST.All()
			req.POST.Err()
			return NewResponse("", 200)
		})
		r, err := http.NewRequest("POST", "http://x/", strings.NewReader(body+"&ok=yes"))
		if err != nil {
			t.Skip()
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		app.ServeHTTP(&nopWriter{h: http.Header{}}, r)
		if !strings.Contains(body, ";") && !slices.Contains(got, "yes") {
			t.Fatalf("%q lost the pair ok=yes", body)
		}
	})
}
