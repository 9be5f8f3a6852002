package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/testenv"
)

func shippedDB(t *testing.T) *rgunit.DB { return testenv.OpenShipped(t) }

// call sends a request to h and decodes a JSON answer into out (when not
// nil); it returns the status and the raw body.
func call(t *testing.T, h http.Handler, req *http.Request, out any) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	if rec.Code >= 400 {
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			t.Errorf("%s %s: status %d without a JSON error: %q", req.Method, req.URL, rec.Code, body)
		}
		return rec.Code, body
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v: %q", req.Method, req.URL, err, body)
		}
	}
	return rec.Code, body
}

// part is a file of a multipart form.
type part struct {
	field, name string
	data        []byte
}

func multipartReq(t *testing.T, url string, fields map[string]string, parts ...part) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, p := range parts {
		fw, err := w.CreateFormFile(p.field, p.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(p.data)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, url, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func face(t *testing.T, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Faces(), fmt.Sprintf("%06d.png", n)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hugePNG is a PNG header claiming width x height pixels, with no data.
func hugePNG(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func decodeDataURL(t *testing.T, s string) image.Image {
	t.Helper()
	b64, ok := strings.CutPrefix(s, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40q", s)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestAPIRead: every read endpoint, and the bad inputs each refuses with
// a 4xx and a JSON error.
func TestAPIRead(t *testing.T) {
	t.Parallel()
	db := shippedDB(t)
	h := New(db, nil)
	get := func(u string) *http.Request { return httptest.NewRequest(http.MethodGet, u, nil) }

	var st struct {
		Items           int      `json:"items"`
		ModelAttributes []string `json:"model_attributes"`
	}
	if code, _ := call(t, h, get("/api/stats"), &st); code != 200 || st.Items != 300 || len(st.ModelAttributes) != 5 {
		t.Fatalf("stats: %d %+v", code, st)
	}
	var page itemsPage
	if code, _ := call(t, h, get("/api/items?offset=10&limit=5"), &page); code != 200 || len(page.Items) != 5 || page.Items[0].ID != 11 || page.Total != 300 {
		t.Fatalf("items page: %d %+v", code, page)
	}
	if it := page.Items[0]; len(it.Predicted) != 5 || it.Image != "/api/items/11/image" || it.Labels == nil {
		t.Fatalf("item view: %+v", it)
	}
	var it itemView
	if code, _ := call(t, h, get("/api/items/7"), &it); code != 200 || it.ID != 7 || len(it.Predicted) != 5 {
		t.Fatalf("item 7: %d %+v", code, it)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get("/api/items/7/image"))
	if img, err := png.Decode(rec.Body); rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("image: %d %v", rec.Code, err)
	}
	var q queryAnswer
	if code, _ := call(t, h, get("/api/query?id=3&to=Blond_Hair&k=5"), &q); code != 200 || len(q.Results) != 5 || q.Estimated {
		t.Fatalf("query: %d %+v", code, q)
	}
	for _, r := range q.Results {
		if r.ID == 3 || r.Distance <= 0 {
			t.Fatalf("query returned its source or no distance: %+v", r)
		}
	}
	if code, _ := call(t, h, get("/api/query?id=3&to=Young&k=6&filter=Male=%2B1"), &q); code != 200 || len(q.Results) != 6 {
		t.Fatalf("filtered query: %d %+v", code, q)
	}
	for _, r := range q.Results {
		if r.Labels["Male"] != 1 {
			t.Fatalf("filter Male=+1 admitted %+v", r)
		}
	}
	var a attrAnswer
	if code, _ := call(t, h, get("/api/query?to=Blond_Hair,Young&k=4"), &a); code != 200 || len(a.Results) != 4 {
		t.Fatalf("attribute query: %d %+v", code, a)
	}
	for _, r := range a.Results {
		if r.Labels["Blond_Hair"] != 1 || r.Labels["Young"] != 1 {
			t.Fatalf("attribute query admitted %+v", r)
		}
	}
	if code, _ := call(t, h, get("/api/query?to=Young&k=5&filter=Male=-1"), &a); code != 200 || len(a.Results) != 5 {
		t.Fatalf("filtered attribute query: %d %+v", code, a)
	}
	for _, r := range a.Results {
		if r.Labels["Young"] != 1 || r.Labels["Male"] != -1 {
			t.Fatalf("attribute query with Male=-1 admitted %+v", r)
		}
	}
	// An upload: a face file (stored already: it is that item, never its
	// own neighbour) and one of the ingested files' flipped copy.
	if code, _ := call(t, h, multipartReq(t, "/api/query", map[string]string{"to": "-Young", "k": "3"}, part{"image", "face.png", face(t, 3)}), &q); code != 200 || len(q.Results) != 3 || q.Source != "face.png" {
		t.Fatalf("upload query: %d %+v", code, q)
	}
	for _, c := range []struct {
		name string
		req  *http.Request
		code int
		want string
	}{
		{"limit 0", get("/api/items?limit=0"), 400, "limit"},
		{"limit not a number", get("/api/items?limit=x"), 400, "limit"},
		{"negative offset", get("/api/items?offset=-1"), 400, "offset"},
		{"both filters", get("/api/items?labelled=true&unlabelled=true"), 400, "exclude"},
		{"id 0", get("/api/items/0"), 400, "not an item id"},
		{"id not a number", get("/api/items/x"), 400, "not an item id"},
		{"unknown item", get("/api/items/99999"), 404, "no such item"},
		{"unknown item's image", get("/api/items/99999/image"), 404, "no such item"},
		{"query without to", get("/api/query?id=3"), 400, "to is required"},
		{"unknown attribute", get("/api/query?id=3&to=Purple_Hair"), 400, "Purple_Hair"},
		{"bad k", get("/api/query?id=3&to=Young&k=0"), 400, "k"},
		{"k too large", get("/api/query?id=3&to=Young&k=5000"), 400, "k"},
		{"bad filter", get("/api/query?id=3&to=Young&filter=Male=2"), 400, "Male"},
		{"unknown filter attribute", get("/api/query?id=3&to=Young&filter=Bogus=%2B1"), 400, "Bogus"},
		{"query of an unknown item", get("/api/query?id=99999&to=Young"), 404, "no such item"},
		{"upload not an image", multipartReq(t, "/api/query", map[string]string{"to": "Young"}, part{"image", "notes.txt", []byte("hello, not an image")}), 400, "not an image"},
		{"upload and id", multipartReq(t, "/api/query", map[string]string{"to": "Young", "id": "3"}, part{"image", "f.png", face(t, 3)}), 400, "not both"},
		{"upload over 100 megapixels", multipartReq(t, "/api/query", map[string]string{"to": "Young"}, part{"image", "huge.png", hugePNG(20000, 20000)}), 413, "too large"},
		{"translate without source", multipartReq(t, "/api/translate", map[string]string{"to": "Young"}), 400, "required"},
		{"translate without to", multipartReq(t, "/api/translate", map[string]string{"id": "3"}), 400, "to is required"},
		{"translate k over the model's", multipartReq(t, "/api/translate", map[string]string{"id": "3", "to": "Young", "k": "50"}), 400, "fuses up to"},
		{"translate bad samples", multipartReq(t, "/api/translate", map[string]string{"id": "3", "to": "Young", "samples": "99"}), 400, "samples"},
		{"unknown endpoint", get("/api/nothing"), 404, "no such endpoint"},
		{"wrong method", httptest.NewRequest(http.MethodPut, "/api/items/3", nil), 404, "no such endpoint: PUT"},
	} {
		code, body := call(t, h, c.req, nil)
		if code != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.code, c.want)
		}
	}
}

// TestAPITranslate: a stored item and an upload translated, outputs as
// PNG data URLs at the database's size, guided by k neighbours.
func TestAPITranslate(t *testing.T) {
	t.Parallel()
	h := New(shippedDB(t), nil)
	var tr rgunit.TranslationRecord
	if code, body := call(t, h, multipartReq(t, "/api/translate", map[string]string{"id": "3", "to": "Blond_Hair"}), &tr); code != 200 {
		t.Fatalf("translate: %d %s", code, body)
	}
	if len(tr.Outputs) != 1 || !tr.Retrieval || len(tr.Neighbours) == 0 || tr.Target != "Blond_Hair" || !strings.Contains(tr.TargetVals, "Blond_Hair") {
		t.Fatalf("translation: %+v", tr)
	}
	if img := decodeDataURL(t, tr.Outputs[0]); img.Bounds().Dx() != 64 {
		t.Fatalf("output %v, want 64 px", img.Bounds())
	}
	req := multipartReq(t, "/api/translate", map[string]string{"to": "-Young", "samples": "3", "k": "2"}, part{"image", "../../etc/face.png", face(t, 8)})
	if code, body := call(t, h, req, &tr); code != 200 || len(tr.Outputs) != 3 || len(tr.Neighbours) != 2 {
		t.Fatalf("upload translate: %d %s", code, body)
	}
	if tr.Input != "face.png" {
		t.Fatalf("an upload's name %q, want the base name only", tr.Input)
	}
	// A photo, for this cartoon model, comes with a warning; the model's
	// own kind of face (a mirrored copy: an upload, not a stored item)
	// does not.
	var w struct {
		Warning string `json:"warning"`
	}
	mirrored, err := bench.Mirror(face(t, 8))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, h, multipartReq(t, "/api/query", map[string]string{"to": "Young"}, part{"image", "m.png", mirrored}), &w); code != 200 || w.Warning != "" {
		t.Fatalf("a face of the model's kind: %d, warning %q", code, w.Warning)
	}
	if photo, err := os.ReadFile("../../shared/data/celeba10k/images/000123.jpg"); err == nil {
		for _, u := range []string{"/api/query", "/api/translate"} {
			if code, _ := call(t, h, multipartReq(t, u, map[string]string{"to": "Young"}, part{"image", "p.jpg", photo}), &w); code != 200 || !strings.Contains(w.Warning, "far from what the model was trained on") {
				t.Fatalf("%s of a photo: %d, warning %q", u, code, w.Warning)
			}
		}
	}
	// A GET form is a query string: the same answer.
	var again rgunit.TranslationRecord
	form := url.Values{"id": {"3"}, "to": {"Blond_Hair"}}
	req = httptest.NewRequest(http.MethodPost, "/api/translate", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, _ := call(t, h, req, &again); code != 200 || len(again.Outputs) != 1 {
		t.Fatalf("url-encoded translate: %d", code)
	}
}

// TestAPIWrite: ingest through the API (with labels), query the new
// items, delete one; a body over the limit is refused.
func TestAPIWrite(t *testing.T) {
	t.Parallel()
	db := shippedDB(t)
	h := New(db, &Options{MaxBody: 1 << 20})
	flipped := func(n int) []byte {
		b, err := bench.Mirror(face(t, n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	labels := "2\nBlack_Hair Blond_Hair Brown_Hair Male Young\nnew1.png -1 1 -1 1 1\nnew2.png 1 -1 -1 -1 -1\n"
	req := multipartReq(t, "/api/ingest", nil, part{"files", "new1.png", flipped(1)}, part{"files", "new2.png", flipped(2)},
		part{"files", "notes.png", []byte("not an image")}, part{"labels", "list_attr.txt", []byte(labels)})
	var res rgunit.IngestResult
	if code, body := call(t, h, req, &res); code != 200 || res.Added != 2 || res.Labelled != 2 || res.Skipped != 1 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	if len(res.SkippedFiles) != 1 || res.SkippedFiles[0].Path != "upload:notes.png" {
		t.Fatalf("skipped %+v, want upload:notes.png", res.SkippedFiles)
	}
	var it itemView
	if code, _ := call(t, h, httptest.NewRequest(http.MethodGet, "/api/items/301", nil), &it); code != 200 || it.Path != "upload:new1.png" || it.Labels["Blond_Hair"] != 1 || len(it.Predicted) != 5 {
		t.Fatalf("ingested item: %d %+v", code, it)
	}
	// The new items are queryable at once, by id and as neighbours.
	var q queryAnswer
	if code, _ := call(t, h, httptest.NewRequest(http.MethodGet, "/api/query?id=301&to=Blond_Hair&k=300&nearest=1", nil), &q); code != 200 || len(q.Results) != 300 {
		t.Fatalf("query of the new item: %d %d results", code, len(q.Results))
	}
	found := false
	for _, r := range q.Results {
		found = found || r.ID == 302
	}
	if !found {
		t.Fatal("the other new item is not among all 300 neighbours")
	}
	if code, _ := call(t, h, httptest.NewRequest(http.MethodDelete, "/api/items/302", nil), nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	for _, u := range []string{"/api/items/302", "/api/items/302/image"} {
		if code, _ := call(t, h, httptest.NewRequest(http.MethodGet, u, nil), nil); code != 404 {
			t.Fatalf("%s after delete: %d", u, code)
		}
	}
	if code, _ := call(t, h, httptest.NewRequest(http.MethodDelete, "/api/items/302", nil), nil); code != 404 {
		t.Fatalf("second delete: %d", code)
	}
	if code, _ := call(t, h, httptest.NewRequest(http.MethodGet, "/api/query?id=301&to=Blond_Hair&k=300&nearest=1", nil), &q); code != 200 {
		t.Fatalf("query after delete: %d", code)
	}
	for _, r := range q.Results {
		if r.ID == 302 {
			t.Fatal("a deleted item was returned")
		}
	}
	for _, c := range []struct {
		name string
		req  *http.Request
		code int
		want string
	}{
		{"over the body limit", multipartReq(t, "/api/ingest", nil, part{"files", "big.png", make([]byte, 2<<20)}), 413, "limit"},
		{"not multipart", httptest.NewRequest(http.MethodPost, "/api/ingest", strings.NewReader("x")), 400, "multipart"},
		{"no files", multipartReq(t, "/api/ingest", nil), 400, "no files"},
		{"unknown field", multipartReq(t, "/api/ingest", map[string]string{"path": "/etc/passwd"}), 400, "unknown field"},
		{"bad labels", multipartReq(t, "/api/ingest", nil, part{"files", "a.png", flipped(3)}, part{"labels", "l.txt", []byte("x\ny\n")}), 400, "labels"},
		{"delete a bad id", httptest.NewRequest(http.MethodDelete, "/api/items/abc", nil), 400, "not an item id"},
	} {
		code, body := call(t, h, c.req, nil)
		if code != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.code, c.want)
		}
	}
	if s, _ := db.Stats(); s.Items != 301 {
		t.Fatalf("%d items after the refused writes, want 301", s.Items)
	}
}

// TestSecurity: the token on every request (header, or ?token= for the
// gallery), compared as a whole; addresses beyond loopback need one; no
// CORS unless asked; the page and its files are served.
func TestSecurity(t *testing.T) {
	t.Parallel()
	db := shippedDB(t)
	h := New(db, &Options{Token: "s3cret"})
	for _, c := range []struct {
		name, url, auth string
		code            int
	}{
		{"no token", "/api/stats", "", 401},
		{"wrong token", "/api/stats", "Bearer nope", 401},
		{"a prefix of the token", "/api/stats", "Bearer s3c", 401},
		{"not bearer", "/api/stats", "Basic s3cret", 401},
		{"header", "/api/stats", "Bearer s3cret", 200},
		{"query parameter", "/api/stats?token=s3cret", "", 200},
		{"page without token", "/", "", 401},
		{"image with token", "/api/items/1/image?token=s3cret", "", 200},
	} {
		req := httptest.NewRequest(http.MethodGet, c.url, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code {
			t.Errorf("%s: %d, want %d", c.name, rec.Code, c.code)
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS header without being asked", c.name)
		}
	}
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:7860", "", true},
		{"localhost:7860", "", true},
		{"[::1]:7860", "", true},
		{"0.0.0.0:7860", "", false},
		{":7860", "", false},
		{"192.168.1.5:80", "", false},
		{"0.0.0.0:7860", "t", true},
	} {
		if err := CheckAddress(c.addr, c.token); (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrAddress)) {
			t.Errorf("CheckAddress(%q, %q) = %v", c.addr, c.token, err)
		}
	}
	open := New(db, &Options{CORSOrigin: "https://example.org"})
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.Contains(string(body), "rgunit gallery") || rec.Header().Get("Access-Control-Allow-Origin") != "https://example.org" {
		t.Fatalf("page: %d %q", rec.Code, rec.Header())
	}
	for _, f := range []string{"/static/app.js", "/static/style.css"} {
		rec := httptest.NewRecorder()
		open.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, f, nil))
		if rec.Code != 200 || rec.Body.Len() < 500 {
			t.Errorf("%s: %d, %d bytes", f, rec.Code, rec.Body.Len())
		}
	}
}
