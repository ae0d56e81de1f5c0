package itty

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
)

// Render returns a 200 response with body as text/html; charset=utf-8, like
// itty3's app.render. Set StatusCode on the result for another status.
func (a *App) Render(req *Request, body string) *Response {
	return req.newResponse(body, http.StatusOK, contentTypeHTML)
}

// RenderJSON returns a 200 response with v encoded as JSON
// (application/json). If v cannot be encoded, the request is answered
// with 500 and the reason logged.
func (a *App) RenderJSON(req *Request, v any) *Response {
	resp := req.newResponse("", http.StatusOK, contentTypeJSON)
	b, err := json.Marshal(v)
	if err != nil {
		resp.fail(err)
		return resp
	}
	resp.BodyBytes = append(b, '\n')
	return resp
}

// LoadTemplates parses the templates in fsys that match the patterns (as
// fs.Glob reads them, e.g. "templates/*.html") into a.Templates, for
// RenderTemplate, with a.TemplateFuncs available to them. Each template is
// named by its file's base name.
func (a *App) LoadTemplates(fsys fs.FS, patterns ...string) error {
	t, err := template.New("").Funcs(a.TemplateFuncs).ParseFS(fsys, patterns...)
	if err != nil {
		return err
	}
	a.Templates = t
	return nil
}

// RenderTemplate returns a 200 text/html response with the named template
// from a.Templates executed with data. The template runs to completion
// before anything is sent, so a template error is a clean 500 with the
// reason logged, never half a page.
func (a *App) RenderTemplate(req *Request, name string, data any) *Response {
	resp := req.newResponse("", http.StatusOK, contentTypeHTML)
	if a.Templates == nil {
		resp.fail(errNoTemplates)
		return resp
	}
	var buf bytes.Buffer
	if err := a.Templates.ExecuteTemplate(&buf, name, data); err != nil {
		resp.fail(err)
		return resp
	}
	resp.BodyBytes = buf.Bytes()
	return resp
}

var errNoTemplates = errors.New("itty: RenderTemplate called but App.Templates is nil; call LoadTemplates first")

// Redirect returns a 302 Found response that sends the client to url, like
// itty3's app.redirect. Set StatusCode on the result for 303 See Other, 307
// Temporary Redirect or 308 Permanent Redirect. Control characters in url
// are percent-encoded, so a url built from user input cannot add headers;
// it can still point anywhere, so use RedirectLocal for user-supplied targets.
func (a *App) Redirect(req *Request, url string) *Response {
	resp := req.newResponse("", http.StatusFound, contentTypeText)
	resp.SetHeader("Location", percentEncode(url, urlBytes))
	return resp
}

// RedirectPermanent returns a 301 Moved Permanently response to url.
func (a *App) RedirectPermanent(req *Request, url string) *Response {
	resp := a.Redirect(req, url)
	resp.StatusCode = http.StatusMovedPermanently
	return resp
}

// Error404 returns a 404 Not Found response with message as its plain-text
// body, like itty3's app.error_404: for a handler that matched a route but
// found nothing, such as an id with no record.
func (a *App) Error404(req *Request, message string) *Response {
	return req.newResponse(message, http.StatusNotFound, contentTypeText)
}

// Error500 logs err and returns the response a panic would get, like
// itty3's app.error_500: the App's ServerError page if set, the status of
// an error with an HTTPStatus() int method, or a generic 500 that shows err
// only when Debug is on. Return it from a handler whose work failed:
//
//	if err := store.Save(item); err != nil {
//		return app.Error500(req, err)
//	}
func (a *App) Error500(req *Request, err error) *Response {
	return a.errorPage(req, err)
}

// IsLocalURL reports whether target is a path on this site, safe to redirect
// to when it came from the request (a "next" parameter, say): it must start
// with a single "/" and contain no scheme, no host, no backslash and no
// control characters, so browsers cannot read it as another site
// ("//evil.example", "/\evil.example", "https:evil.example").
func IsLocalURL(target string) bool {
	if target == "" || target[0] != '/' {
		return false
	}
	if len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// RedirectLocal redirects (302) to target if IsLocalURL(target), and to
// fallback otherwise: the way to follow a redirect target taken from user
// input without becoming an open redirect.
func (a *App) RedirectLocal(req *Request, target, fallback string) *Response {
	if !IsLocalURL(target) {
		target = fallback
	}
	return a.Redirect(req, target)
}
