#!/usr/bin/env bash
# The reliability suite and the browser tests on a busy machine: two processes burn a CPU core each
# beside pytest for the whole run (on a 2-core machine, the tests get a third of it at best). They
# are killed at the end whatever happens, and die by themselves if this script is killed outright.
# Prints the total time; exits with pytest's status. Extra arguments go to pytest
# (e.g. RELIABILITY_SEED=7 ./scripts/test-under-load.sh -x).
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
BURNERS=${BURNERS:-2}

burners=()
stop_burners() {
    for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${burners[@]}"; do wait "$pid" 2>/dev/null; done
    burners=()
}
trap stop_burners EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq "$BURNERS"); do
    # Busy until killed, or until its parent (this script) is gone.
    "$PY" -c 'import os
parent = os.getppid()
while os.getppid() == parent: pass' &
    burners+=("$!")
done

started=$(date +%s)
"$PY" -m pytest tests/reliability tests/test_browser.py tests/test_browser_qa.py tests/test_scale.py \
    -p no:cacheprovider "$@"
status=$?
elapsed=$(( $(date +%s) - started ))
stop_burners
printf 'test-under-load: pytest exited %d after %dm%02ds with %d CPU burner(s) beside it on %s core(s)\n' \
    "$status" $((elapsed / 60)) $((elapsed % 60)) "$BURNERS" "$(nproc)"
exit "$status"
