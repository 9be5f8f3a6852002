#!/usr/bin/env bash
# Table 2 of docs/stage3.md for the database scripts/train-default.sh
# leaves: a compute-matched control (stage 1 trained on for as many steps as
# stage 3 took), the evaluation classifier, facegen's paired ground truth
# for the held-back faces, then `rgunit bench translate` at two seeds, with
# the HTML report and the grids.
#
#   bash scripts/table2.sh [DB [OUT]]
#
# DB defaults to faces-default.db, OUT (JSON, report, grids) to
# table2-out. STAGE1_STEPS and RG_STEPS must be train-default.sh's (8,000
# and 3,000 for the 64 px default), REACH the bundle's (5). The
# pairs need facegen (../shared/tools/facegen/README.md: node, with facesjs
# and resvg installed in $FACEGEN, default ../facegen); without it the
# paired columns are left out. Finished steps are skipped when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-faces-default.db}
out=${2:-table2-out}
data=${DATA:-../shared/data/faces12k_64}
facegen=${FACEGEN:-../facegen}
stage1_steps=${STAGE1_STEPS:-8000}
reach=${REACH:-5}
rg_steps=${RG_STEPS:-3000}
mkdir -p "$out"
go build -o rgunit ./cmd/rgunit

# The control: the same stage 1, trained on for as many steps as stage 3.
[ -f "$out/ctrl.db" ] || cp "$db" "$out/ctrl.db"
./rgunit train unit --db "$out/ctrl.db" --steps $((stage1_steps + rg_steps)) -q
./rgunit train classifier --db "$db" --steps 2500 -q

pairs=()
if [ -f "$facegen/gen_faces.mjs" ] && command -v node >/dev/null; then
  if [ ! -f "$out/pairs/pairs.txt" ]; then
    # The held-back faces (one id in ten by split.HeldBack's hash;
    # ids follow faces.jsonl's order), re-rendered with each other hair
    # colour and the other age.
    ./rgunit ls --db "$db" --json | python3 -c '
import json, sys
held = set()
for line in sys.stdin:
    it = json.loads(line)
    x = (it["id"] + 0x9e3779b97f4a7c15) & (2**64 - 1)
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & (2**64 - 1)
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & (2**64 - 1)
    x ^= x >> 31
    if x % 10 == 0:
        held.add(it["path"].rsplit("/", 1)[-1])
for line in open(sys.argv[1]):
    if json.loads(line)["name"] in held:
        sys.stdout.write(line)
' "$data/faces.jsonl" > "$out/held.jsonl"
    (cd "$facegen" && node gen_faces.mjs pairs "$OLDPWD/$out/held.jsonl" "$OLDPWD/$out/pairs" 64)
  fi
  pairs=(--pairs "$out/pairs")
fi
for seed in 1 2; do
  ./rgunit bench translate --db "$db" --n 600 "${pairs[@]}" --baseline "$out/ctrl.db" --reach "$reach" --seed "$seed" --json \
    --html "$out/report-seed$seed.html" --grid "$out/grid-seed$seed.png" > "$out/table2-seed$seed.json"
done
echo "Table 2: $out/table2-seed1.json, $out/table2-seed2.json; report $out/report-seed1.html"
