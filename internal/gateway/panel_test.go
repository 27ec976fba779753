package gateway_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// TestPanelInBrowser drives the agent panel in headless Chromium that can resolve no host
// name: Ada's header, a Details group with its provenance, the first History page and the
// next one on scroll, a new contact's badge, and the picker of a number two people share.
// The page may fetch nothing but the gateway (avatars aside), and must throw nothing.
// Screenshots of each step are kept.
func TestPanelInBrowser(t *testing.T) {
	chrome := chromium(t)
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	crm := g.DB(g.Config.Sources[0].Database)
	for i := range 30 { // 41 activities in all: three pages of 20
		activity(t, crm, fmt.Sprintf("scroll-%02d", i), "c-1", time.Date(2025, 1, 1+i, 9, 0, 0, 0, time.UTC))
	}
	base, _ := url.Parse(g.URL)

	ctx := headless(t, chrome, 1000, 800, 90*time.Second)

	var mu sync.Mutex
	var outside, exceptions []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if ev.Type != network.ResourceTypeImage && (err != nil || u.Host != base.Host) {
				outside = append(outside, ev.Request.URL)
			}
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, ev.ExceptionDetails.Text+" "+fmt.Sprint(ev.ExceptionDetails.Exception))
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	wait := func(step, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			keepScreenshot(t, "panel-failed.png", shot)
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %s did not come true: %v\n%s", step, js, err, text)
		}
	}
	screenshot := func(name string) {
		shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		keepScreenshot(t, name, shot)
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	scroll := func() { eval(`document.getElementById('sentinel').scrollIntoView(), ''`) }
	inbound := func(number string) {
		do(chromedp.Navigate(g.URL + "/panel?key=phonenumber&value=" + url.QueryEscape(number)))
	}

	inbound("(415) 555-0100")
	wait("header", `document.getElementById('name').textContent === 'Ada Lovelace'`)
	wait("secondary trait", `document.getElementById('secondary').textContent === 'Customer since: Mar 4th, 2019'`)
	const badgeShown = `getComputedStyle(document.getElementById('badge')).display !== 'none'`
	wait("no badge", `!(`+badgeShown+`)`)
	wait("details group", `[...document.querySelectorAll('#details h3')].map(h => h.textContent).join() === 'Contact,Account'`)
	wait("details value and provenance", `(() => {
		const dd = document.querySelector('#details dd[data-key="lifetime_value"]');
		return dd && dd.textContent === '$1,234.50' && dd.title.startsWith('from warehouse, changed Nov 20, 2026');
	})()`)
	screenshot("panel-details.png")

	do(chromedp.Click(chromedp.CSS(`#tab-history`)))
	wait("first history page", `document.querySelectorAll('#timeline li.activity').length === 20`)
	wait("newest first", `document.querySelector('#timeline li.activity .label').textContent === 'Conversation ended'`)
	screenshot("panel-history.png")
	scroll()
	wait("next page on scroll", `document.querySelectorAll('#timeline li.activity').length > 20`)
	scroll()
	wait("whole timeline", `document.querySelectorAll('#timeline li.activity').length === 41 && !document.getElementById('timeline-end').hidden`)
	wait("no activity twice", `new Set([...document.querySelectorAll('#timeline li.activity')].map(li => li.dataset.id)).size === 41`)
	do(chromedp.Click(chromedp.CSS(`input.kind[value="EVENT"]`)), chromedp.Click(chromedp.CSS(`input.kind[value="CRM_ACTIVITY"]`)),
		chromedp.Click(chromedp.CSS(`input.kind[value="IDENTITY"]`)))
	wait("filter by kind", `(() => {
		const items = [...document.querySelectorAll('#timeline li.activity')];
		return items.length === 4 && items.every(li => li.classList.contains('kind-interaction'));
	})()`)

	inbound("+1 646 555 0123")
	wait("new contact", `document.getElementById('name').textContent === '+16465550123'`)
	wait("new contact badge", badgeShown+` && document.getElementById('badge').textContent === 'New Contact'`)
	wait("new contact has no details", `document.querySelector('#details').textContent.includes('No details recorded')`)
	screenshot("panel-new-contact.png")

	inbound("+14155550199")
	wait("shared number's picker", `!document.getElementById('picker').hidden && document.querySelectorAll('#picker-list button').length === 2`)
	first := eval(`document.getElementById('name').textContent`)
	do(chromedp.Click(chromedp.CSS(`#picker-list button:not(.picked)`)))
	wait("picked the other person", fmt.Sprintf(`(() => {
		const n = document.getElementById('name').textContent;
		return n !== %q && ['Grace Hopper', 'Alan Turing'].includes(n) && document.querySelector('#picker-list button.picked').textContent === n;
	})()`, first))
	wait("picked person's secondary trait, formatted", `/^Customer since: [A-Z][a-z]{2} \d+(st|nd|rd|th), \d{4}$/.test(document.getElementById('secondary').textContent)`)
	wait("picked person's details", `document.querySelector('#details dd[data-key="first_name"]').textContent === document.getElementById('name').textContent.split(' ')[0]`)
	screenshot("panel-picker.png")

	mu.Lock()
	defer mu.Unlock()
	if len(outside) > 0 {
		t.Errorf("the page fetched outside the gateway: %s", strings.Join(outside, ", "))
	}
	if len(exceptions) > 0 {
		t.Errorf("the page threw: %v", exceptions)
	}
}
