#!/usr/bin/env bash
# Time of one data-parallel training step of an MLP 784→512→512→10 (Adam, L2 on the kernels)
# on MNIST rows (examples/data/mnist_1k.csv, repeated to 4000 rows), by batch size, for
# 1 rank × 1 thread (the baseline), 1 rank × 2 threads and 2 ranks × 1 thread (`mpirun -n 2
# shrink train`, micro_batches = 2). A step's time is the difference of two runs with different
# epochs divided by the difference in steps, so start-up and reading the CSV cancel; the median
# of REPEATS (default 3) such estimates. Needs Open MPI + libclang (see README).
# Usage: scripts/bench_data_parallel.sh [batch sizes…]   (default: 64 256 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
mpi_setup --bind-to none
repeats="${REPEATS:-3}"
batches=("$@")
[ ${#batches[@]} -gt 0 ] || batches=(64 256 1024)
{ head -1 examples/data/mnist_1k.csv; for _ in 1 2 3 4; do tail -n +2 examples/data/mnist_1k.csv; done; } > "$work/rows.csv"
rows=4000

spec() { # batch epochs
  cat <<TOML
scaling = { divide = 255 }
loss = "categorical_crossentropy"
epochs = $2
batch_size = $1
seed = 0
micro_batches = 2
[[layers]]
type = "dense"
units = 512
activation = "relu"
kernel_penalty = "l2:1e-4"
[[layers]]
type = "dense"
units = 512
activation = "relu"
kernel_penalty = "l2:1e-4"
[[layers]]
type = "dense"
units = 10
activation = "softmax"
TOML
}

seconds() { # how… -- epochs batch
  local how="$1" epochs="$2" batch="$3" threads=1 start end
  spec "$batch" "$epochs" > "$work/spec.toml"
  # One process gets micro_batches = 1 (the ordinary step); ranks need the spec's 2.
  [ "$how" = ranks ] || sed -i '/^micro_batches/d' "$work/spec.toml"
  [ "$how" = threads ] && threads=2
  rm -rf "$work/out"
  start=$(date +%s.%N)
  if [ "$how" = ranks ]; then
    "${launch[@]}" -n 2 "$bin" train --spec "$work/spec.toml" --data "$work/rows.csv" --target label \
      --threads 1 --out "$work/out" > /dev/null 2>&1
  else
    "$bin" train --spec "$work/spec.toml" --data "$work/rows.csv" --target label --threads "$threads" \
      --out "$work/out" > /dev/null 2>&1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf "%-6s %-22s %12s %8s\n" batch setting "ms per step" ratio
for batch in "${batches[@]}"; do
  steps=$(( (rows + batch - 1) / batch ))
  # Enough extra steps (about 64) that the difference dominates the noise.
  extra=$(( (64 + steps - 1) / steps ))
  base=""
  for how in alone threads ranks; do
    estimates=()
    for _ in $(seq "$repeats"); do
      short=$(seconds "$how" 1 "$batch")
      long=$(seconds "$how" $((1 + extra)) "$batch")
      estimates+=("$(echo "($long - $short) * 1000 / ($extra * $steps)" | bc -l)")
    done
    ms=$(printf "%s\n" "${estimates[@]}" | median)
    [ -n "$base" ] || base="$ms"
    case "$how" in
      alone) label="1 rank × 1 thread" ;;
      threads) label="1 rank × 2 threads" ;;
      ranks) label="2 ranks × 1 thread" ;;
    esac
    printf "%-6s %-22s %12.2f %7.2fx\n" "$batch" "$label" "$ms" "$(echo "$base / $ms" | bc -l)"
  done
done
