package sessions

import (
	"html/template"
)

// CSRFFieldName is the form field CheckCSRF reads.
const CSRFFieldName = "csrf_token"

// CSRFField returns a hidden form input holding token, for templates:
//
//	app.TemplateFuncs = template.FuncMap{"csrfField": sessions.CSRFField}
//	…
//	<form method="post">{{csrfField .CSRF}} …</form>
func CSRFField(token string) template.HTML {
	return template.HTML(`<input type="hidden" name="` + CSRFFieldName + `" value="` +
		template.HTMLEscapeString(token) + `">`)
}
