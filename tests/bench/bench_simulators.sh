#!/usr/bin/env bash
# Real-bench test of the simulators (NOT part of the pure tier). Against a scratch site with the demo data:
#
#   YAM_BENCH_DIR=/home/frappe/frappe-bench YAM_SITE=ops.test YAM_ADMIN_PASSWORD=admin \
#     bash tests/bench/bench_simulators.sh
#
# It serves the site with `bench --site SITE serve --port 8010` (127.0.0.1, as the bench owner) unless YAM_URL
# already answers, makes two fresh Sensor Gateway users with `run.sh gateway-user` (IoT: two sites only), runs
# mock_iot and mock_scale in bounded modes (one run started while the backend is down, to see the backoff),
# then checks in the site's database that readings and tickets arrived and were flagged as the contract says.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
: "${YAM_BENCH_DIR:?set YAM_BENCH_DIR}"
: "${YAM_SITE:?set YAM_SITE to a scratch site with the demo data}"
export YAM_BENCH_DIR YAM_SITE
export YAM_ADMIN_PASSWORD="${YAM_ADMIN_PASSWORD:-admin}"
PORT="${YAM_PORT:-8010}"
export YAM_URL="${YAM_URL:-http://127.0.0.1:$PORT}"
SITE_DIR="$YAM_BENCH_DIR/sites/$YAM_SITE"
OWNER="$(stat -c %U "$YAM_BENCH_DIR")"
WORK="$(mktemp -d /tmp/yam-bench-sim.XXXXXX)"
chmod 0777 "$WORK"
STAMP="$(date +%s)"
IOT_USER="gw-iot-$STAMP@ops.example"
SCALE_USER="gw-scale-$STAMP@ops.example"
IOT_SITES=(YEM-TAI-SILO-01 YEM-SAN-FARM-01) # the IoT gateway must never see YEM-HOD-STORE-01
PASS=0
FAIL=0
SERVE_PID=""

ok() {
	PASS=$((PASS + 1))
	printf 'ok   %s\n' "$*"
}
bad() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$*"
}
check() {
	local desc="$1"
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}
cfg() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$SITE_DIR/site_config.json" "$1"; }
sql() {
	mariadb -h 127.0.0.1 -u "$(cfg db_name)" -p"$(cfg db_password)" --batch --skip-column-names "$(cfg db_name)" -e "$1"
}
ping_ok() { curl -fsS --max-time 5 -H "X-Frappe-Site-Name: $YAM_SITE" "$YAM_URL/api/method/frappe.ping" 2>/dev/null | grep -q pong; }

start_server() {
	# the process bench itself would start for `bench --site SITE serve` (bench's wrapper would leave it
	# running when killed), so that its PID is the server's
	# shellcheck disable=SC2016
	runuser -u "$OWNER" -- bash -lc 'cd "$1/sites" && { nohup ../env/bin/python -m frappe.utils.bench_helper frappe \
		--site "$2" serve --port "$3" --noreload >"$4" 2>&1 & } && echo $!' \
		bash "$YAM_BENCH_DIR" "$YAM_SITE" "$PORT" "$WORK/serve.log" >"$WORK/serve.pid"
	SERVE_PID="$(cat "$WORK/serve.pid")"
	local _
	for _ in $(seq 1 60); do
		ping_ok && return 0
		sleep 1
	done
	echo "bench serve did not answer on $YAM_URL (log: $WORK/serve.log)" >&2
	return 1
}
stop_server() {
	if [[ -n "$SERVE_PID" ]]; then
		kill "$SERVE_PID" 2>/dev/null || true
		wait "$SERVE_PID" 2>/dev/null || true
		local _
		for _ in $(seq 1 20); do
			kill -0 "$SERVE_PID" 2>/dev/null || break
			sleep 0.5
		done
		SERVE_PID=""
	fi
}
trap stop_server EXIT

echo "== site $YAM_SITE, server $YAM_URL, work dir $WORK"
if ping_ok; then
	echo "   using the server already answering on $YAM_URL"
	OWN_SERVER=0
else
	[[ "$YAM_URL" == "http://127.0.0.1:$PORT" ]] || {
		echo "$YAM_URL does not answer" >&2
		exit 3
	}
	start_server
	OWN_SERVER=1
	echo "   started bench serve (pid $SERVE_PID)"
fi

