#!/usr/bin/env bash
# Builds shrink with the `mpi` feature and checks that `mpirun -n N shrink search` writes the
# trials.csv (bar the seconds column) and the selection of a one-process run: a cold grid with
# K-fold CV on 2 ranks, warm paths over two widths on 3 ranks (more ranks than cores is fine:
# --oversubscribe), more ranks than units (a warning), a worker killed mid-run (the folder
# resumes), and that --shard under mpirun is refused. Needs Open MPI and libclang
# (Debian: openmpi-bin libopenmpi-dev libclang-dev). Usage: scripts/mpi_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
mpi_setup
"$bin" data moons --n 120 --noise 0.25 --seed 2 > "$work/moons.csv"
moons_spec 40 8 3 > "$work/model.toml"
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
  # Rank 0 trains too (it takes the first unit while the workers start up).
  local units; units=$(sed -n 's/^units of work trained by ranks 0…[0-9]*: //p' "$work/$name-mpi.log")
  [ "${units%%,*}" -ge 1 ] 2> /dev/null || { cat "$work/$name-mpi.log"; echo "FAIL $name: rank 0 trained nothing"; exit 1; }
  echo "ok $name: $n ranks = one process ($rows trials; units per rank $units)"
}
check 2 cold-cv --repeats 2 --cv 3
check 3 warm-units --repeats 2 --path warm --units dense_0=4,8
# --- more ranks than units: a warning naming the idle ranks, and the same result -------------
check 2 idle-rank --path warm --repeats 1 # hold-out, one repeat: one warm path for 2 ranks
grep -q "warning: 2 ranks train 1 unit of work here: 1 rank stays idle" "$work/idle-rank-mpi.log" \
  || { cat "$work/idle-rank-mpi.log"; echo "FAIL idle-rank: no warning"; exit 1; }
echo "ok idle-rank: warned"
# --- a killed rank leaves a resumable folder --------------------------------------------------
# A search of 160 longer trials on 2 ranks; once trials.csv holds a trial, rank 1 gets SIGKILL.
# Open MPI then ends the job: mpirun exits 137 and prints "mpirun noticed that process rank 1
# with PID … exited on signal 9 (Killed)"; rank 0 is stopped before it finishes. The trials it
# appended stay (each a whole line, synced), the lock (flock) died with it, and rerunning the
# same command trains exactly the missing trials and ends as a one-process run does.
sed 's/^epochs = 40$/epochs = 6000/' "$work/model.toml" > "$work/long.toml"
long=(search --spec "$work/long.toml" --data "$work/moons.csv" --target y --param dense_0.kernel
  --penalty l1@proximal --alphas 1e-1:1e-4 --repeats 8 --cv 5 --threads 1)
"${launch[@]}" -n 2 "$bin" "${long[@]}" --out "$work/killed" > "$work/killed.log" 2>&1 &
job=$!
victim=
for _ in $(seq 1500); do # up to 30 s for the first trial
  if [ -f "$work/killed/trials.csv" ] && [ "$(wc -l < "$work/killed/trials.csv")" -ge 2 ]; then
    for p in $(pgrep -P "$job"); do
      tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && victim=$p
    done
    break
  fi
  sleep 0.02
done
[ -n "$victim" ] || { kill "$job" 2>/dev/null; cat "$work/killed.log"; echo "FAIL killed: no rank 1 to kill"; exit 1; }
kill -KILL "$victim" 2> /dev/null || true # gone already: the checks below say what happened
rc=0; wait "$job" || rc=$?
[ "$rc" -ne 0 ] || { cat "$work/killed.log"; echo "FAIL killed: mpirun exited 0 after a rank was killed"; exit 1; }
grep -q "exited on signal 9" "$work/killed.log" || { cat "$work/killed.log"; echo "FAIL killed: no message"; exit 1; }
kept=$(($(wc -l < "$work/killed/trials.csv") - 1))
[ "$kept" -ge 1 ] && [ "$kept" -lt 160 ] || { echo "FAIL killed: $kept of 160 trials kept (not cut short?)"; exit 1; }
[ -z "$(tail -c 1 "$work/killed/trials.csv")" ] || { echo "FAIL killed: a partial last line"; exit 1; }
awk -F, 'NR == 1 { n = NF } NF != n { exit 1 }' "$work/killed/trials.csv" || { echo "FAIL killed: a torn line"; exit 1; }
"${launch[@]}" -n 2 "$bin" "${long[@]}" --out "$work/killed" > "$work/resumed.log" 2>&1 \
  || { cat "$work/resumed.log"; echo "FAIL killed: the rerun failed"; exit 1; }
