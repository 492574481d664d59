package render

import (
	"context"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// The browser tests load HTML reports from files in Debian's Chromium with
// networking off. They skip when no browser is installed, except in CI
// (CI set in the environment), where a missing browser fails them.
// PIPETRACKER_SCREENSHOTS names a directory to keep the screenshots in;
// without it they go to the test's temporary directory.

// chromiumPath finds the browser.
func chromiumPath() string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// browser starts one headless Chromium for the test and returns its
// context; each page opens in its own tab with newTab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (CI is set: .ci/run installs it)")
		}
		t.Skip("chromium is not installed; apt-get install chromium to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// page is one report loaded in a tab, with what the tab reported.
type page struct {
	ctx      context.Context
	mu       sync.Mutex
	console  []string // errors, warnings and exceptions
	requests []string // URLs other than the report file
}

// problems returns the console problems and foreign requests so far.
func (p *page) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(append([]string(nil), p.console...), p.requests...)
}

// open writes r as HTML to dir/name.html and loads it offline in a new
// tab, waiting until the page's script has finished.
func open(t *testing.T, bctx context.Context, r *trace.Report, dir, name, fragment string) *page {
	t.Helper()
	file := filepath.Join(dir, name+".html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	p := &page{ctx: ctx}
	messages := chromedp.Console(ctx)
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true}},
	}); err != nil {
		t.Fatalf("network off: %v", err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				p.mu.Lock()
				p.console = append(p.console, "console "+string(m.Type)+": "+m.String())
				p.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") {
				p.mu.Lock()
				p.requests = append(p.requests, "request: "+u)
				p.mu.Unlock()
			}
		}
	}()
	url := "file://" + file + fragment
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[bool](`document.documentElement.dataset.ready === "true"`)); err != nil {
		t.Fatalf("the report did not finish drawing: %v; %v", err, p.problems())
	}
	t.Logf("%s: ready in %s", name, time.Since(start).Round(time.Millisecond))
	return p
}

