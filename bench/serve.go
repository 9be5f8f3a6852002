package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// ServeOptions configure Serve, a load on a running rgunit serve.
type ServeOptions struct {
	URL      string        // the server's base URL
	Token    string        // its bearer token, if any
	Clients  int           // concurrent query clients (0: 8)
	Duration time.Duration // how long they query (0: 20 s)
	Targets  []string      // query targets, cycled (default: the hair colours)
	Queries  [][]byte      // image files the clients upload with a target, cycled
	Ingest   []File        // images POSTed to /api/ingest while the clients query
	Batch    int           // images per ingest request (0: 10)
}

// File is a named image file.
type File struct {
	Name string
	Data []byte
}

// ServeResult is what a load measured.
type ServeResult struct {
	Clients    int     `json:"clients"`
	Seconds    float64 `json:"seconds"`
	Queries    int     `json:"queries"` // answered 200
	Failed     int     `json:"failed"`  // any other answer, or no answer
	QPS        float64 `json:"qps"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
	// The concurrent ingest: requests, failures, images added, and how
	// many of them a query by id answered afterwards.
	IngestRequests int     `json:"ingest_requests"`
	IngestFailed   int     `json:"ingest_failed"`
	Ingested       int     `json:"ingested"`
	IngestSeconds  float64 `json:"ingest_seconds"`
	Queryable      int     `json:"queryable"`
}

// Serve runs Clients clients that each send image+target queries (POST
// /api/query with an upload) one after another for Duration while one
// more client ingests o.Ingest in batches, then checks that every
// ingested item answers a query by id.
func Serve(ctx context.Context, o ServeOptions) (*ServeResult, error) {
	if o.Clients <= 0 {
		o.Clients = 8
	}
	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	if len(o.Targets) == 0 {
		o.Targets = []string{"Blond_Hair", "Black_Hair", "Brown_Hair"}
	}
	if len(o.Queries) == 0 {
		return nil, errors.New("bench: serve needs query images")
	}
	c := &client{base: strings.TrimSuffix(o.URL, "/"), token: o.Token, http: &http.Client{Timeout: time.Minute}}
	before, err := c.total(ctx)
	if err != nil {
		return nil, err
	}
	r := &serveRun{c: c, o: o, res: &ServeResult{Clients: o.Clients}}
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for w := range o.Clients {
		wg.Go(func() { r.query(ctx, w, deadline) })
	}
	wg.Go(func() { r.ingest(ctx) })
	wg.Wait()
	res := r.summary(time.Since(start))
	if res.Queryable, err = c.queryable(ctx, before, o.Targets[0]); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// serveRun is one Serve: its clients' latencies and failures, and the
// ingest beside them.
type serveRun struct {
	c   *client
	o   ServeOptions
	mu  sync.Mutex
	res *ServeResult
	lat []time.Duration
}

// query is client w's loop: queries by upload, one target after another,
// until the deadline.
func (r *serveRun) query(ctx context.Context, w int, deadline time.Time) {
	o := r.o
	for i := w; time.Now().Before(deadline) && ctx.Err() == nil; i += o.Clients {
		body, ctype := form(map[string]string{"to": o.Targets[i%len(o.Targets)], "k": "10"}, "image", File{Name: "q.png", Data: o.Queries[i%len(o.Queries)]})
		t0 := time.Now()
		err := r.c.do(ctx, http.MethodPost, "/api/query", body, ctype, nil)
		d := time.Since(t0)
		r.mu.Lock()
		if err != nil {
			r.res.Failed++
			if r.res.FirstError == "" {
				r.res.FirstError = err.Error()
			}
		} else {
			r.lat = append(r.lat, d)
		}
		r.mu.Unlock()
	}
}

// ingest uploads the files to ingest in batches while the clients query.
func (r *serveRun) ingest(ctx context.Context) {
	t0 := time.Now()
	for b := 0; b < len(r.o.Ingest) && ctx.Err() == nil; b += r.o.Batch {
		var sum struct {
			Added int `json:"added"`
		}
		body, ctype := form(nil, "files", r.o.Ingest[b:min(b+r.o.Batch, len(r.o.Ingest))]...)
		err := r.c.do(ctx, http.MethodPost, "/api/ingest", body, ctype, &sum)
		r.mu.Lock()
		r.res.IngestRequests++
		if err != nil {
			r.res.IngestFailed++
			if r.res.FirstError == "" {
				r.res.FirstError = "ingest: " + err.Error()
			}
		}
		r.res.Ingested += sum.Added
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.res.IngestSeconds = time.Since(t0).Seconds()
	r.mu.Unlock()
}

// summary is the result after a run of elapsed: rate and latency
// quantiles.
func (r *serveRun) summary(elapsed time.Duration) *ServeResult {
	res, lat := r.res, r.lat
	res.Seconds = elapsed.Seconds()
	res.Queries = len(lat)
	res.QPS = float64(len(lat)) / res.Seconds
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		res.P50Ms, res.P90Ms, res.P99Ms, res.MaxMs = q(0.5), q(0.9), q(0.99), float64(lat[len(lat)-1].Microseconds())/1000
	}
	return res
}

// client is an HTTP client of the API.
type client struct {
	base, token string
	http        *http.Client
}

// do sends a request and decodes a 200 answer into out; any other
// answer is an error with the server's message.
func (c *client) do(ctx context.Context, method, path string, body io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// total is the number of items the server holds.
func (c *client) total(ctx context.Context) (int, error) {
	var page struct {
		Total int `json:"total"`
	}
	err := c.do(ctx, http.MethodGet, "/api/items?limit=1", nil, "", &page)
	return page.Total, err
}

// queryable counts the items after the first skip that answer a query by
// id.
func (c *client) queryable(ctx context.Context, skip int, target string) (int, error) {
	n := 0
	for off := skip; ; off += 1000 {
		var page struct {
			Items []struct {
				ID uint64 `json:"id"`
			} `json:"items"`
		}
		if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/items?offset=%d&limit=1000", off), nil, "", &page); err != nil {
			return n, err
		}
		for _, it := range page.Items {
			if c.do(ctx, http.MethodGet, fmt.Sprintf("/api/query?id=%d&to=%s&k=1", it.ID, target), nil, "", nil) == nil {
				n++
			}
		}
		if len(page.Items) < 1000 {
			return n, nil
		}
	}
}

// form encodes a multipart form: fields, and files under field.
func form(fields map[string]string, field string, files ...File) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile(field, f.Name)
		fw.Write(f.Data)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

// Mirror returns a PNG file's image mirrored left to right, as a PNG: a
// new image (another hash) of the same kind, for loads that ingest.
func Mirror(data []byte) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	var buf bytes.Buffer
	err = png.Encode(&buf, out)
	return buf.Bytes(), err
}

// WriteText writes a load's figures.
func (r *ServeResult) WriteText(w io.Writer, what string) {
	fmt.Fprintf(w, "%s: %d clients, %.1f s: %d queries, %d failed, %.1f queries/s, latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		what, r.Clients, r.Seconds, r.Queries, r.Failed, r.QPS, r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs)
	if r.IngestRequests > 0 {
		fmt.Fprintf(w, "  ingest alongside: %d requests (%d failed) added %d images in %.1f s; %d of them answer a query by id\n",
			r.IngestRequests, r.IngestFailed, r.Ingested, r.IngestSeconds, r.Queryable)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
}
