package rgunit

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"rgunit/guided"
	"rgunit/models"
)

// VersionInfo says which rgunit this is: the module version and the
// commit it was built from (with whether the tree had changes), the Go
// version, and the embedded default model's bundle id.
type VersionInfo struct {
	Version      string `json:"version"`            // the module's, "(devel)" for a source build
	Commit       string `json:"commit,omitempty"`   // VCS revision, when the build recorded it
	Modified     bool   `json:"modified,omitempty"` // the tree had uncommitted changes
	CommitTime   string `json:"commit_time,omitempty"`
	Go           string `json:"go"`
	DefaultModel string `json:"default_model"` // the embedded bundle's id
}

// Version reads the build information of the running binary.
func Version() VersionInfo {
	v := VersionInfo{Version: "(unknown)", Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			case "vcs.time":
				v.CommitTime = s.Value
			}
		}
	}
	if b, err := guided.DecodeBundle(models.Default); err == nil {
		v.DefaultModel = b.Provenance.ID()
	}
	return v
}

// String is the version on one line, as rgunit --version prints it.
func (v VersionInfo) String() string {
	s := "rgunit " + v.Version
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + fmt.Sprintf(", %s, default model %s", v.Go, v.DefaultModel)
}