// eval runs a JavaScript expression in the page.
func eval[T any](t *testing.T, p *page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// shoot saves a full-page screenshot as a PNG and returns its path.
func shoot(t *testing.T, p *page, dir, name string) string {
	t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// artifacts is where screenshots go.
func artifacts(t *testing.T) string {
	if dir := os.Getenv("PIPETRACKER_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func TestHTMLInBrowser(t *testing.T) {
	bctx := browser(t)
	dir := t.TempDir()
	shots := artifacts(t)

	t.Run("full report renders", func(t *testing.T) {
		r := fullReport()
		r.Verifications = warningsReport().Verifications
		r.Verifications[0].Service, r.Verifications[1].Service = "ledger", "psp"
		r.Warnings = warningsReport().Warnings
		for _, theme := range []string{"light", "dark"} {
			p := open(t, bctx, r, dir, "full-"+theme, "#theme="+theme)
			checks := []struct {
				name string
				expr string
				want int
			}{
				{"graph nodes", `document.querySelectorAll("#flow-svg .node circle").length`, 6},
				{"graph edges", `document.querySelectorAll("#flow-svg path.edge").length`, 5},
				{"error edges", `document.querySelectorAll("#flow-svg path.edge.err").length`, 1},
				{"timeline span bars", `document.querySelectorAll("#timeline-svg .span-bar").length`, 6},
				{"timeline hop arrows", `document.querySelectorAll("#timeline-svg path.hop").length`, 5},
				// Events a few pixels apart share a mark.
				{"timeline marks", `(function(n){return n >= 5 && n <= 9 ? 1 : 0})(document.querySelectorAll("#timeline-svg .mark").length)`, 1},
				{"table rows", `document.querySelectorAll("#events tbody tr.row").length`, 9},
				{"linked id rows", `document.querySelectorAll("#linked tbody tr").length`, 3},
				{"verifier rows", `document.querySelectorAll("#verifications tbody tr").length`, 2},
				{"failed verifications", `document.querySelectorAll("#verifications .fail").length`, 1},
				{"warnings", `document.querySelectorAll("#warnings li").length`, 4},
				{"dark theme", `document.documentElement.dataset.theme === "dark" ? 1 : 0`, map[string]int{"light": 0, "dark": 1}[theme]},
			}
			for _, c := range checks {
				if got := eval[int](t, p, c.expr); got != c.want {
					t.Errorf("%s %s: %d, want %d", theme, c.name, got, c.want)
				}
			}
			if got := eval[string](t, p, `document.querySelector(".path").textContent`); got != "edge → checkout → stock → ledger ✗ → psp → notifier" {
				t.Errorf("path %q", got)
			}
			if got := eval[string](t, p, `document.title`); got != "pipetracker · ORD-77120" {
				t.Errorf("title %q", got)
			}
			if got := eval[int](t, p, `Math.round(document.getElementById("timeline-svg").getBoundingClientRect().height * document.getElementById("flow-svg").getBoundingClientRect().height)`); got == 0 {
				t.Error("graph or timeline has no size")
			}
			shoot(t, p, shots, "report-"+theme)
			if pr := p.problems(); len(pr) > 0 {
				t.Errorf("%s: %q", theme, pr)
			}
		}
	})

	t.Run("table filters and row details", func(t *testing.T) {
		p := open(t, bctx, fullReport(), dir, "filters", "")
		set := func(id, value, event string) {
			eval[bool](t, p, fmt.Sprintf(`(function(){var e=document.getElementById(%q); e.value=%q; e.dispatchEvent(new Event(%q)); return true})()`, id, value, event))
		}
		rows := func() int {
			time.Sleep(250 * time.Millisecond) // the text filter waits 120 ms
			return eval[int](t, p, `document.querySelectorAll("#events tbody tr.row").length`)
		}
		steps := []struct {
			name, id, value, event string
			want                   int
			count                  string
		}{
			{"level error", "filter-level", "error", "change", 1, "1 of 9 shown"},
			{"level all", "filter-level", "", "change", 9, "9 of 9 shown"},
			{"service ledger", "filter-service", "ledger", "change", 3, "3 of 9 shown"},
			{"text within service", "filter-text", "RETRYING", "input", 1, "1 of 9 shown"},
			{"service all, text kept", "filter-service", "", "change", 1, "1 of 9 shown"},
			{"text in raw record", "filter-text", "worker-3", "input", 1, "1 of 9 shown"},
			{"text in fields", "filter-text", "/api/orders", "input", 1, "1 of 9 shown"},
			{"text matching nothing", "filter-text", "no such text", "input", 0, "0 of 9 shown"},
			{"text cleared", "filter-text", "", "input", 9, "9 of 9 shown"},
		}
		for _, s := range steps {
			set(s.id, s.value, s.event)
			if got := rows(); got != s.want {
				t.Errorf("%s: %d rows, want %d", s.name, got, s.want)
			}
			if got := eval[string](t, p, `document.getElementById("events-count").textContent`); got != s.count {
				t.Errorf("%s: count %q, want %q", s.name, got, s.count)
			}
		}
		eval[bool](t, p, `(document.querySelectorAll("#events tbody tr.row")[4].click(), true)`)
		detail := eval[string](t, p, `document.querySelector("#events tr.detail").textContent`)
		for _, want := range []string{"ledger/app.log.2.gz:8812", "ERROR [worker-3]", "transaction_id=ORD-77120"} {
			if !strings.Contains(detail, want) {
				t.Errorf("row details lack %q: %q", want, detail)
			}
		}
		eval[bool](t, p, `(document.querySelectorAll("#events tbody tr.row")[4].click(), true)`)
		if n := eval[int](t, p, `document.querySelectorAll("#events tr.detail").length`); n != 0 {
			t.Errorf("a second click left %d detail rows", n)
		}
		// Zoom in on the timeline around its start: the later events leave the view.
		before := eval[int](t, p, `document.querySelectorAll("#timeline-svg .mark").length`)
		eval[bool](t, p, `(function(){var s=document.getElementById("timeline-svg"), r=s.getBoundingClientRect();
			for (var i=0;i<12;i++) s.dispatchEvent(new WheelEvent("wheel",{deltaY:-100,clientX:r.left+r.width*0.14,clientY:r.top+40,bubbles:true,cancelable:true}));
			return true})()`)
		after := eval[int](t, p, `document.querySelectorAll("#timeline-svg .mark").length`)
		if after >= before || after == 0 {
			t.Errorf("zoom: %d marks before, %d after", before, after)
		}
		eval[bool](t, p, `(document.querySelector("#timeline h2 button").click(), true)`)
		if got := eval[int](t, p, `document.querySelectorAll("#timeline-svg .mark").length`); got != before {
			t.Errorf("reset zoom: %d marks, want %d", got, before)
		}
		if pr := p.problems(); len(pr) > 0 {
			t.Errorf("%q", pr)
		}
	})

	t.Run("hostile records stay text", func(t *testing.T) {
		r := hostileHTMLReport()
		p := open(t, bctx, r, dir, "hostile", "")
		// Open every row so that the raw records and fields are in the DOM too.
		eval[bool](t, p, `(document.querySelectorAll("#events tbody tr.row").forEach(function(r){r.click()}), true)`)
		time.Sleep(300 * time.Millisecond) // give an injected handler time to run
		if got := eval[string](t, p, `String(window.__pwned)`); got != "undefined" {
			t.Errorf("a hostile record ran: window.__pwned = %s", got)
		}
		if got, want := eval[string](t, p, `document.title`), "pipetracker · "+r.Query.ID; got != want {
			t.Errorf("title %q, want %q", got, want)
		}
		for name, expr := range map[string]string{
			"img elements":       `document.querySelectorAll("img").length`,
			"onload attributes":  `document.querySelectorAll("[onload],[onerror]").length`,
			"scripts":            `document.scripts.length - 2`,
			"javascript: links":  `document.querySelectorAll("[href^='javascript:' i],[src^='javascript:' i]").length`,
			"svg from the data":  `document.querySelectorAll("svg:not(#flow-svg):not(#timeline-svg)").length`,
			"detail rows absent": `7 - document.querySelectorAll("#events tr.detail").length`,
		} {
			if n := eval[int](t, p, expr); n != 0 {
				t.Errorf("%s: %d", name, n)
			}
		}
		text := eval[string](t, p, `document.body.innerText`)
		for _, want := range []string{
			`<script>window.__pwned=1;document.title="pwned"</script>`,
			`<img src=x onerror="window.__pwned=2;document.title='pwned'">`,
			`</script><script>window.__pwned=3</script>`,
			`javascript:window.__pwned=4`,
			`{{constructor.constructor('window.__pwned=7')()}}`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q as text", want)
			}
		}
		shoot(t, p, shots, "hostile")
		if pr := p.problems(); len(pr) > 0 {
			t.Errorf("%q", pr)
		}
	})

	t.Run("ten thousand events stay responsive", func(t *testing.T) {
		start := time.Now()
		p := open(t, bctx, largeReport(10_000), dir, "large", "")
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("loading took %s", d)
		}
		if n := eval[int](t, p, `document.querySelectorAll("#events tbody tr.row").length`); n != pageRows {
			t.Errorf("%d rows listed, want the first page of %d", n, pageRows)
		}
		ms := eval[float64](t, p, `(function(){var t=performance.now(), e=document.getElementById("filter-level");
			e.value="error"; e.dispatchEvent(new Event("change")); return performance.now()-t})()`)
		if got := eval[string](t, p, `document.getElementById("events-count").textContent`); got != "1666 of 10000 shown" {
			t.Errorf("count %q", got)
		}
		zoom := eval[float64](t, p, `(function(){var s=document.getElementById("timeline-svg"), r=s.getBoundingClientRect(), t=performance.now();
			for (var i=0;i<10;i++) s.dispatchEvent(new WheelEvent("wheel",{deltaY:-100,clientX:r.left+r.width/2,clientY:r.top+40,bubbles:true,cancelable:true}));
			return (performance.now()-t)/10})()`)
		t.Logf("10 000 events: filter %.1f ms, one zoom step %.1f ms", ms, zoom)
		if ms > 1000 || zoom > 500 {
			t.Errorf("too slow: filter %.0f ms, zoom step %.0f ms", ms, zoom)
		}
		if pr := p.problems(); len(pr) > 0 {
			t.Errorf("%q", pr)
		}
	})

	t.Run("prints legibly", func(t *testing.T) {
		p := open(t, bctx, fullReport(), dir, "print", "#theme=dark")
		if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct{ expr, want string }{
			"white paper":     {`getComputedStyle(document.body).backgroundColor`, "rgb(255, 255, 255)"},
			"black text":      {`getComputedStyle(document.body).color`, "rgb(0, 0, 0)"},
			"no toolbar":      {`getComputedStyle(document.querySelector(".toolbar")).display`, "none"},
			"no filters":      {`getComputedStyle(document.querySelector(".filters")).display`, "none"},
			"table is listed": {`String(document.querySelectorAll("#events tbody tr.row").length)`, "9"},
		} {
			if got := eval[string](t, p, c.expr); got != c.want {
				t.Errorf("%s: %q, want %q", name, got, c.want)
			}
		}
		shoot(t, p, shots, "print")
	})

	t.Run("empty report", func(t *testing.T) {
		p := open(t, bctx, emptyReport(), dir, "empty", "")
		if got := eval[string](t, p, `document.querySelector(".path").textContent`); got != "no events found" {
			t.Errorf("path %q", got)
		}
		if pr := p.problems(); len(pr) > 0 {
			t.Errorf("%q", pr)
		}
	})
}

// pageRows is how many rows the report lists before "show more".
const pageRows = 500

// TestHTMLScreenshotFile takes light and dark screenshots of the report in
// the file PIPETRACKER_REPORT into PIPETRACKER_SCREENSHOTS (how the
// screenshots in docs/ are made); it skips when PIPETRACKER_REPORT is unset.
func TestHTMLScreenshotFile(t *testing.T) {
	file := os.Getenv("PIPETRACKER_REPORT")
	if file == "" {
		t.Skip("PIPETRACKER_REPORT names no report")
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	bctx := browser(t)
	shots := artifacts(t)
	for _, theme := range []string{"light", "dark"} {
		ctx, cancel := chromedp.NewContext(bctx)
		p := &page{ctx: ctx}
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs+"#theme="+theme)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.ready === "true"`)); err != nil {
			t.Fatal(err)
		}
		shoot(t, p, shots, "report-"+theme)
		cancel()
	}
}
