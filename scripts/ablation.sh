#!/usr/bin/env bash
# The stage-1 recipe ablation of docs/recipe.md: the default recipe, the
# first recipe, and the default recipe without each of its parts, each
# trained for the same steps with the same seed on a copy of one database,
# then scored by `bench translate --no-retrieval` on the same held-back
# inputs, targets and paired ground truth. The moving average is scored on
# the default run itself (--raw-weights: it does not change training).
#
#   bash scripts/ablation.sh BASE_DB PAIRS OUTDIR [STEPS]
#
# BASE_DB: the faces, ingested with --model none, with an evaluation
# classifier (rgunit train classifier). PAIRS: facegen pairs of its
# held-back faces (docs/stage3.md says how). Two runs at a time, one core
# each (GOMAXPROCS=1), under nice; every run resumes when the script is run
# again. Results: OUTDIR/<run>.json, one line per run in OUTDIR/summary.tsv.
# About 20 minutes per run on one core at 2000 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 pairs=$2 out=$3 steps=${4:-1500}
mkdir -p "$out"
go build -o "$out/rgunit" ./cmd/rgunit
bin=$out/rgunit
# RUNS: the runs to make (default: every part of the recipe, and the two
# layouts tried on top of it and left out).
runs=${RUNS:-"default first rec-mu kl-per-attr style-swap ref-pass code-detach multiscale-d layer-norm schedule plus-out-3x3 plus-out-3x3-free-style"}

one() { # one run: train, then score
  local run=$1 db=$out/$1.db flags=()
  case $run in
    default) ;;
    first) flags=(--recipe first) ;;
    plus-out-3x3) flags=(--out-kernel 3) ;;
    plus-out-3x3-free-style) flags=(--out-kernel 3 --free-dims 8) ;;
    *) flags=(--without "$run") ;;
  esac
  [ -f "$db" ] || cp "$base" "$db"
  GOMAXPROCS=1 nice -n 10 "$bin" train unit --db "$db" --steps "$steps" --seed 1 -q "${flags[@]}"
  GOMAXPROCS=1 nice -n 10 "$bin" bench translate --db "$db" --no-retrieval --n 600 --pairs "$pairs" --json > "$out/$run.json"
  if [ "$run" = default ]; then
    GOMAXPROCS=1 nice -n 10 "$bin" bench translate --db "$db" --no-retrieval --raw-weights --n 600 --pairs "$pairs" --json > "$out/ema.json"
  fi
}
export -f one
export out steps base pairs bin
printf '%s\n' $runs | xargs -P 2 -I{} bash -c 'one {}'
printf 'run\ttarget_acc\tmale_acc\tfd_cls\tspeckle\tl1_hair\tl1_age\tssim_hair\n' > "$out/summary.tsv"
for f in "$out"/*.json; do
  python3 - "$f" >> "$out/summary.tsv" <<'PY'
import json, sys, os
t = json.load(open(sys.argv[1]))
r = t["rows"][0]
p = r.get("paired") or {}
name = os.path.basename(sys.argv[1])[:-5]
print("\t".join([name, "%.4f" % r["target_acc"], "%.4f" % r["target_acc_per_attr"][3], "%.3f" % r["fd_cls"], "%.2f" % r["speckle"],
                 "%.4f" % p.get("paired_l1_hair", 0), "%.4f" % p.get("paired_l1_age", 0), "%.4f" % p.get("paired_ssim_hair", 0)]))
PY
done
column -t "$out/summary.tsv"
