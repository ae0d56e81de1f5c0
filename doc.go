// Package itty is a tiny web microframework in the style of Python's itty3,
// built directly on net/http.
//
// An [App] holds routes. A route is a method, a pattern and a [HandlerFunc],
// which takes a *[Request] and returns a *[Response]:
//
//	app := itty.New()
//	app.Get("/greet/<str:name>/", func(req *itty.Request) *itty.Response {
//		return app.Render(req, "Hello, "+html.EscapeString(req.Params.Get("name"))+"!")
//	})
//	app.Run("127.0.0.1:8000")
//
// # Routes
//
// Patterns use itty3's syntax: <type:name> fills one path segment, with type
// one of str, int, float, uuid, slug, or path (the rest of the path; any is
// itty3's other name for it). A value that does not convert is not a match,
// so /items/<int:id> answers /items/x with 404. Where routes overlap, a
// literal segment wins over a parameter, and a more specific converter over
// a less specific one.
//
// A path that matches a route for other methods is answered with 405 and an
// Allow header; OPTIONS is answered with 204 and Allow; HEAD is served by GET
// routes. Trailing slashes are exact: /a/ and /a are different routes, and a
// request for the form that has no route is redirected to the form that has
// one. A path with empty, "." or ".." segments is redirected to its clean
// form. [App.Handle] registers any http.Handler, which reads parameters with
// r.PathValue; [App.Use] adds net/http middleware around the whole App.
//
// # Requests
//
// A Request exposes itty3's names: GET (query values), POST (form values),
// COOKIES, Params (route parameters), Headers and Body; Raw is the
// *http.Request. Each is parsed on first use. A Request is recycled after its
// response is written, so a handler must not keep it.
//
// # Responses
//
// A Response can be a struct literal, a [NewResponse], or one of the App's
// shortcuts: [App.Render], [App.RenderJSON], [App.RenderTemplate],
// [App.Redirect], [App.RedirectLocal], [App.Error404] and [App.Error500].
// [App.Static] and [App.StaticDir] serve files.
//
// # Cookies
//
// Cookies are set with [Response.SetCookie] and deleted with
// [Response.DeleteCookie]. Any string value round-trips; a cookie browsers
// would reject (a bad name, a public-suffix Domain, SameSite=None without
// Secure) is an error, never silently dropped. Signed and encrypted cookies
// use [App.SetSignedCookie] and [App.SignedCookie]. Package sessions builds
// server-side sessions on them.
//
// # Errors and limits
//
// A handler that panics or returns nil, or a response that cannot be sent,
// is answered with a generic 500 (or App.ServerError's page); the reason
// goes to the App's Logger. OnResponse hooks do not run for such a failed
// handler, and a ResponseWriter that implements FailureNotifier is told of
// it.
// A response that fails after it has started going out is aborted instead,
// so that no client takes a truncated body for a whole one.
// Request bodies are bounded by MaxBodyBytes (413 past it).
//
// # Security defaults
//
// Cross-origin requests with unsafe methods are refused with 403, using the
// browser's Sec-Fetch-Site and Origin headers (see App.CrossOrigin). Static
// files never leave their directory and hidden files are not served.
// Each is relaxed only by a setting made on purpose:
// DisableCrossOriginProtection, StaticFiles.AllowHidden, a negative
// MaxBodyBytes.
//
// # Serving
//
// An *App is an http.Handler: serve it with [App.Run] (timeouts, access log,
// graceful shutdown), http.ListenAndServe, [App.RunCGI] or [App.RunFastCGI].
//
// # Testing
//
// Package ittytest has an in-process test client with a cookie jar.
package itty