grep -q "160 trials ($((160 - kept)) trained now, $kept from trials.csv)" "$work/resumed.log" \
  || { cat "$work/resumed.log"; echo "FAIL killed: the rerun did not train just the missing trials"; exit 1; }
"$bin" "${long[@]}" --out "$work/killed-one" > /dev/null 2>&1
diff <(strip "$work/killed") <(strip "$work/killed-one") || { echo "FAIL killed: trials differ"; exit 1; }
[ "$(selection "$work/killed")" = "$(selection "$work/killed-one")" ] || { echo "FAIL killed: selection differs"; exit 1; }
echo "ok killed rank: mpirun exit $rc, $kept trials kept, the rerun trained the other $((160 - kept)) = one process"
"${launch[@]}" -n 2 "$bin" "${long[@]}" --out "$work/killed" > "$work/again.log" 2>&1 || { cat "$work/again.log"; exit 1; }
grep -q "160 trials (0 trained now" "$work/again.log" && ! grep -q "idle" "$work/again.log" \
  || { cat "$work/again.log"; echo "FAIL killed: a finished folder trained again or warned of idle ranks"; exit 1; }
echo "ok finished folder: nothing trained, no idle-rank warning"
# --- end of the killed-rank and idle-rank checks ----------------------------------------------
if "${launch[@]}" -n 2 "$bin" "${common[@]}" --shard 0/2 --out "$work/shard" > "$work/shard.log" 2>&1; then
  echo "FAIL: --shard under mpirun was accepted"; exit 1
fi
grep -q "leave out --shard" "$work/shard.log" || { cat "$work/shard.log"; exit 1; }
[ ! -e "$work/shard" ] || { echo "FAIL: --shard under mpirun wrote $work/shard"; exit 1; }
echo "ok --shard under mpirun refused, nothing written"

# ---- data-parallel `mpirun -n N shrink train` ----
# N ranks use micro_batches = N unless the spec sets it: the model file and history are the
# same bytes as one process with that micro_batches; without it one process differs by rounding.
"$bin" data moons --n 300 --noise 0.25 --seed 5 > "$work/train.csv"
sed 's/^epochs = 40/epochs = 15\nmetrics = ["accuracy"]/' "$work/model.toml" > "$work/dp.toml"
sed 's/^seed = 3/seed = 3\nmicro_batches = 2/' "$work/dp.toml" > "$work/dp2.toml"
sed 's/^seed = 3/seed = 3\nmicro_batches = 4/' "$work/dp.toml" > "$work/dp4.toml"
train=(train --data "$work/train.csv" --target y --val-split 0.2 --threads 1)
same_run() { # a b: the same model file and history bytes
  cmp "$1/model.safetensors" "$2/model.safetensors" && cmp "$1/history.csv" "$2/history.csv" \
    || { echo "FAIL: $1 and $2 differ"; exit 1; }
}
"${launch[@]}" -n 2 "$bin" "${train[@]}" --spec "$work/dp.toml" --out "$work/dp-2ranks" > /dev/null 2>&1
"$bin" "${train[@]}" --spec "$work/dp2.toml" --out "$work/dp-one-m2" > /dev/null 2>&1
same_run "$work/dp-2ranks" "$work/dp-one-m2"
echo "ok train: 2 ranks = one process with micro_batches = 2, bit for bit"
"${launch[@]}" -n 3 "$bin" "${train[@]}" --spec "$work/dp4.toml" --out "$work/dp-3ranks" > /dev/null 2>&1
"$bin" "${train[@]}" --spec "$work/dp4.toml" --out "$work/dp-one-m4" > /dev/null 2>&1
same_run "$work/dp-3ranks" "$work/dp-one-m4"
echo "ok train: 3 ranks = one process with micro_batches = 4 (uneven shares), bit for bit"
"$bin" "${train[@]}" --spec "$work/dp.toml" --out "$work/dp-one" > /dev/null 2>&1
python3 - "$work/dp-2ranks/history.csv" "$work/dp-one/history.csv" <<'PY'
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
worst = max(abs(float(x[k]) - float(y[k])) / max(abs(float(y[k])), 1e-12)
            for x, y in zip(a, b) for k in ("loss", "val_loss"))
