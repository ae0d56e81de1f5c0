package sessions

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/ittygo/itty"
)

// appCookieNames holds the session cookie names the Managers of each App
// use. Its keys are weak, so that it keeps no App alive: an App's entry
// goes when the App does.
var appCookieNames struct {
	mu    sync.Mutex
	names map[weak.Pointer[itty.App]]map[string]bool
}

// claimCookieName records that a Manager of app uses the cookie name, or
// says which Manager already does.
func claimCookieName(app *itty.App, name string) error {
	key := weak.Make(app)
	appCookieNames.mu.Lock()
	defer appCookieNames.mu.Unlock()
	if appCookieNames.names == nil {
		appCookieNames.names = make(map[weak.Pointer[itty.App]]map[string]bool)
	}
	names, ok := appCookieNames.names[key]
	if !ok {
		names = make(map[string]bool)
		appCookieNames.names[key] = names
		runtime.AddCleanup(app, forgetApp, key)
	}
	if names[name] {
		return fmt.Errorf("sessions: another Manager of this App already uses the cookie name %q; give each Manager of one App its own Options.CookieName", name)
	}
	names[name] = true
	return nil
}

// releaseCookieName undoes claimCookieName.
func releaseCookieName(app *itty.App, name string) {
	appCookieNames.mu.Lock()
	defer appCookieNames.mu.Unlock()
	delete(appCookieNames.names[weak.Make(app)], name)
}

func forgetApp(key weak.Pointer[itty.App]) {
	appCookieNames.mu.Lock()
	delete(appCookieNames.names, key)
	appCookieNames.mu.Unlock()
}
