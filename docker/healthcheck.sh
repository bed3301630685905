#!/bin/bash
# Container healthchecks for the yam-agri-core services: healthcheck.sh backend|frontend|websocket|worker|scheduler
set -euo pipefail

SITE="${SITE_NAME:-yam.localhost}"

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
worker) pid1_is worker && tcp_open redis-queue 6379 && tcp_open db 3306 ;;
scheduler) pid1_is schedule && tcp_open redis-queue 6379 && tcp_open db 3306 ;;
*)
	echo "usage: healthcheck.sh backend|frontend|websocket|worker|scheduler" >&2
	exit 2
	;;
esac
