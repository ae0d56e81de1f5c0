package itty

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
)

var cookieNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestBuildSetCookie(t *testing.T) {
	tests := []struct {
		name, value string
		opts        CookieOptions
		want        string
	}{
		{"a", "b", CookieOptions{}, "a=b; Path=/"},
		{"username", "bob", CookieOptions{MaxAge: 14 * 24 * time.Hour, HttpOnly: true, SameSite: SameSiteLax},
			"username=bob; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax"},
		{"a", "b", CookieOptions{Path: "/app", Domain: "example.com", Secure: true, SameSite: SameSiteStrict},
			"a=b; Path=/app; Domain=example.com; Secure; SameSite=Strict"},
		{"a", "b", CookieOptions{Expires: cookieNow.Add(time.Hour)}, "a=b; Path=/; Expires=Tue, 24 Nov 2026 13:00:00 GMT"},
		{"a", "b", CookieOptions{MaxAge: 1500 * time.Millisecond}, "a=b; Path=/; Max-Age=2"},
		{"a", "b", CookieOptions{MaxAge: -1}, "a=b; Path=/; Max-Age=0"},
		{"a", "b", CookieOptions{Secure: true, SameSite: SameSiteNone, Partitioned: true},
			"a=b; Path=/; Secure; SameSite=None; Partitioned"},
		{"__Secure-id", "1", CookieOptions{Secure: true}, "__Secure-id=1; Path=/; Secure"},
		{"__Host-id", "1", CookieOptions{Secure: true, Path: "/"}, "__Host-id=1; Path=/; Secure"},
		{"a", "b", CookieOptions{Domain: ".example.com"}, "a=b; Path=/; Domain=.example.com"},
		{"a", "b", CookieOptions{MaxAge: MaxCookieAge}, "a=b; Path=/; Max-Age=34560000"},
	}
	for _, tt := range tests {
		got, err := buildSetCookie(tt.name, tt.value, &tt.opts, cookieNow)
		if err != nil || got != tt.want {
			t.Errorf("%s=%s %+v:\n got %q, %v\nwant %q", tt.name, tt.value, tt.opts, got, err, tt.want)
			continue
		}
		// What itty writes, net/http reads back to the same fields.
		c, err := http.ParseSetCookie(got)
		if err != nil || c.Name != tt.name || c.Value != tt.value || c.Secure != tt.opts.Secure ||
			c.HttpOnly != tt.opts.HttpOnly || c.Partitioned != tt.opts.Partitioned {
			t.Errorf("ParseSetCookie(%q) = %+v, %v", got, c, err)
		}
	}
}

func TestCookieValidationErrors(t *testing.T) {
	tests := []struct {
		name, value string
		opts        CookieOptions
		want        error
	}{
		{"", "v", CookieOptions{}, ErrCookieName},
		{"a b", "v", CookieOptions{}, ErrCookieName},
		{"a;b", "v", CookieOptions{}, ErrCookieName},
		{"a=b", "v", CookieOptions{}, ErrCookieName},
		{"café", "v", CookieOptions{}, ErrCookieName},
		{"a", "v", CookieOptions{Domain: "example.com:8080"}, ErrCookieDomain},
		{"a", "v", CookieOptions{Domain: "http://example.com"}, ErrCookieDomain},
		{"a", "v", CookieOptions{Domain: "example.com/x"}, ErrCookieDomain},
		{"a", "v", CookieOptions{Domain: "-bad.com"}, ErrCookieDomain},
		{"a", "v", CookieOptions{Domain: "a..b"}, ErrCookieDomain},
		{"a", "v", CookieOptions{Path: "relative"}, ErrCookiePath},
		{"a", "v", CookieOptions{Path: "/a;b"}, ErrCookiePath},
		{"a", "v", CookieOptions{Path: "/a\nb"}, ErrCookiePath},
		{"a", "v", CookieOptions{SameSite: SameSiteNone}, ErrSameSiteNoneSecure},
		{"a", "v", CookieOptions{Partitioned: true}, ErrPartitionedSecure},
		{"__Secure-a", "v", CookieOptions{}, ErrSecurePrefix},
		{"__secure-a", "v", CookieOptions{}, ErrSecurePrefix},
		{"__Host-a", "v", CookieOptions{}, ErrHostPrefix},
		{"__Host-a", "v", CookieOptions{Secure: true, Domain: "example.com"}, ErrHostPrefix},
		{"__Host-a", "v", CookieOptions{Secure: true, Path: "/app"}, ErrHostPrefix},
		{"a", strings.Repeat("v", MaxCookieSize), CookieOptions{}, ErrCookieTooLarge},
		{strings.Repeat("n", 2000), strings.Repeat("v", 2097), CookieOptions{}, ErrCookieTooLarge},
		{"a", "v", CookieOptions{MaxAge: MaxCookieAge + time.Second}, ErrCookieExpiry},
		{"a", "v", CookieOptions{Expires: cookieNow.Add(MaxCookieAge + time.Hour)}, ErrCookieExpiry},
		{"a", "v", CookieOptions{Expires: time.Date(1600, 12, 31, 23, 59, 59, 0, time.UTC)}, ErrCookieExpiresYear},
		{"a", "v", CookieOptions{Expires: time.Date(1601, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600))}, ErrCookieExpiresYear},
		{"a", "v", CookieOptions{SameSite: SameSiteNone + 1, Secure: true}, ErrSameSite},
		{"a", "v", CookieOptions{SameSite: 255}, ErrSameSite},
	}
	for _, tt := range tests {
		_, err := buildSetCookie(tt.name, tt.value, &tt.opts, cookieNow)
		var ce *CookieError
		if !errors.Is(err, tt.want) || !errors.As(err, &ce) || ce.Name != tt.name {
			t.Errorf("%q %+v: got %v, want %v", trunc(tt.name), tt.opts, err, tt.want)
		}
	}
	// At the limit is fine.
	if _, err := buildSetCookie("n", strings.Repeat("v", MaxCookieSize-1), &CookieOptions{}, cookieNow); err != nil {
		t.Errorf("4096 bytes refused: %v", err)
	}
	// The first year browsers read, and the Unix epoch DeleteCookie sends.
	for _, t0 := range []time.Time{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0)} {
		if _, err := buildSetCookie("a", "v", &CookieOptions{Expires: t0}, cookieNow); err != nil {
			t.Errorf("Expires %v refused: %v", t0, err)
		}
	}
}

