#!/usr/bin/env bash
# Runs each fuzz target for a bounded time, seeded with the committed bad-input corpus.
#   fuzz/run.sh [SECONDS] [TARGET...]      (default: 15 s each, all targets)
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); nightly features come from
# RUSTC_BOOTSTRAP=1 on the stable toolchain. A crash leaves its input in fuzz/artifacts/<target>/
# and fails the run: add the input to crates/shrink-cli/tests/corpus/ once fixed.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-15}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(csv spec model_file texts)
fi
seeds=../crates/shrink-cli/tests/corpus
# Models up to the documented size caps (2^28 elements per tensor, 2^30 parameters) are valid
# and may need more memory than the fuzzer's limits below: such an out-of-memory report is not a
# bug and is reported, not failed. Panics, overflows and every other crash fail the run. Set
# SHRINK_FUZZ_KNOWN= (empty) to make out-of-memory fatal too.
known="${SHRINK_FUZZ_KNOWN-out-of-memory}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build
failed=()
for t in "${targets[@]}"; do
  case "$t" in
    csv) dirs=("$seeds/csv") ;;
    spec) dirs=("$seeds/spec") ;;
    model_file) dirs=("$seeds/model") ;;
    texts) dirs=("$seeds/penalty" "$seeds/family" "$seeds/selector") ;;
    *) echo "unknown fuzz target $t" >&2; exit 2 ;;
  esac
  mkdir -p "corpus/$t" artifacts
  # Seeds: the committed bad inputs, less the known bugs (which would stop the run at once).
  for d in "${dirs[@]}"; do
    for f in "$d"/*; do
      name=$(basename "$f")
      grep -q "^$name KNOWN-BUG:" "$d/expect.txt" || cp "$f" "corpus/$t/seed-$(basename "$d")-$name"
    done
  done
  log="artifacts/$t.log"
  echo "== fuzz $t (${secs}s)"
  # -rss_limit_mb/-malloc_limit_mb: an input that makes the library ask for gigabytes is a bug.
  if cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    grep -aE "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || tail -n 3 "$log"
  else
    grep -aE "ERROR|SUMMARY|panicked|Test unit written|Base64" "$log" | head -n 20 || tail -n 30 "$log"
    if [ -n "$known" ] && grep -aEq "$known" "$log"; then
      echo "   (a known open bug, see README \"Bad inputs\"; not failing)"
    else
      failed+=("$t")
    fi
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
