package gateway_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// chromium finds a Chromium to drive: $CHROME, or chromium on the PATH (Debian's package).
func chromium(t *testing.T) string {
	for _, name := range []string{os.Getenv("CHROME"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("PROFILEGATE_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found (apt-get install chromium, or set CHROME)")
	}
	t.Skip("no Chromium found; apt-get install chromium (CI sets PROFILEGATE_REQUIRE_BROWSER, so it cannot skip there)")
	return ""
}

// TestGraphiQLInBrowser loads the embedded GraphiQL in headless Chromium that can resolve no
// host name (so any CDN reference would fail), runs the sample query and reads the answer off
// the page. Every request the page makes must go to the gateway; a screenshot is kept.
func TestGraphiQLInBrowser(t *testing.T) {
	chrome := chromium(t)
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	base, _ := url.Parse(g.URL)
	ctx := headless(t, chrome, 1400, 900, 60*time.Second)

	var mu sync.Mutex
	var requests, exceptions []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, ev.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatal(err)
	}

	const pane = `(document.querySelector('.graphiql-response') || {innerText: ''}).innerText`
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
			return err
		}),
		chromedp.Navigate(g.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](pane+`.includes('Ada Lovelace')`, chromedp.WithPollingTimeout(20*time.Second)))
	}
	response, _ := chromedp.Run(ctx, chromedp.Evaluate[string](pane))
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	keepScreenshot(t, "graphiql.png", shot)
	if err != nil {
		t.Fatalf("GraphiQL did not show the answer: %v (exceptions %v)", err, exceptions)
	}
	for _, want := range []string{`"name": "Ada Lovelace"`, `"status": "IDENTIFIED"`, `"formatted": "Mar 4th, 2019"`} {
		if !strings.Contains(response, want) {
			t.Errorf("the response pane lacks %s:\n%s", want, response)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if p, err := url.Parse(u); err != nil || (p.Host != base.Host && p.Scheme != "data") {
			t.Errorf("the page asked for %s, outside the gateway", u)
		}
	}
	if len(exceptions) > 0 {
		t.Errorf("the page threw: %v", exceptions)
	}
}

// headless starts a headless Chromium that can resolve no host name but loopback (so a page
// reaching for any other host fails), with a window of w×h, for at most timeout; it is closed
// when the test ends.
func headless(t *testing.T, chrome string, w, h int, timeout time.Duration) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(w, h),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancel()
		cancelBrowser()
		cancelAlloc()
	})
	return ctx
}

// keepScreenshot writes a page's screenshot under name to $PROFILEGATE_ARTIFACTS (CI keeps
// that directory) or the test's temporary directory.
func keepScreenshot(t *testing.T, name string, png []byte) {
	if len(png) == 0 {
		return
	}
	dir := os.Getenv("PROFILEGATE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err == nil && os.WriteFile(path, png, 0o644) == nil {
		t.Logf("screenshot: %s", path)
	}
}
