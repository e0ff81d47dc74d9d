#!/usr/bin/env bash
# Builds shrink with the `mpi` feature and checks that `mpirun -n N shrink search` writes the
# trials.csv (bar the seconds column) and the selection of a one-process run: a cold grid with
# K-fold CV on 2 ranks, warm paths over two widths on 3 ranks (more ranks than cores is fine:
# --oversubscribe), and that --shard under mpirun is refused. Needs Open MPI and libclang
# (Debian: openmpi-bin libopenmpi-dev libclang-dev). Usage: scripts/mpi_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target="${SHRINK_MPI_TARGET:-target/mpi}" # its own folder: the default build stays without MPI
CARGO_TARGET_DIR="$target" cargo build --release --features mpi --quiet
bin="$target/release/shrink"
launch=(mpirun --oversubscribe)
if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" data moons --n 120 --noise 0.25 --seed 2 > "$work/moons.csv"
cat > "$work/model.toml" <<'TOML'
input_shape = [2]
scaling = "standard"
loss = "binary_crossentropy"
epochs = 40
seed = 3
[[layers]]
type = "dense"
units = 8
activation = "relu"
[[layers]]
type = "dense"
units = 1
activation = "sigmoid"
TOML
common=(search --spec "$work/model.toml" --data "$work/moons.csv" --target y --param dense_0.kernel
  --penalty l1@proximal --alphas 1e-1:1e-4 --threads 1)
strip() { sed 's/,[^,]*$//' "$1/trials.csv"; } # drop the seconds column
selection() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['selection'], s['scores'])" "$1/summary.json"; }
check() { # ranks name flags…
  local n="$1" name="$2"; shift 2
  "${launch[@]}" -n "$n" "$bin" "${common[@]}" "$@" --out "$work/$name-mpi" > "$work/$name-mpi.log" 2>&1 \
    || { cat "$work/$name-mpi.log"; exit 1; }
  "$bin" "${common[@]}" "$@" --out "$work/$name-one" > /dev/null 2>&1
  diff <(strip "$work/$name-mpi") <(strip "$work/$name-one") || { echo "FAIL $name: trials differ"; exit 1; }
  [ "$(selection "$work/$name-mpi")" = "$(selection "$work/$name-one")" ] || { echo "FAIL $name: selection differs"; exit 1; }
  local rows; rows=$(($(wc -l < "$work/$name-mpi/trials.csv") - 1))
  echo "ok $name: $n ranks = one process ($rows trials)"
}
check 2 cold-cv --repeats 2 --cv 3
check 3 warm-units --repeats 2 --path warm --units dense_0=4,8
if "${launch[@]}" -n 2 "$bin" "${common[@]}" --shard 0/2 --out "$work/shard" > "$work/shard.log" 2>&1; then
  echo "FAIL: --shard under mpirun was accepted"; exit 1
fi
grep -q "leave out --shard" "$work/shard.log" || { cat "$work/shard.log"; exit 1; }
[ ! -e "$work/shard" ] || { echo "FAIL: --shard under mpirun wrote $work/shard"; exit 1; }
echo "ok --shard under mpirun refused, nothing written"
