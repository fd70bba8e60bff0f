package main

import (
	"sort"
	"testing"

	"github.com/chromedp/chromedp"
)

// firstRowMargin is how late the first list row may paint before the test fails: the target is
// 150 ms on the demo data (see the README), but a CI machine running other tests at once must not
// fail on timing, so the assertion is loose and the structural cause is asserted instead: the list
// needs one request (GET /app/bootstrap), not seven in a row.
const firstRowMargin = 2000

// The first list row paints after one request: the page asks /app/bootstrap (reference data and the
// landing view's first page) and nothing of the agent API before the row is there. The time from
// navigation to the row is measured with the Performance API and printed.
func TestBrowserFirstRowPaint(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	minh := b.login("minh")
	var times []float64
	for i := 0; i < 5; i++ {
		// A navigation to the inbox, as after signing in or opening it again (a reload would
		// revalidate every script first, which agents do not do to open their inbox).
		minh.do(chromedp.Navigate(app.url + "/"))
		minh.waitJS(`performance.getEntriesByName('dakenh-first-row').length > 0`)
		ms := eval[float64](minh, `performance.getEntriesByName('dakenh-first-row')[0].startTime`)
		before := eval[[]string](minh, `(() => { const at = performance.getEntriesByName('dakenh-first-row')[0].startTime;
			return performance.getEntriesByType('resource').filter(r => r.startTime < at && /\/(api|app)\//.test(new URL(r.name).pathname)).map(r => new URL(r.name).pathname); })()`)
		if len(before) != 1 || before[0] != "/app/bootstrap" {
			t.Fatalf("requests before the first row: %q, want only /app/bootstrap", before)
		}
		times = append(times, ms)
	}
	sort.Float64s(times)
	t.Logf("first list row after navigation: median %.0f ms (runs %.0f ms)", times[len(times)/2], times)
	if times[len(times)/2] > firstRowMargin {
		t.Fatalf("the first row painted %.0f ms after navigation", times[len(times)/2])
	}
}

// Closing the chat permission dialog without a choice (Esc or "Để sau") keeps "Chỉ mình tôi" and
// says so, instead of leaving it silently.
func TestBrowserPermissionDialogLaterSaysOnlyMe(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="permission-button"]`)))
	// Make the Zalo OA "only me" first.
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="channel-zalo"] [data-testid="permission-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="perm-only-me"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="perm-only-me"]`)))
	hoa.waitJS(`document.querySelector('[data-testid="channel-zalo"] [data-testid="connection-permission"]')?.textContent === 'Chỉ mình tôi'`)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="channel-zalo"] [data-testid="permission-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="perm-later"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="perm-later"]`)))
	hoa.waitJS(`[...document.querySelectorAll('[data-testid="toast"]')].some(e => e.textContent.includes('vẫn là "Chỉ mình tôi"'))`)
	hoa.waitJS(`!document.querySelector('[data-testid="permission-dialog"]')`)
	hoa.shot("kept-only-me")
}
