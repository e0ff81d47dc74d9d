# Shared by the MPI scripts (mpi_check.sh, bench_ranks.sh, bench_data_parallel.sh); sourced
# from the repository root, after `set -euo pipefail`.

# mpi_setup [MPIRUN FLAGS…]: builds shrink with the `mpi` feature in its own target folder
# ($SHRINK_MPI_TARGET, default target/mpi: the default build stays without MPI) and sets
# `bin` (that binary, an absolute path), `launch` (mpirun --oversubscribe and the flags, with
# --allow-run-as-root as root) and `work` (a scratch folder, removed on exit).
mpi_setup() {
  local target="${SHRINK_MPI_TARGET:-target/mpi}"
  CARGO_TARGET_DIR="$target" cargo build --release --features mpi --quiet
  case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
  bin="$target/release/shrink"
  launch=(mpirun --oversubscribe "$@")
  if [ "$(id -u)" = 0 ]; then launch+=(--allow-run-as-root); fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
}

# moons_spec EPOCHS UNITS [SEED]: prints the spec of a 2→UNITS (relu)→1 (sigmoid) classifier of
# the two moons (standard scaling, binary cross-entropy), with `seed` when SEED is given.
moons_spec() {
  echo 'input_shape = [2]'
  echo 'scaling = "standard"'
  echo 'loss = "binary_crossentropy"'
  echo "epochs = $1"
  if [ $# -ge 3 ]; then echo "seed = $3"; fi
  printf '[[layers]]\ntype = "dense"\nunits = %s\nactivation = "%s"\n' "$2" relu 1 sigmoid
}
