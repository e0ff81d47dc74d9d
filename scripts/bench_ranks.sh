#!/usr/bin/env bash
# Trials per second of the `shrink bench --search` workload (moons 200, noise 0.2, seed 1;
# 2→64→1, 400 epochs; L2 on dense_0.kernel; 5-fold CV; 5 alphas 1e-1…1e-5; accuracy) run by
# the `shrink search` command three ways: 1 rank × 1 thread (the baseline), 1 rank × 2 threads
# and `mpirun -n 2` × 1 thread (both ranks train). Each is run ROUNDS times (default 3, the
# ways taking turns) and the median wall time is kept, start-up included; the start-up of each
# way (a one-trial search, median too) is printed beside it with the rate once it is taken
# off, and (with mpicc) the round trip of a unit-sized message between 2 ranks — what handing
# out one unit costs. Needs Open MPI and libclang (see scripts/mpi_check.sh).
# Usage: scripts/bench_ranks.sh [REPEATS (default 20: 500 trials)] [ROUNDS] [EPOCHS (default 400)]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${1:-20}"
rounds="${2:-3}"
epochs="${3:-400}"
source scripts/lib.sh
mpi_setup
"$bin" data moons --n 200 --noise 0.2 --seed 1 > "$work/moons.csv"
moons_spec "$epochs" 64 > "$work/spec.toml"
common=(search --spec "$work/spec.toml" --data "$work/moons.csv" --target y --param dense_0.kernel
  --penalty l2 --score accuracy --select best --force)
full=(--alphas 1e-1:1e-5 --repeats "$repeats" --cv 5)
tiny=(--alphas 1e-1 --repeats 1) # one hold-out trial: what starting the way costs
trials=$((5 * repeats * 5))
ways=("1 rank x 1 thread" "1 rank x 2 threads" "2 ranks x 1 thread")
run_way() { # way args…
  case "$1" in
    "1 rank x 1 thread") "$bin" "${@:2}" --threads 1 ;;
    "1 rank x 2 threads") "$bin" "${@:2}" --threads 2 ;;
    "2 ranks x 1 thread") "${launch[@]}" -n 2 "$bin" "${@:2}" --threads 1 ;;
  esac
}
seconds() { # wall seconds of a command (its output dropped; a failure ends the script)
  local s e; s=$(date +%s.%N)
  "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log"; exit 1; }
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
median() { sort -g | sed -n "$(((rounds + 1) / 2))p"; }
# Rounds outside, ways inside: a burst of other load on the machine hits every way alike.
declare -A walls starts
for _ in $(seq "$rounds"); do
  for way in "${ways[@]}"; do
    walls[$way]+="$(seconds run_way "$way" "${common[@]}" "${full[@]}" --out "$work/out") "
    starts[$way]+="$(seconds run_way "$way" "${common[@]}" "${tiny[@]}" --out "$work/tiny") "
  done
done
echo "bench --search workload: $trials trials of $epochs epochs, median of $rounds runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %8s %9s %7s %10s %16s\n' way "wall s" trials/s "vs 1x1" "start-up s" "trials/s - start"
med() { tr ' ' '\n' <<< "$1" | grep . | median; }
base=$(med "${walls["1 rank x 1 thread"]}")
for way in "${ways[@]}"; do
  w=$(med "${walls[$way]}") st=$(med "${starts[$way]}")
  printf '%-20s %8.2f %9.1f %6.2fx %10.2f %16.1f\n' "$way" "$w" "$(echo "$trials / $w" | bc -l)" \
    "$(echo "$base / $w" | bc -l)" "$st" "$(echo "$trials / ($w - $st)" | bc -l)"
done
if command -v mpicc > /dev/null; then
  # Rank 0 sends a 200-byte unit, rank 1 answers with 1 KB of records (one warm path's lines),
  # 10 000 times, as the search's messages go (blocking send and receive).
  cat > "$work/pingpong.c" <<'C'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
  static char unit[200], records[1024];
  int rank, n = 10000;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (int round = 0; round < 2; round++) { /* the first round warms up */
    MPI_Barrier(MPI_COMM_WORLD);
    double t = MPI_Wtime();
    for (int i = 0; i < n; i++) {
      if (rank == 0) {
        MPI_Send(unit, sizeof unit, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(records, sizeof records, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(unit, sizeof unit, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(records, sizeof records, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      }
    }
    if (rank == 0 && round == 1) printf("%.1f\n", (MPI_Wtime() - t) / n * 1e6);
  }
  MPI_Finalize();
  return 0;
}
C
  mpicc -O2 -o "$work/pingpong" "$work/pingpong.c"
  us=$(for _ in $(seq "$rounds"); do "${launch[@]}" -n 2 "$work/pingpong"; done | median)
  echo "one unit's round trip between 2 ranks (200 B out, 1 KB back): $us µs (median of $rounds)"
fi