assert len(a) == len(b) and worst < 1e-5, f"2 ranks vs one process: relative loss difference {worst}"
print(f"ok train: 2 ranks vs one process (micro_batches = 1): losses within {worst:.1e} (relative)")
PY
# A batch smaller than the rank count: a warning, the idle ranks wait, the same result.
sed 's/^batch_size.*//; s/^seed = 3/seed = 3\nbatch_size = 2\nepochs = 1/; s/^epochs = 15//' "$work/dp.toml" > "$work/tiny.toml"
"${launch[@]}" -n 3 "$bin" "${train[@]}" --spec "$work/tiny.toml" --out "$work/tiny-3ranks" > "$work/tiny.log" 2>&1 \
  || { cat "$work/tiny.log"; exit 1; }
grep -q "get no rows" "$work/tiny.log" || { cat "$work/tiny.log"; echo "FAIL: no warning for batch < ranks"; exit 1; }
sed 's/^seed = 3/seed = 3\nmicro_batches = 3/' "$work/tiny.toml" > "$work/tiny3.toml"
"$bin" "${train[@]}" --spec "$work/tiny3.toml" --out "$work/tiny-one" > /dev/null 2>&1
same_run "$work/tiny-3ranks" "$work/tiny-one"
echo "ok train: batch 2 on 3 ranks warns and equals one process with micro_batches = 3"
# Refusals, nothing written: dropout, ranks reading other data (two programs, MPMD), a folder
# that holds a model (rank 0 checks; the other ranks stop with it instead of waiting).
sed 's/^\[\[layers\]\]$/[[layers]]/; 0,/^activation = "relu"$/s//activation = "relu"\n[[layers]]\ntype = "dropout"\nrate = 0.2/' \
  "$work/dp.toml" > "$work/dropout.toml"
refused() { # name pattern command…
  local name="$1" pattern="$2"; shift 2
  if timeout 120 "$@" > "$work/$name.log" 2>&1; then echo "FAIL $name: accepted"; exit 1; fi
  grep -q "$pattern" "$work/$name.log" || { cat "$work/$name.log"; echo "FAIL $name: no '$pattern'"; exit 1; }
  echo "ok train refused: $name"
}
refused dropout "dropout draws its masks" "${launch[@]}" -n 2 "$bin" "${train[@]}" --spec "$work/dropout.toml" --out "$work/dropout"
[ ! -e "$work/dropout/model.safetensors" ] || { echo "FAIL: dropout run wrote a model"; exit 1; }
"$bin" data moons --n 300 --noise 0.25 --seed 6 > "$work/other.csv"
refused other-data "would train on other rows" "${launch[@]}" -n 1 "$bin" "${train[@]}" --spec "$work/dp.toml" --out "$work/mpmd" \
  : -n 1 "$bin" train --data "$work/other.csv" --target y --val-split 0.2 --threads 1 --spec "$work/dp.toml" --out "$work/mpmd"
[ ! -e "$work/mpmd/model.safetensors" ] || { echo "FAIL: MPMD run wrote a model"; exit 1; }
refused exists "exists; pass --force" "${launch[@]}" -n 2 "$bin" "${train[@]}" --spec "$work/dp.toml" --out "$work/dp-2ranks"
same_run "$work/dp-2ranks" "$work/dp-one-m2"
# An LSTM on a series (windows are rows like any other).
sed 's/^epochs = .*/epochs = 5/' examples/airline_lstm.toml > "$work/air.toml"
{ echo "micro_batches = 2"; cat "$work/air.toml"; } > "$work/air2.toml"
series=(train --data crates/shrink-cli/data/airline_passengers.csv --val-split 0.2 --threads 1)
"${launch[@]}" -n 2 "$bin" "${series[@]}" --spec "$work/air.toml" --out "$work/air-2ranks" > /dev/null 2>&1
"$bin" "${series[@]}" --spec "$work/air2.toml" --out "$work/air-one" > /dev/null 2>&1
same_run "$work/air-2ranks" "$work/air-one"
echo "ok train: LSTM series on 2 ranks = one process with micro_batches = 2, bit for bit"
