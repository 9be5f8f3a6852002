#!/usr/bin/env bash
# Trains the photo model (models/celeba64.rgm, issue "Real photos"): stages
# 1-3 on ../shared/data/celeba10k at 64 px with the default recipe
# (docs/recipe.md), stage 1 warm-started from INIT's weights (default: the
# shipped default model; E_c and G are fully convolutional), then exports
# the bundle with a record of this command, the data and the commit. The
# shipped celeba64.rgm started from the 32 px default that shipped before
# 2026-12-03: `git show 5f04121:models/default.rgm > default-32.rgm` and
# INIT=default-32.rgm repeat that.
#
#   bash scripts/train-celeba64.sh [DATA [DB]]
#
# DATA defaults to ../shared/data/celeba10k, DB to celeba64.db (kept for
# the benches). Every step resumes where it stopped when the script is run
# again; run it under nice in the background (hours on 2 cores).
#
# CelebA may be used for non-commercial research only: the bundle inherits
# those terms (models/celeba64.NOTICE) and is never embedded in the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/celeba10k}
db=${2:-celeba64.db}
attrs=${ATTRS:-Black_Hair,Blond_Hair,Brown_Hair,Male,Young}
init=${INIT:-default}
stage1_steps=${STAGE1_STEPS:-8000}
retrieval_steps=${RETRIEVAL_STEPS:-800}
rg_steps=${RG_STEPS:-3000}

go build -o rgunit ./cmd/rgunit
./rgunit ingest "$data/images" --labels "$data/list_attr.txt" --db "$db" --size 64 --model none -q
./rgunit train unit --db "$db" --size 64 --attrs "$attrs" --init "$init" --steps "$stage1_steps" --recipe default --checkpoint-every 200 --json -q
./rgunit train retrieval --db "$db" --negatives hard --pool 3072 --steps "$retrieval_steps" -q
./rgunit train rg --db "$db" --steps "$rg_steps" --recipe default -q
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
./rgunit model export --db "$db" --out models/celeba64.rgm \
  --command "bash scripts/train-celeba64.sh (STAGE1_STEPS=$stage1_steps RETRIEVAL_STEPS=$retrieval_steps RG_STEPS=$rg_steps): ingest --size 64 --model none; train unit --size 64 --attrs $attrs --init $init --steps $stage1_steps --recipe default; train retrieval --negatives hard --pool 3072 --steps $retrieval_steps; train rg --steps $rg_steps --recipe default" \
  --data "celeba10k: $(ls "$data/images" | grep -c '\.jpg$') CelebA photos at 64 px, labels $data/list_attr.txt (non-commercial research use only)" \
  --commit "$commit"
./rgunit model info models/celeba64.rgm
