#!/usr/bin/env bash
# The demo: a fresh demo database, the worker replaying the demo collection so the live view
# moves, and the app in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8501}
# A database of its own, so the demo never mixes with collected data in data/engagement.db.
export DATABASE_URL="sqlite:///$PWD/data/demo.db"
rm -f data/demo.db data/demo.db-wal data/demo.db-shm

# The demo's event files: the shipped ones, with the programme brought in as an organiser's would
# be, through agenda-import from a frab schedule.json (with speakers in every panel). data/ itself
# stays the real event's.
export EVENT_DATA_DIR="$PWD/data/demo-event"
rm -rf data/demo-event && mkdir -p data/demo-event
cp data/event.toml data/*.csv data/demo-event/
$PY -m ingest agenda-import engagement/demo/programme.schedule.json >/dev/null
[ -f data/demo.jsonl ] || $PY -m ingest demo --out data/demo.jsonl
# Day 1 from 10:00 (Vienna): the opening is already in; the rest, posts and questions, arrives at
# 20x real time, skipping quiet spells longer than 30 minutes (nights).
$PY -m ingest replay data/demo.jsonl --questions data/demo.questions.csv --speed "${REPLAY_SPEED:-20}" \
  --from "2018-04-23 10:00" --skip-gaps 30 &
replay=$!
trap 'kill "$replay" 2>/dev/null || true' EXIT INT TERM
# The replay marks the database as the demo's when it stores its first posts, a second or two after
# it starts; the app, quicker to start, would serve its first page before that (without the demo
# banner or the demo sign-in). So the app starts once the flag is there.
marked() { [[ $($PY -m ingest status --json 2>/dev/null || true) == *'"demo": true'* ]]; }
until marked; do
  kill -0 "$replay" 2>/dev/null || { echo "the replay stopped before it stored any post" >&2; exit 1; }
  sleep 0.5
done

echo "The app: http://localhost:$PORT  (demo data; the worker is replaying the collection)"
if [ -n "${MODERATOR_PASSWORD:-}${ORGANISER_PASSWORD:-}" ]; then
  echo "Staff pages: open Account and sign in with MODERATOR_PASSWORD or ORGANISER_PASSWORD (set in this shell)"
else
  echo "Staff pages: open Account and click 'Sign in as organiser (demo)' (shown only on the demo database" \
    "with no password set)"
fi
$PY -m streamlit run dashboard.py --server.port "$PORT" --server.headless true --browser.gatherUsageStats false
