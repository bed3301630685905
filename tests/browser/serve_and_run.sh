#!/usr/bin/env bash
# Serve a bench site on 127.0.0.1 with gunicorn and run the browser suite against it (not run in CI).
#
#   bash tests/browser/serve_and_run.sh SITE [PORT] [pytest args...]     # as root or as the bench user
#
# Steps: migrate SITE, prepare it (yam_agri_core.tests.browser_setup.prepare: demo data, personas and their
# password, the no-grant user), clear its cache, serve it from sites/ with a two-line WSGI module (no
# socket.io server: its 404s are ignored by the suite), run `python -m pytest tests/browser`, stop gunicorn.
# Env: BENCH (default /home/frappe/frappe-bench), BENCH_USER (frappe), PYTHON (a python with playwright,
# pytest and requests; default: the bench env's if it has pytest, else python3), SKIP_PREPARE=1,
# YAM_BROWSER_SHOTS=docs/screenshots to refresh the README's screenshots.
set -euo pipefail
SITE=${1:?usage: serve_and_run.sh SITE [PORT] [pytest args...]}
PORT=${2:-8020}
shift $(($# >= 2 ? 2 : 1))
BENCH=${BENCH:-/home/frappe/frappe-bench}
BENCH_USER=${BENCH_USER:-frappe}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
as_bench() { if [ "$(id -un)" = "$BENCH_USER" ]; then bash -c "$1"; else su - "$BENCH_USER" -c "$1"; fi; }

if [ -z "${PYTHON:-}" ]; then
	if "$BENCH/env/bin/python" -c "import playwright, pytest, requests" 2>/dev/null; then
		PYTHON="$BENCH/env/bin/python"
	else
		PYTHON=python3
	fi
fi
"$PYTHON" -c "import playwright, pytest, requests" || {
	echo "$PYTHON lacks playwright, pytest or requests (pip install playwright pytest requests)" >&2
	exit 2
}

if [ "${SKIP_PREPARE:-0}" != 1 ]; then
	as_bench "cd $BENCH && bench --site $SITE migrate && bench --site $SITE execute yam_agri_core.tests.browser_setup.prepare"
fi
as_bench "cd $BENCH && bench --site $SITE clear-cache"

WORK=$(mktemp -d /tmp/yam-browser-serve.XXXXXX)
chmod 755 "$WORK"
printf 'import frappe.app; frappe.app._site = "%s"\napplication = frappe.app.application_with_statics()\n' "$SITE" \
	>"$WORK/yam_browser_wsgi.py"
chmod 644 "$WORK/yam_browser_wsgi.py"
GUNICORN="cd $BENCH/sites && exec $BENCH/env/bin/gunicorn --bind 127.0.0.1:$PORT --workers 2 --timeout 120"
GUNICORN="$GUNICORN --pythonpath $WORK yam_browser_wsgi:application"
if [ "$(id -un)" = "$BENCH_USER" ]; then
	setsid bash -c "$GUNICORN" >"$WORK/gunicorn.log" 2>&1 &
else
	setsid runuser -u "$BENCH_USER" -- bash -c "$GUNICORN" >"$WORK/gunicorn.log" 2>&1 &
fi
SERVER=$!
trap 'kill -- -$SERVER 2>/dev/null || kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
	curl -fsS "http://127.0.0.1:$PORT/api/method/ping" >/dev/null 2>&1 && break
	sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/api/method/ping" >/dev/null || { cat "$WORK/gunicorn.log" >&2; exit 1; }

cd "$REPO"
YAM_BROWSER_URL="http://127.0.0.1:$PORT" YAM_BROWSER_SITE="$SITE" "$PYTHON" -m pytest tests/browser -p no:cacheprovider "$@"
