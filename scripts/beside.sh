#!/usr/bin/env bash
# `make test` runs the suites that mostly wait (the interop lab: IKE and BGP timers, pings; about
# half a core) beside the other stages, not after them: on two cores that hides most of their wall
# time. Usage (from the Makefile):
#
#   scripts/beside.sh MAKE "BESIDE_TARGETS" STAGE...
#
# Each BESIDE target runs as `MAKE TARGET` in its own session (process group), its output in
# target/beside/TARGET.log; then `MAKE STAGE...` runs here in the foreground. When the stages end,
# each beside target is waited for and its output printed whole. The exit status is the first
# failure's (the stages' first). If the stages fail, or this script is interrupted, the beside
# targets are stopped with SIGTERM to their whole group, so their own clean-up traps run (the lab
# deletes its network namespaces), and the end of their output is printed.
set -euo pipefail

make_cmd=$1
beside=$2
shift 2

dir=target/beside
mkdir -p "$dir"
names=()
pids=()

stop() {
  local i
  for i in "${!pids[@]}"; do
    kill -TERM -- "-${pids[$i]}" 2>/dev/null || true
  done
}
trap 'stop; exit 130' INT TERM

for t in $beside; do
  # setsid: a background job of a script is not a group leader, so setsid execs in place and the
  # job's pid is its new process group (stop() signals the whole group: make, cargo, the tests).
  setsid "$make_cmd" --no-print-directory "$t" </dev/null >"$dir/$t.log" 2>&1 &
  names+=("$t")
  pids+=("$!")
  printf '\n==> %s: started beside the stages below (output in %s, printed when it ends)\n' "$t" "$dir/$t.log"
done

t0=$(date +%s)
rc=0
"$make_cmd" --no-print-directory "$@" || rc=$?
if ((rc != 0)); then
  stop
fi

for i in "${!pids[@]}"; do
  t=${names[$i]}
  waited=$(date +%s)
  trc=0
  wait "${pids[$i]}" || trc=$?
  if ((rc != 0)); then
    printf '\n==> %s (stopped: a stage failed): the end of its output\n' "$t"
    tail -n 40 "$dir/$t.log"
    continue
  fi
  printf '\n==> %s (ran beside the stages above; waited %ss for it after they ended): its output\n' \
    "$t" "$(($(date +%s) - waited))"
  cat "$dir/$t.log"
  if ((trc != 0)); then
    printf '<== %s: FAILED (exit %s)\n' "$t" "$trc"
    rc=$trc
  fi
done
printf '\n(stages and beside targets: %ss)\n' "$(($(date +%s) - t0))"
exit "$rc"
