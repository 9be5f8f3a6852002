package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"rgunit"
	"rgunit/ingest"
)

// ingest adds the images of a multipart upload (fields named files; an
// optional labels file in list_attr format in the field labels), indexes
// them, and answers the ingest summary: they are queryable when it
// returns. Uploads are recorded as upload:NAME.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("POST /api/ingest takes multipart/form-data: image files in fields named files, an optional labels file in labels")
	}
	dir, err := os.MkdirTemp("", "rgunit-upload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var paths []string
	names := map[string]string{} // temporary path -> upload name
	var labels *ingest.LabelTable
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return formError(err)
		}
		switch part.FormName() {
		case "files":
			p, err := savePart(dir, len(paths), part)
			if err != nil {
				return formError(err)
			}
			paths = append(paths, p)
			names[p] = "upload:" + uploadName(part.FileName())
		case "labels":
			if labels, err = ingest.ParseLabels(part, "labels"); err != nil {
				return err
			}
		default:
			return badRequest("unknown field %q: send files and, optionally, labels", part.FormName())
		}
	}
	if len(paths) == 0 {
		return badRequest("no files: send the images in multipart fields named files")
	}
	s.write.Lock()
	defer s.write.Unlock()
	res, err := s.db.Ingest(r.Context(), paths, rgunit.IngestOptions{Labels: labels,
		StoredPath: func(abs string) string {
			if n, ok := names[abs]; ok {
				return n
			}
			return "upload:" + filepath.Base(abs)
		}})
	if err != nil {
		return err
	}
	return writeJSON(w, res)
}

// savePart writes an uploaded file as dir/N/NAME (its own folder keeps
// its name for the labels' rows to match).
func savePart(dir string, n int, part *multipart.Part) (string, error) {
	sub := filepath.Join(dir, fmt.Sprintf("%06d", n))
	if err := os.Mkdir(sub, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(sub, uploadName(part.FileName()))
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, part); err != nil {
		f.Close()
		return "", err
	}
	return p, f.Close()
}

// uploadName is a safe file name for an upload: the base name it was
// sent with, without separators or control characters ("upload" when
// nothing is left).
func uploadName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	return name
}