func TestCookieValueEncoding(t *testing.T) {
	for _, v := range []string{
		"", "plain", "abc123-._~!#$&'()*+/:<=>?@[]^`{|}", "with space", "semi;colon", "comma,here", `quote"d`,
		`back\slash`, "ctl\x00\x01\x1f\x7f", "café", "emoji 🍪", "100%", "%41", "\xff\xfe invalid utf8", "=",
	} {
		enc := EncodeCookieValue(v)
		for i := 0; i < len(enc); i++ {
			if !cookieOctets[enc[i]] && enc[i] != '%' {
				t.Errorf("EncodeCookieValue(%q) = %q has unsafe byte %q", v, enc, enc[i])
			}
		}
		if dec := DecodeCookieValue(enc); dec != v {
			t.Errorf("round trip %q -> %q -> %q", v, enc, dec)
		}
	}
	// Safe values go out byte for byte.
	for _, v := range []string{"abc", "eyJhbGciOi.J9-_x", "a=b", "{json:1}"} {
		if got := EncodeCookieValue(v); got != v {
			t.Errorf("EncodeCookieValue(%q) = %q, want unchanged", v, got)
		}
	}
	// What other clients send decodes sensibly.
	for in, want := range map[string]string{`"quoted"`: "quoted", "100%": "100%", "a%zzb": "a%zzb", "caf%C3%A9": "café", `"`: `"`} {
		if got := DecodeCookieValue(in); got != want {
			t.Errorf("DecodeCookieValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func cookieApp() *App {
	app := New()
	app.Get("/set", func(req *Request) *Response {
		resp := app.Render(req, "set")
		if err := resp.SetCookie(req.GET.Get("name"), req.GET.Get("value"), CookieOptions{HttpOnly: true}); err != nil {
			return NewResponse(err.Error(), 400)
		}
		return resp
	})
	app.Get("/get", func(req *Request) *Response {
		v, ok := req.COOKIES.Lookup(req.GET.Get("name"))
		if !ok {
			return NewResponse("absent", 404)
		}
		return NewResponse(v, 200)
	})
	app.Get("/del", func(req *Request) *Response {
		resp := app.Redirect(req, "/")
		resp.DeleteCookie(req.GET.Get("name"))
		return resp
	})
	return app
}

var roundTripValues = []string{
	"plain", "with space", "a;b=c", "x,y", `"quoted"`, `back\slash`, "tab\there", "nl\r\nX-Evil: 1",
	"café", "🍪 emoji", "100%", "%41", "",
}

func TestCookieRoundTripThroughClient(t *testing.T) {
	c := ittytest.NewClient(t, cookieApp())
	for _, v := range roundTripValues {
		q := "?name=v&value=" + urlQueryEscape(v)
		if r := c.Get("/set" + q); r.StatusCode != 200 {
			t.Fatalf("set %q: %d %s", v, r.StatusCode, r.Body)
		}
		if r := c.Get("/get?name=v"); r.Body != v {
			t.Errorf("round trip %q: got %q", v, r.Body)
		}
	}
	c.Get("/del?name=v")
	if r := c.Get("/get?name=v"); r.StatusCode != 404 {
		t.Errorf("after delete: %d %q", r.StatusCode, r.Body)
	}
}

func TestCookieRoundTripOverRawHTTP(t *testing.T) {
	srv := httptest.NewServer(cookieApp())
	defer srv.Close()
	for _, v := range roundTripValues {
		resp, err := http.Get(srv.URL + "/set?name=v&value=" + urlQueryEscape(v))
		must(t, err)
		resp.Body.Close()
		line := resp.Header.Get("Set-Cookie")
		pair, _, _ := strings.Cut(line, ";")
		_, wire, _ := strings.Cut(pair, "=")
		// Send back exactly what a browser would: the name=value pair as set.
		req, _ := http.NewRequest("GET", srv.URL+"/get?name=v", nil)
		req.Header.Set("Cookie", "other=1; "+pair)
		resp, err = http.DefaultClient.Do(req)
		must(t, err)
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if body.String() != v {
			t.Errorf("%q went out as %q and came back as %q", v, wire, body.String())
		}
	}
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

func TestDeleteCookie(t *testing.T) {
	tests := []struct {
		name string
		opts []CookieOptions
		want string
	}{
		{"username", nil, "username=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"},
		{"pref", []CookieOptions{{Path: "/app", Domain: "example.com"}},
			"pref=; Path=/app; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"},
		{"__Host-sid", nil, "__Host-sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure"},
		{"__Secure-x", nil, "__Secure-x=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure"},
		{"chip", []CookieOptions{{Secure: true, Partitioned: true, SameSite: SameSiteNone}},
			"chip=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; SameSite=None; Partitioned"},
	}
	for _, tt := range tests {
		var resp Response
		if err := resp.DeleteCookie(tt.name, tt.opts...); err != nil {
			t.Fatal(err)
		}
		if got := resp.CookieLines(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("DeleteCookie(%s) = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestSameNameDifferentPaths(t *testing.T) {
	var resp Response
	resp.SetCookie("a", "root")
	resp.SetCookie("a", "app", CookieOptions{Path: "/app"})
	resp.SetCookie("a", "root2") // replaces the first
	got := resp.CookieLines()
	if len(got) != 2 || got[0] != "a=root2; Path=/" || got[1] != "a=app; Path=/app" {
		t.Fatalf("got %q", got)
	}
}

func TestInvalidCookieFailsTheResponse(t *testing.T) {
	var logs bytes.Buffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var setErr error
	app.Get("/", func(req *Request) *Response {
		resp := app.Render(req, "all fine, promise")
		setErr = resp.SetCookie("sid", "x", CookieOptions{SameSite: SameSiteNone}) // no Secure
		return resp
	})
	c := ittytest.NewClient(t, app)
	r := c.Get("/")
	if !errors.Is(setErr, ErrSameSiteNoneSecure) {
		t.Fatalf("SetCookie returned %v", setErr)
	}
	if r.StatusCode != 500 || strings.Contains(r.Body, "all fine") || r.Headers.Get("Set-Cookie") != "" {
		t.Fatalf("got %d %q %v", r.StatusCode, r.Body, r.Headers)
	}
	if !strings.Contains(logs.String(), `cookie \"sid\" not set: a SameSite=None cookie requires Secure`) {
		t.Fatalf("reason not logged: %s", logs.String())
	}
	app.Debug = true
	if r := c.Get("/"); !strings.Contains(r.Body, "a SameSite=None cookie requires Secure") {
		t.Fatalf("debug body: %q", r.Body)
	}
}

// TestAttackPublicSuffixDomain: a Domain that is a public suffix produces
// a Set-Cookie line browsers silently ignore. It is refused with a
// *CookieError, for plain and signed cookies alike; a registrable domain,
// a subdomain and an unlisted single label (localhost) are fine.
func TestAttackPublicSuffixDomain(t *testing.T) {
	app := New()
	if err := app.SetCookieKeys(NewCookieKey()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"com", ".com", "co.uk", "github.io", "COM", "s3.amazonaws.com"} {
		err := (&Response{}).SetCookie("a", "v", CookieOptions{Domain: d})
		var ce *CookieError
		if !errors.As(err, &ce) || !errors.Is(err, ErrPublicSuffix) {
			t.Errorf("SetCookie Domain=%q: %v, want ErrPublicSuffix", d, err)
		}
		if err := app.SetSignedCookie(&Response{}, "a", "v", CookieOptions{Domain: d}); !errors.Is(err, ErrPublicSuffix) {
			t.Errorf("SetSignedCookie Domain=%q: %v, want ErrPublicSuffix", d, err)
		}
	}
	for _, d := range []string{"example.com", ".example.co.uk", "me.github.io", "localhost", "127.0.0.1"} {
		if err := (&Response{}).SetCookie("a", "v", CookieOptions{Domain: d}); err != nil {
			t.Errorf("SetCookie Domain=%q: %v", d, err)
		}
	}
}
