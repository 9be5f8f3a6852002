package server

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"rgunit/internal/testenv"
)

// chromium finds a headless browser: $RGUNIT_CHROMIUM, then Debian's
// chromium (.ci/run installs it), then Chrome.
func chromium() string {
	if p := os.Getenv("RGUNIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestGallery drives the gallery in a real headless Chromium: a shared
// URL (/?q=id:1&to=Blond_Hair) renders the source, its neighbours and
// its translation with the neighbours that guided it, and every image
// decodes. RGUNIT_GALLERY_SHOT=FILE also saves a screenshot there.
func TestGallery(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium (apt-get install chromium, or set RGUNIT_CHROMIUM)")
	}
	t.Parallel()
	srv := httptest.NewServer(New(shippedDB(t), &Options{Token: "tok"}))
	defer srv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	type view struct {
		State                                         string
		Neighbours, Translation, Guides, Grid, Broken int
		Attrs                                         []string
		Pressed                                       string
	}
	const check = `(() => {
		const imgs = (sel) => Array.from(document.querySelectorAll(sel + " img"));
		const all = [...imgs("#source"), ...imgs("#neighbours"), ...imgs("#translation"), ...imgs("#guides"), ...imgs("#grid")];
		return {
			State: document.body.dataset.state,
			Neighbours: imgs("#neighbours").length, Translation: imgs("#translation").length,
			Guides: imgs("#guides").length, Grid: imgs("#grid").length,
			Broken: all.filter((i) => !i.complete || i.naturalWidth === 0).length,
			Attrs: Array.from(document.querySelectorAll("#attrs .attr")).map((b) => b.dataset.attr),
			Pressed: Array.from(document.querySelectorAll("#attrs .attr.pos")).map((b) => b.dataset.attr).join(","),
		};
	})()`
	// The grid's lazy images and the outputs finish decoding.
	const loaded = `document.body.dataset.state === "done" && Array.from(document.images).every((i) => i.complete)`
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?q=id:1&to=Blond_Hair&token=tok"), chromedp.WaitVisible(`body[data-state="done"]`))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](loaded, chromedp.WithPollingTimeout(30*time.Second)))
	}
	if err != nil {
		t.Fatal(err)
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[view](check))
	if err != nil {
		t.Fatal(err)
	}
	if counts.State != "done" || counts.Neighbours != 8 || counts.Translation != 1 || counts.Guides == 0 || counts.Grid != 24 || counts.Broken != 0 {
		t.Fatalf("gallery: %+v", counts)
	}
	if len(counts.Attrs) != 5 || counts.Pressed != "Blond_Hair" {
		t.Fatalf("attribute buttons %v, pressed %q", counts.Attrs, counts.Pressed)
	}
	if p := os.Getenv("RGUNIT_GALLERY_SHOT"); p != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Clicking another target updates the URL and the view.
	err = chromedp.Do(ctx, chromedp.Click(`#attrs .attr[data-attr="Young"]`), chromedp.WaitVisible(`body[data-state="done"]`))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#attrs .attr.pos[data-attr=Young]") !== null && `+loaded, chromedp.WithPollingTimeout(30*time.Second)))
	}
	if err != nil {
		t.Fatal(err)
	}
	// An upload: the source shows the file, the query and the translation
	// run on it (neither in the URL: the file is the user's).
	err = chromedp.Do(ctx, chromedp.SetUploadFiles(`#file`, []string{filepath.Join(testenv.Faces(), "000004.png")}),
		chromedp.WaitVisible(`#source figcaption`))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#source figcaption").textContent === "000004.png" && `+loaded, chromedp.WithPollingTimeout(30*time.Second)))
	}
	if err != nil {
		t.Fatal(err)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[view](check)); err != nil || v.Neighbours != 8 || v.Translation != 1 || v.Broken != 0 {
		t.Fatalf("after an upload: %+v %v", v, err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := "to=Blond_Hair%2CYoung"; !strings.Contains(loc, want) || strings.Contains(loc, "q=") {
		t.Fatalf("after a click the URL is %s, want %s in it", loc, want)
	}
}
