#!/usr/bin/env bash
# Trains the shipped default model (models/default.rgm) from scratch:
# stages 1-3 on faces12k_64 with the default recipe (docs/recipe.md), then
# exports the bundle with a record of this command, the data and the
# commit. About 2 hours on 2 cores at 32 px when measured, before stage 1's
# step went from 0.27 to 0.16 s (docs/recipe.md, Speed).
#
#   bash scripts/train-default.sh [DATA [DB]]
#
# DATA defaults to ../shared/data/faces12k_64, DB to faces-default.db (kept,
# so that the benches can run on it afterwards). Every step resumes where it
# stopped when the script is run again. SIZE=64 trains at 64 px; INIT=default
# then warm-starts stage 1 from the shipped model's weights (E_c and G are
# fully convolutional). OUT is the bundle written (models/default.rgm).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/faces12k_64}
db=${2:-faces-default.db}
stage1_steps=${STAGE1_STEPS:-16000}
retrieval_steps=${RETRIEVAL_STEPS:-800}
rg_steps=${RG_STEPS:-3000}
size=${SIZE:-32}
init=${INIT:-}
out=${OUT:-models/default.rgm}

go build -o rgunit ./cmd/rgunit
./rgunit ingest "$data" --labels "$data/list_attr.txt" --db "$db" --size "$size" --model none -q
./rgunit train unit --db "$db" --size "$size" ${init:+--init "$init"} --steps "$stage1_steps" --recipe default --checkpoint-every 200 --json -q
# Hard negatives: the best attribute P@10 of docs/retrieval.md's Table 1
# (0.873 vs 0.724 for all four kinds), with the pool and steps measured there.
./rgunit train retrieval --db "$db" --negatives hard --pool 3072 --steps "$retrieval_steps" -q
./rgunit train rg --db "$db" --steps "$rg_steps" --recipe default -q
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
./rgunit model export --db "$db" --out "$out" \
  --command "bash scripts/train-default.sh (STAGE1_STEPS=$stage1_steps RETRIEVAL_STEPS=$retrieval_steps RG_STEPS=$rg_steps SIZE=$size INIT=$init): ingest --size $size --model none; train unit --size $size${init:+ --init $init} --steps $stage1_steps --recipe default; train retrieval --negatives hard --pool 3072 --steps $retrieval_steps; train rg --steps $rg_steps --recipe default" \
  --data "faces12k_64: $(ls "$data" | grep -c '\.png$') procedural faces, labels $data/list_attr.txt" \
  --commit "$commit"
./rgunit model info "$out"
