package sessions

import (
	"crypto/subtle"
	"html/template"
)

// CSRFFieldName is the form field CheckCSRF reads.
const CSRFFieldName = "csrf_token"

const csrfKey = "_csrf"

// CSRFToken returns the session's synchronizer token for HTML forms,
// creating it (and so the session) on first use. Put it in forms with
// CSRFField and check it with CheckCSRF. The token starts afresh whenever
// the session's user changes, so a token learnt before a login is useless
// after it.
func (s *Session) CSRFToken() string {
	if t := s.GetString(csrfKey); t != "" {
		return t
	}
	t := NewID()
	s.Set(csrfKey, t)
	return t
}

// CheckCSRF reports whether the request carries the session's CSRF token,
// in the form field CSRFFieldName or the X-CSRF-Token header. The
// comparison takes constant time.
func (s *Session) CheckCSRF() bool {
	want := s.GetString(csrfKey)
	got := s.r.Header.Get("X-CSRF-Token")
	if got == "" && s.post != nil {
		got = s.post.Get(CSRFFieldName)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// CSRFField returns a hidden form input holding token, for templates:
//
//	app.TemplateFuncs = template.FuncMap{"csrfField": sessions.CSRFField}
//	…
//	<form method="post">{{csrfField .CSRF}} …</form>
func CSRFField(token string) template.HTML {
	return template.HTML(`<input type="hidden" name="` + CSRFFieldName + `" value="` +
		template.HTMLEscapeString(token) + `">`)
}
