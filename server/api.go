package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"rgunit"
	"rgunit/imageio"
)

// Limits of a request's parameters.
const (
	maxK        = 1000 // neighbours of one query
	maxLimit    = 1000 // items of one page
	maxSamples  = 16   // outputs of one translation
	maxWarnings = 256  // uploads whose domain check is remembered
)

// statsAnswer is rgunit stats --json with the attributes the model
// knows (none without a model).
type statsAnswer struct {
	*rgunit.Stats
	ModelAttributes []string `json:"model_attributes"`
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.Stats()
	if err != nil {
		return err
	}
	attrs, err := s.db.Attributes()
	if err != nil && !errors.Is(err, rgunit.ErrNoModels) {
		return err
	}
	return writeJSON(w, statsAnswer{Stats: st, ModelAttributes: append([]string{}, attrs...)})
}

// itemView is an item as the API shows it: its record, the attributes
// the model predicts for it, and where its image is.
type itemView struct {
	rgunit.Item
	Predicted map[string]float32 `json:"predicted,omitempty"`
	Image     string             `json:"image"`
}

func (s *Server) view(it rgunit.Item) (itemView, error) {
	p, err := s.db.Predicted(it.ID)
	return itemView{Item: it, Predicted: p, Image: fmt.Sprintf("/api/items/%d/image", it.ID)}, err
}

// itemsPage is the answer of GET /api/items.
type itemsPage struct {
	Items  []itemView `json:"items"`
	Offset int        `json:"offset"`
	Limit  int        `json:"limit"`
	Total  int        `json:"total"` // items the filter selects
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := rgunit.ItemFilter{Labelled: q.Get("labelled") == "true", Unlabelled: q.Get("unlabelled") == "true"}
	var err error
	if f.Offset, err = intParam(q.Get("offset"), "offset", 0, 0, 1<<40); err != nil {
		return err
	}
	if f.Limit, err = intParam(q.Get("limit"), "limit", 50, 1, maxLimit); err != nil {
		return err
	}
	page := itemsPage{Items: []itemView{}, Offset: f.Offset, Limit: f.Limit}
	all := f
	all.Offset, all.Limit = 0, 0
	err = s.db.EachItem(r.Context(), all, func(it rgunit.Item) error {
		page.Total++
		if page.Total <= f.Offset || len(page.Items) >= f.Limit {
			return nil
		}
		v, err := s.view(it)
		page.Items = append(page.Items, v)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, page)
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := s.db.Item(id)
	if err != nil {
		return err
	}
	v, err := s.view(it)
	if err != nil {
		return err
	}
	return writeJSON(w, v)
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	png, err := s.db.Image(id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, err = w.Write(png)
	return err
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s.write.Lock()
	defer s.write.Unlock()
	if err := s.db.Remove(r.Context(), id); err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"removed": []uint64{id}})
}

// queryAnswer is the answer of /api/query with a source: the neighbours
// as rgunit query --json prints them, with what the query read.
type queryAnswer struct {
	Results   []rgunit.Hit `json:"results"`
	Source    string       `json:"source"`
	Estimated bool         `json:"estimated"` // the source's attributes came from E_a
	Partial   bool         `json:"partial,omitempty"`
	// Warning says when an upload lies far from the model's training
	// images (see rgunit.DomainCheck).
	Warning string `json:"warning,omitempty"`
}

