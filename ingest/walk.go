package ingest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// source is one candidate file.
type source struct {
	abs      string // absolute path, stored as the item's source path
	rel      string // slash path relative to the root it was found under
	explicit bool   // named on the command line: never silently ignored
}

// collect expands the input paths into files, folders walked recursively in
// lexical order. A path that does not exist is an error (before anything is
// written); a file reached twice is listed once.
func collect(paths []string) ([]source, error) {
	var out []source
	seen := map[string]bool{}
	add := func(s source) {
		if !seen[s.abs] {
			seen[s.abs] = true
			out = append(out, s)
		}
	}
	if err := CheckPaths(paths); err != nil {
		return nil, err
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrPath, p, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPath, err)
		}
		if !fi.IsDir() {
			add(source{abs: abs, rel: filepath.Base(abs), explicit: true})
			continue
		}
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path == abs {
					return err
				}
				return nil // unreadable sub-folder: nothing to ingest from it
			}
			if path != abs && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			rel, err := filepath.Rel(abs, path)
			if err != nil {
				return err
			}
			add(source{abs: path, rel: filepath.ToSlash(rel)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrPath, p, err)
		}
	}
	return out, nil
}

// CheckPaths refuses empty input paths: filepath.Abs("") is the working
// directory, which a script with an unset variable did not mean to ingest.
func CheckPaths(paths []string) error {
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("%w: an empty path (an unset variable?); name the folder, . for the current one", ErrPath)
		}
	}
	return nil
}
