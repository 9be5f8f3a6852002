package generator

// TestOverfit's budget and threshold: 150 steps at batch 4 take about a
// minute on 2 cores; the reconstruction L1 must fall below this fraction of
// the best constant image's L1.
const (
	overfitSteps    = 150
	overfitBatch    = 4
	overfitFraction = 0.6
	overfitLR       = 1e-3 // 10x the default: a minute is short
)
