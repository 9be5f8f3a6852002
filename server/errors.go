package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"rgunit"
	"rgunit/embed"
	"rgunit/guided"
	"rgunit/imageio"
	"rgunit/ingest"
	"rgunit/retrieval"
	"rgunit/storage"
)

// httpError is an error with the status it answers.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func errNotFound(msg string) error { return &httpError{code: http.StatusNotFound, msg: msg} }

// formError is the answer to a form that could not be read: too large, or
// malformed.
func formError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &httpError{code: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body over the server's limit of %d bytes (rgunit serve --max-body)", mb.Limit)}
	}
	return badRequest("malformed form: %v", err)
}

// statuses maps the library's errors to answers: bad input is the
// client's (4xx), anything else a fault (500).
var statuses = []struct {
	err  error
	code int
}{
	{rgunit.ErrFilter, http.StatusBadRequest},
	{rgunit.ErrRequest, http.StatusBadRequest},
	{embed.ErrAttribute, http.StatusBadRequest},
	{retrieval.ErrQuery, http.StatusBadRequest},
	{ingest.ErrLabels, http.StatusBadRequest},
	{ingest.ErrPath, http.StatusBadRequest},
	{imageio.ErrEmpty, http.StatusBadRequest},
	{imageio.ErrNotImage, http.StatusBadRequest},
	{imageio.ErrUnsupported, http.StatusBadRequest},
	{imageio.ErrCorrupt, http.StatusBadRequest},
	{imageio.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{storage.ErrNotFound, http.StatusNotFound},
	{retrieval.ErrEmpty, http.StatusConflict},
	{rgunit.ErrNoModels, http.StatusConflict},
	{guided.ErrNoModel, http.StatusConflict},
	{guided.ErrNoNeighbours, http.StatusConflict},
	{storage.ErrReadOnly, http.StatusConflict},
}

// writeError answers err as {"error": "..."} with its status.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.As(err, &mb):
		err, code = formError(err), http.StatusRequestEntityTooLarge
	default:
		for _, s := range statuses {
			if errors.Is(err, s.err) {
				code = s.code
				break
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
