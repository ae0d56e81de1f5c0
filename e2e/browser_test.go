// Package e2e drives a real headless Chromium against itty apps on
// 127.0.0.1, to prove cookie behaviour where it matters: in a browser.
//
// The tests need Debian's chromium (apt-get install --no-install-recommends
// chromium) or a CHROMIUM path. Without one they skip, unless CI=true or
// REQUIRE_BROWSER=1, where a missing browser fails the run.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

func browserRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("REQUIRE_BROWSER") != ""
}

// newBrowser starts a fresh headless Chromium with an empty profile and
// returns a context for one tab. extra adds flags.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if browserRequired() {
			t.Fatal("no chromium found, and CI=true or REQUIRE_BROWSER is set")
		}
		t.Skip("browser test: no chromium (apt-get install chromium, or scripts/deps.sh as root; or set CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`)); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// bodyText navigates to url and returns the page's body text.
func bodyText(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatalf("read body of %s: %v", url, err)
	}
	return text
}

// jsCookies returns document.cookie, what page scripts can see.
func jsCookies(t *testing.T, ctx context.Context) string {
	t.Helper()
	dc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// jarCookie returns the browser's cookie with the given name for url, or nil.
func jarCookie(t *testing.T, ctx context.Context, url, name string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}