echo "== 1. gateway users through run.sh gateway-user"
bash "$ROOT/run.sh" gateway-user "$IOT_USER" "${IOT_SITES[@]}" >"$WORK/iot.env"
bash "$ROOT/run.sh" gateway-user "$SCALE_USER" >"$WORK/scale.env"
IOT_KEY="$(sed -n 's/^API_KEY=//p' "$WORK/iot.env")"
IOT_SECRET="$(sed -n 's/^API_SECRET=//p' "$WORK/iot.env")"
SCALE_KEY="$(sed -n 's/^API_KEY=//p' "$WORK/scale.env")"
SCALE_SECRET="$(sed -n 's/^API_SECRET=//p' "$WORK/scale.env")"
check "gateway users have API keys" test -n "$IOT_KEY" -a -n "$IOT_SECRET" -a -n "$SCALE_KEY" -a -n "$SCALE_SECRET"
check "IoT gateway granted exactly ${IOT_SITES[*]}" test "$(sql "SELECT GROUP_CONCAT(for_value ORDER BY for_value) \
FROM \`tabUser Permission\` WHERE user='$IOT_USER' AND allow='Site'")" = "YEM-SAN-FARM-01,YEM-TAI-SILO-01"

iot() { YAM_API_KEY="$IOT_KEY" YAM_API_SECRET="$IOT_SECRET" python3 "$ROOT/simulators/mock_iot.py" \
	--url "$YAM_URL" --site-name "$YAM_SITE" "$@"; }
scale() { YAM_API_KEY="$SCALE_KEY" YAM_API_SECRET="$SCALE_SECRET" python3 "$ROOT/simulators/mock_scale.py" \
	--url "$YAM_URL" --site-name "$YAM_SITE" "$@"; }

if ((OWN_SERVER)); then
	echo "== 2. backend down: a simulator started now waits (backoff) and delivers once the server is back"
	stop_server
	YAM_MAX_BACKOFF=4 iot --count 1 --hot-after -1 --spike-rate 0 --stuck-rate 0 >"$WORK/iot_down.log" 2>&1 &
	SIM_PID=$!
	sleep 6
	start_server
	rc=0
	wait "$SIM_PID" || rc=$?
	check "simulator retried while the backend was down" grep -q "retrying in" "$WORK/iot_down.log"
	check "and delivered afterwards (exit $rc)" test "$rc" = 0
	check "no traceback" test "$(grep -c Traceback "$WORK/iot_down.log")" = 0
fi

echo "== 3. mock_iot: 8 rounds, hot bin warming 4 °C a round from round 1, frequent spikes"
iot --count 8 --interval 1 --hot-after 0 --hot-rise 4 --spike-rate 0.15 --stuck-rate 0 --seed 42 >"$WORK/iot.log" 2>&1
tail -n 1 "$WORK/iot.log"
echo "== 4. mock_iot: a stuck moisture sensor (22 identical readings)"
iot --device SAN-F1-MOIST --count 22 --interval 0 --hot-after -1 --spike-rate 0 --stuck-rate 1 --stuck-length 30 \
	--seed 7 >"$WORK/iot_stuck.log" 2>&1
tail -n 1 "$WORK/iot_stuck.log"
echo "== 5. mock_scale: AT-07 pair, then 6 random tickets"
scale --once --at07 >"$WORK/scale_at07.log" 2>&1
scale --count 6 --interval 0 --mismatch-rate 0.5 --seed 3 >"$WORK/scale.log" 2>&1
tail -n 1 "$WORK/scale.log"

echo "== 6. what arrived, and how the server flagged it"
sql "SELECT quality_flag, COUNT(*) FROM tabObservation WHERE owner='$IOT_USER' GROUP BY quality_flag" | sed 's/^/   | /'
OBS="$(sql "SELECT COUNT(*) FROM tabObservation WHERE owner='$IOT_USER'")"
SENT="$(cat "$WORK"/iot*.log | grep -c ' -> ' || true)"
check "every reading the simulator reported as accepted is stored ($OBS)" test "$OBS" = "$SENT"
check "readings carry the site of their device" test "$(sql "SELECT COUNT(*) FROM tabObservation o JOIN tabDevice d \
ON d.name=o.device WHERE o.owner='$IOT_USER' AND o.site<>d.site")" = 0
check "nothing of the site the IoT gateway was not granted" test "$(sql "SELECT COUNT(*) FROM tabObservation \
WHERE owner='$IOT_USER' AND site NOT IN ('YEM-TAI-SILO-01','YEM-SAN-FARM-01')")" = 0
check "hot bin (> 35 °C) is Quarantine with a reason" test "$(sql "SELECT COUNT(*) FROM tabObservation \
WHERE owner='$IOT_USER' AND metric='Temperature' AND value>35 AND quality_flag='Quarantine' AND flag_reason<>''")" -ge 3
check "no temperature above 35 °C escaped Quarantine" test "$(sql "SELECT COUNT(*) FROM tabObservation \
WHERE owner='$IOT_USER' AND metric='Temperature' AND value>35 AND quality_flag<>'Quarantine'")" = 0
check "30-35 °C is Warning (unless a jump or a stuck sensor makes it Quarantine)" test "$(sql "SELECT COUNT(*) \
FROM tabObservation WHERE owner='$IOT_USER' AND metric='Temperature' AND value>30 AND value<=35 \
AND quality_flag<>'Warning' AND NOT (quality_flag='Quarantine' AND (flag_reason LIKE '%jump%' OR flag_reason LIKE '%stuck%'))")" = 0
check "a spike is caught as an impossible jump" test "$(sql "SELECT COUNT(*) FROM tabObservation \
WHERE owner='$IOT_USER' AND quality_flag='Quarantine' AND flag_reason LIKE '%jump%'")" -ge 1
check "the stuck sensor is caught (20 in a row)" test "$(sql "SELECT COUNT(*) FROM tabObservation \
WHERE owner='$IOT_USER' AND device='SAN-F1-MOIST' AND quality_flag='Quarantine' AND flag_reason LIKE '%stuck%'")" -ge 1
check "healthy readings are Valid" test "$(sql "SELECT COUNT(*) FROM tabObservation WHERE owner='$IOT_USER' \
AND quality_flag='Valid' AND ((metric='Temperature' AND (value<10 OR value>30)) OR (metric='Humidity' AND value>70) \
OR (metric='Grain Moisture' AND value>14) OR (metric='CO2' AND value>1000))")" = 0

sql "SELECT name, site, docstatus, net_kg, expected_net_kg, ROUND(deviation_pct,2), tolerance_pct, mismatch_flag, \
IFNULL(nonconformance,'-') FROM \`tabScale Ticket\` WHERE owner='$SCALE_USER' ORDER BY name" | sed 's/^/   | /'
TICKETS="$(sql "SELECT COUNT(*) FROM \`tabScale Ticket\` WHERE owner='$SCALE_USER'")"
check "8 tickets arrived ($TICKETS)" test "$TICKETS" = 8
check "all submitted (docstatus 1)" test "$(sql "SELECT COUNT(*) FROM \`tabScale Ticket\` WHERE owner='$SCALE_USER' AND docstatus<>1")" = 0
check "net = gross - tare" test "$(sql "SELECT COUNT(*) FROM \`tabScale Ticket\` WHERE owner='$SCALE_USER' \
AND ABS(net_kg-(gross_kg-tare_kg))>0.001")" = 0
check "mismatch_flag = |deviation| > tolerance" test "$(sql "SELECT COUNT(*) FROM \`tabScale Ticket\` \
WHERE owner='$SCALE_USER' AND mismatch_flag <> (ABS(deviation_pct) > tolerance_pct)")" = 0
check "AT-07: 3000/3000 clean, 2200/3000 flagged" test "$(sql "SELECT GROUP_CONCAT(mismatch_flag ORDER BY name) \
FROM \`tabScale Ticket\` WHERE owner='$SCALE_USER' AND expected_net_kg=3000 AND net_kg IN (3000,2200)")" = "0,1"
check "each flagged ticket opened exactly one Weight Mismatch NC, linked both ways" test "$(sql "SELECT COUNT(*) \
FROM \`tabScale Ticket\` t WHERE t.owner='$SCALE_USER' AND t.mismatch_flag=1 AND (SELECT COUNT(*) FROM \
tabNonconformance n WHERE n.scale_ticket=t.name AND n.nc_type='Weight Mismatch' AND n.name=t.nonconformance)<>1")" = 0
check "clean tickets opened none" test "$(sql "SELECT COUNT(*) FROM tabNonconformance n JOIN \`tabScale Ticket\` t \
ON t.name=n.scale_ticket WHERE t.owner='$SCALE_USER' AND t.mismatch_flag=0")" = 0
check "simulators agree with the server on every ticket" grep -q "'disagreements': 0" "$WORK/scale.log"

echo
echo "$PASS passed, $FAIL failed"
echo "(logs: $WORK)"
((FAIL == 0))
