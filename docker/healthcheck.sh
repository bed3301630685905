#!/bin/bash
# Container healthchecks for the yam-agri-core services: healthcheck.sh backend|frontend|websocket|worker|scheduler
set -euo pipefail

SITE="${SITE_NAME:-yam.localhost}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${YAM_BENCH_PYTHON:-${BENCH_DIR:-/home/frappe/frappe-bench}/env/bin/python}"

tcp_open() { # host port
	timeout 3 bash -c "</dev/tcp/$1/$2" 2>/dev/null
}

ping_url() { # url [curl option...]
	local body
	body="$(curl -fsS --max-time 8 "${@:2}" -H "X-Frappe-Site-Name: $SITE" -H "Host: $SITE" "$1")" || return 1
	[[ "$body" == *'"pong"'* ]]
}

pid1_is() { # word expected in the command line of PID 1
	local cmdline
	cmdline="$(tr '\0' ' ' </proc/1/cmdline)"
	[[ "$cmdline" == *"$1"* ]]
}

case "${1:-}" in
backend) ping_url "http://127.0.0.1:8000/api/method/frappe.ping" ;;
# HTTPS with the container's own (maybe self-signed) certificate; plain 8080 only redirects
frontend) ping_url "https://127.0.0.1:8443/api/method/frappe.ping" --insecure ;;
websocket) tcp_open 127.0.0.1 9000 ;;
# real liveness: the site's database user logs in, and this container's RQ worker is registered with a recent
# heartbeat (worker) or redis-queue answers (scheduler); see healthcheck_site.py
worker) pid1_is worker && "$PYTHON" "$HERE/healthcheck_site.py" worker ;;
scheduler) pid1_is schedule && "$PYTHON" "$HERE/healthcheck_site.py" scheduler ;;
*)
	echo "usage: healthcheck.sh backend|frontend|websocket|worker|scheduler" >&2
	exit 2
	;;
esac
