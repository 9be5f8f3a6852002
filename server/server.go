package server

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"rgunit"
)

// Defaults of Options.
const (
	DefaultMaxBody = 64 << 20 // bytes of one request body
	maxFormMemory  = 8 << 20  // multipart parts above this go to temporary files
)

// Options configure a Server. The zero value serves without a token,
// with request bodies up to DefaultMaxBody and no CORS headers.
type Options struct {
	// Token, if set, is required on every request as
	// "Authorization: Bearer TOKEN" (compared in constant time).
	Token string
	// MaxBody bounds a request body in bytes (0: DefaultMaxBody).
	MaxBody int64
	// CORSOrigin, if set, is sent as Access-Control-Allow-Origin (none
	// unless asked for).
	CORSOrigin string
}

// Server answers the JSON API and serves the gallery over one database.
// Reads run concurrently; ingests and deletes are serialized (one writer),
// and reads run alongside them.
type Server struct {
	db  *rgunit.DB
	o   Options
	mux *http.ServeMux
	// write serializes the requests that change the database.
	write sync.Mutex
	// warnings remembers uploads' domain checks by content (see
	// domainWarning).
	warnMu   sync.Mutex
	warnings map[[32]byte]string
}

//go:embed web
var webFiles embed.FS

// New returns a server over db, which the caller opened for writing and
// closes after the server is done.
func New(db *rgunit.DB, o *Options) *Server {
	s := &Server{db: db, mux: http.NewServeMux()}
	if o != nil {
		s.o = *o
	}
	if s.o.MaxBody <= 0 {
		s.o.MaxBody = DefaultMaxBody
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				writeError(w, err)
			}
		})
	}
	api("GET /api/stats", s.stats)
	api("GET /api/items", s.items)
	api("GET /api/items/{id}", s.item)
	api("GET /api/items/{id}/image", s.image)
	api("DELETE /api/items/{id}", s.remove)
	api("GET /api/query", s.query)
	api("POST /api/query", s.query)
	api("POST /api/translate", s.translate)
	api("POST /api/ingest", s.ingest)
	api("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return errNotFound("no such endpoint: " + r.Method + " " + r.URL.Path)
	})
	web, _ := fs.Sub(webFiles, "web")
	files := http.FileServerFS(web)
	page, _ := fs.ReadFile(web, "index.html")
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		body := page
		if tok := r.URL.Query().Get("token"); tok != "" {
			// The page's own files carry the token too (a <script> sends
			// no header); it passed the check already.
			body = bytes.ReplaceAll(page, []byte(`.css"`), []byte(`.css?token=`+url.QueryEscape(tok)+`"`))
			body = bytes.ReplaceAll(body, []byte(`.js"`), []byte(`.js?token=`+url.QueryEscape(tok)+`"`))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body)
	})
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", files))
}

// ServeHTTP checks the token and the body's size, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if s.o.CORSOrigin != "" {
		h.Set("Access-Control-Allow-Origin", s.o.CORSOrigin)
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if s.o.Token != "" && !s.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer realm="rgunit"`)
		writeError(w, &httpError{code: http.StatusUnauthorized, msg: "a bearer token is required (Authorization: Bearer TOKEN, or ?token= for the gallery)"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBody)
	s.mux.ServeHTTP(w, r)
}

// authorized compares the request's token with the server's in constant
// time. The gallery's page and images may carry it as ?token= (an <img>
// cannot send a header); the API takes the header too.
func (s *Server) authorized(r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); a != "" {
		var ok bool
		if got, ok = strings.CutPrefix(a, "Bearer "); !ok {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) == 1
}

// ErrAddress: a server on an address other than loopback without a token.
var ErrAddress = errors.New("server: refusing to serve beyond this machine without a token (pass --token)")

// CheckAddress refuses an address other than a loopback one unless a
// token is set: the database would be open to the network.
func CheckAddress(addr, token string) error {
	if token != "" {
		return nil
	}
	host := addr
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		host = addr[:i]
	}
	host = strings.Trim(host, "[]")
	switch host {
	case "127.0.0.1", "localhost", "::1":
		return nil
	}
	if strings.HasPrefix(host, "127.") {
		return nil
	}
	return ErrAddress
}
