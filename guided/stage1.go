package guided

import (
	"errors"
	"fmt"

	"rgunit/generator"
	"rgunit/retrieval"
	"rgunit/storage"
)

// LoadStage1 is the stage-1 model a database translates with when it is
// not guided: the inference weights of its latest GMM-UNIT checkpoint, or,
// in a database that got its models from a bundle, the retrieval model's
// frozen stage 1.
func LoadStage1(st *storage.Store) (*generator.UNIT, error) {
	u, _, err := generator.LoadLatest(st)
	if errors.Is(err, storage.ErrNotFound) {
		m, _, rerr := retrieval.Load(st)
		if rerr != nil {
			return nil, fmt.Errorf("%s has no GMM-UNIT model yet: train one with rgunit train unit", st.Path())
		}
		return m.Stage1, nil
	}
	if err != nil {
		return nil, err
	}
	return u.Inference(), nil
}
