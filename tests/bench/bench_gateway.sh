#!/usr/bin/env bash
# End-to-end cases of yam-gateway on a real bench, counting rows on the server against messages published:
# server down, broker restarts, kill -9 of the gateway mid-batch, a power cut, scale tickets sent twice.
#   bash tests/bench/bench_gateway.sh [SITE] [PORT]      (as root; default gw.test 8003)
# Needs: the bench (YAM_BENCH_DIR, default /home/frappe/frappe-bench) with MariaDB and Redis up, Debian's
# mosquitto and mosquitto-clients, and python3 with paho-mqtt and requests (YAM_GW_PYTHON; requirements-ops.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SITE="${1:-gw.test}"
PORT="${2:-8003}"
PY="${YAM_GW_PYTHON:-python3}"
command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]] ||
	{ echo "mosquitto is missing: apt-get install -y mosquitto mosquitto-clients" >&2; exit 3; }
"$PY" -c 'import paho.mqtt, requests' 2>/dev/null ||
	{ echo "$PY lacks paho-mqtt/requests: pip install -r requirements-ops.txt" >&2; exit 3; }
exec "$PY" "$ROOT/gateway/testing/bench_e2e.py" --site "$SITE" --port "$PORT" \
	--workdir "${YAM_GW_WORKDIR:-/tmp/yam-gateway-e2e}" --batch "${YAM_GW_BATCH_SIZE:-500}"