// attrAnswer is the answer of /api/query without a source.
type attrAnswer struct {
	Results []rgunit.AttrHit `json:"results"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) error {
	src, err := s.source(r)
	if err != nil {
		return err
	}
	to := r.FormValue("to")
	if to == "" {
		return badRequest("to is required: the target attributes, e.g. Blond_Hair,-Young")
	}
	k, err := intParam(r.FormValue("k"), "k", 10, 1, maxK)
	if err != nil {
		return err
	}
	if src.name == "" {
		res, err := s.db.QueryAttrs(r.Context(), to, k, r.Form["filter"]...)
		if err != nil {
			return err
		}
		return writeJSON(w, attrAnswer{Results: rgunit.AttrHits(res, "")})
	}
	var loaded *rgunit.Source // read once: for the query and the domain check
	if src.data != nil {
		loaded, err = s.db.LoadUpload(src.name, src.data)
	} else {
		loaded, err = s.db.LoadQuerySource(src.name)
	}
	if err != nil {
		return err
	}
	res, err := s.db.QuerySource(r.Context(), loaded, rgunit.Query{Targets: to, K: k, Filters: r.Form["filter"], Nearest: r.FormValue("nearest") == "1"})
	if err != nil {
		return err
	}
	return writeJSON(w, queryAnswer{Results: rgunit.Hits(res, "", ""), Source: src.name, Estimated: res.Estimated,
		Partial: res.Partial, Warning: s.domainWarning(src, loaded)})
}

func (s *Server) translate(w http.ResponseWriter, r *http.Request) error {
	src, err := s.source(r)
	if err != nil {
		return err
	}
	if src.name == "" {
		return badRequest("an image to translate is required: a multipart field image, or id")
	}
	to := r.FormValue("to")
	if to == "" {
		return badRequest("to is required: the target attributes, e.g. Blond_Hair,-Young")
	}
	req := rgunit.Request{Source: src.name, Image: src.data, Targets: to, Seed: 1}
	if req.Samples, err = intParam(r.FormValue("samples"), "samples", 1, 1, maxSamples); err != nil {
		return err
	}
	if req.K, err = intParam(r.FormValue("k"), "k", 0, 0, maxK); err != nil {
		return err
	}
	if seed := r.FormValue("seed"); seed != "" {
		if req.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
			return badRequest("seed %q: want a non-negative integer", seed)
		}
	}
	req.NoRetrieval = r.FormValue("retrieval") == "false"
	t, err := s.db.Translator(req.TranslatorOptions)
	if err != nil {
		return err
	}
	tr, err := s.db.Translate(r.Context(), req)
	if err != nil {
		return err
	}
	rec := translateAnswer{TranslationRecord: t.Record(tr), Warning: s.domainWarning(src, nil)}
	for i := range tr.Outputs {
		png, err := imageio.EncodePNG(tr.ImageAt(i, s.db.Store().ImageSize()))
		if err != nil {
			return err
		}
		rec.Outputs = append(rec.Outputs, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
	}
	return writeJSON(w, rec)
}

// translateAnswer is rgunit translate --json's record, with the outputs
// as PNG data URLs and the upload's domain warning.
type translateAnswer struct {
	rgunit.TranslationRecord
	Warning string `json:"warning,omitempty"`
}

// domainWarning checks an upload against the model's training images
// ("" for a stored item, which ingest checked, or no warning), once per
// upload's content: the gallery sends each upload to query and to
// translate. loaded is the upload as read already (nil: read it here).
func (s *Server) domainWarning(src source, loaded *rgunit.Source) string {
	if src.data == nil {
		return ""
	}
	sum := sha256.Sum256(src.data)
	s.warnMu.Lock()
	w, seen := s.warnings[sum]
	s.warnMu.Unlock()
	if seen {
		return w
	}
	if loaded == nil {
		var err error
		if loaded, err = s.db.LoadUpload(src.name, src.data); err != nil {
			return ""
		}
	}
	if loaded.ID == 0 {
		c, _ := s.db.CheckSourceDomain(loaded)
		w = c.Warning()
	}
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	if s.warnings == nil || len(s.warnings) >= maxWarnings {
		s.warnings = map[[32]byte]string{}
	}
	s.warnings[sum] = w
	return w
}

// source is a request's image: a stored item (id), an upload (the
// multipart field image) or none.
type source struct {
	name string // "id:N" or the upload's file name; "" for none
	data []byte // the upload's bytes
}

// source reads the request's form (multipart or not) and its source.
func (s *Server) source(r *http.Request) (source, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxFormMemory); err != nil {
			return source{}, formError(err)
		}
	} else if err := r.ParseForm(); err != nil {
		return source{}, formError(err)
	}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["image"]; len(fhs) > 0 {
			if r.FormValue("id") != "" {
				return source{}, badRequest("send an image or an id, not both")
			}
			f, err := fhs[0].Open()
			if err != nil {
				return source{}, err
			}
			defer f.Close()
			data, err := io.ReadAll(f)
			if err != nil {
				return source{}, err
			}
			if _, err := imageio.Sniff(data); err != nil {
				return source{}, err
			}
			name := uploadName(fhs[0].Filename)
			return source{name: name, data: data}, nil
		}
	}
	if v := r.FormValue("id"); v != "" {
		id, err := rgunit.ParseID(v)
		if err != nil {
			return source{}, badRequest("id: %v", err)
		}
		return source{name: fmt.Sprintf("id:%d", id)}, nil
	}
	return source{}, nil
}

// pathID is the item id of the request's path.
func pathID(r *http.Request) (uint64, error) {
	id, err := rgunit.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, badRequest("%v", err)
	}
	return id, nil
}

// intParam reads an integer parameter in [lo, hi], def when absent.
func intParam(v, name string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s %q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}
