#!/usr/bin/env bash
# The long crash campaign of issue 21: the CLI killed (SIGKILL, under
# strace) at every commit of ingest into a new database, ingest with
# embedding, rm, reindex, model import and training, each then run again
# and checked complete; 110 damaged copies of a real database (truncated,
# zeroed pages, junk page headers, flipped bytes, used pages zeroed or with
# junk headers) under check, stats, ls, query and
# translate, which must exit 1 with a message, never panic or fault; and
# one-bit flips in every byte of item, image, vector, model and index
# records, which must all be reported. CI runs the same tests with a few
# kill points each.
#
#   bash scripts/crash-campaign.sh [LOG]
#
# Needs strace (apt-get install strace). About 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:-crash-campaign.log}
RGUNIT_CAMPAIGN=1 go test ./cmd/rgunit -run 'Killed|Damaged|Campaign' -count=1 -v -timeout 60m 2>&1 | tee "$log" | grep -E '^(--- |ok|FAIL)' || true
go test ./storage ./index -run 'Flip' -count=1 -v 2>&1 | tee -a "$log" | grep -E '^(--- |ok|FAIL)' || true
echo "counts:"
grep -o 'campaign: .*' "$log" || true
if grep -q -- '--- FAIL' "$log"; then
  echo "the campaign found failures: see $log" >&2
  exit 1
fi
