#!/usr/bin/env bash
# Real-bench test of `run.sh backup` / `run.sh restore` in local-bench mode (NOT part of the pure tier:
# pytest does not collect shell scripts). It changes the data of the site it is given, then restores it,
# so point it at a scratch site, never at a site whose data matters:
#
#   # as root (run.sh then runs bench as the owner of the bench folder) or as the bench owner
#   YAM_BENCH_DIR=/home/frappe/frappe-bench YAM_SITE=ops.test DB_ROOT_PASSWORD=root \
#     bash tests/bench/bench_backup_restore.sh
#
# Needs: MariaDB + the bench's redis running, the site with erpnext + yam_agri_core and the demo data
# (bench --site SITE execute yam_agri_core.demo.make_demo_data), the `mariadb` client.
# Proves by counts and content that everything changed or deleted after the backup is back after the restore:
# table row counts and a hash of every row of the app's tables (and File, User Permission), the attachment
# files on disk (path + sha256), and a few named records checked field by field.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_SH="$HERE/../../run.sh"
: "${YAM_BENCH_DIR:?set YAM_BENCH_DIR to the bench folder}"
: "${YAM_SITE:?set YAM_SITE to a scratch site (e.g. ops.test)}"
: "${DB_ROOT_PASSWORD:?set DB_ROOT_PASSWORD (MariaDB root password)}"
export YAM_BENCH_DIR YAM_SITE DB_ROOT_PASSWORD
if [[ "$YAM_SITE" == "yam.test" && "${YAM_I_KNOW:-0}" != "1" ]]; then
	echo "refusing to change yam.test (the integration tests' site); use a scratch site" >&2
	exit 2
fi
WORK="$(mktemp -d /tmp/yam-bench-restore.XXXXXX)"
chmod 0755 "$WORK"
export YAM_BACKUP_DIR="$WORK/backups"
SITE_DIR="$YAM_BENCH_DIR/sites/$YAM_SITE"
OWNER="$(stat -c %U "$YAM_BENCH_DIR")"
TABLES=("tabSite" "tabStorage Bin" "tabDevice" "tabLot" "tabScale Ticket" "tabObservation" "tabCertificate"
	"tabNonconformance" "tabCrop" "tabFile" "tabUser Permission")
PASS=0
FAIL=0

ok() {
	PASS=$((PASS + 1))
	printf 'ok   %s\n' "$*"
}
bad() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$*"
}
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
	local desc="$1"
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

as_owner() { # run in the bench folder as its owner, with the owner's login environment (bench on PATH)
	if [[ "$(id -un)" == "$OWNER" ]]; then
		(cd "$YAM_BENCH_DIR" && "$@")
	else
		# shellcheck disable=SC2016
		runuser -u "$OWNER" -- bash -lc 'cd -- "$1" && shift && exec "$@"' bash "$YAM_BENCH_DIR" "$@"
	fi
}

bexec() { # bench execute METHOD [--kwargs "..."]: prints the JSON result
	as_owner bench --site "$YAM_SITE" execute "$@" </dev/null 2>/dev/null | tail -n 1
}

cfg() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$SITE_DIR/site_config.json" "$1"; }

sql() { # read-only queries as the site's own DB user
	mariadb -h "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("db_host","127.0.0.1"))' \
		"$YAM_BENCH_DIR/sites/common_site_config.json")" -u "$(cfg db_name)" -p"$(cfg db_password)" \
		--batch --skip-column-names "$(cfg db_name)" -e "$1"
}

fingerprint() { # one line per table (count + hash of all rows) and per attachment file (sha256)
	local t
	for t in "${TABLES[@]}"; do
		printf '%s count=%s rows=%s\n' "$t" "$(sql "SELECT COUNT(*) FROM \`$t\`")" \
			"$(sql "SELECT * FROM \`$t\` ORDER BY name" | sha256sum | cut -c1-16)"
	done
	(cd "$SITE_DIR" && find public/files private/files -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

echo "== site $YAM_SITE on $YAM_BENCH_DIR (owner $OWNER), work dir $WORK"
[[ "$(bexec frappe.ping)" == *pong* ]] || {
	echo "the site does not answer frappe.ping (MariaDB/redis running?)" >&2
	exit 3
}
LOT="$(sql "SELECT name FROM tabLot ORDER BY name LIMIT 1")"
CERT="$(sql "SELECT name FROM tabCertificate ORDER BY name LIMIT 1")"
DEVICE="$(sql "SELECT name FROM tabDevice WHERE is_active=1 ORDER BY name LIMIT 1")"
[[ -n "$LOT" && -n "$CERT" && -n "$DEVICE" ]] || {
	echo "no demo data: bench --site $YAM_SITE execute yam_agri_core.demo.make_demo_data" >&2
	exit 3
}
echo "   records under test: Lot $LOT, Certificate $CERT, Device $DEVICE"

echo "== 1. attach a private certificate scan to $LOT (the attachment we will delete later)"
ATTACH_BODY="COA for $LOT, moisture 12.1 %, aflatoxin < 4 ppb, $(date -u +%FT%TZ)"
FILE_DOC="$(bexec frappe.client.insert --kwargs "{'doc': {'doctype': 'File', 'file_name': 'coa-ops-test.txt', \
'attached_to_doctype': 'Lot', 'attached_to_name': '$LOT', 'is_private': 1, 'content': '$ATTACH_BODY'}}")"
FILE_NAME="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$FILE_DOC")"
FILE_URL="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["file_url"])' "$FILE_DOC")"
FILE_PATH="$SITE_DIR${FILE_URL}"
check "attachment $FILE_NAME stored at $FILE_PATH" test -f "$FILE_PATH"

LOT_NOTES_BEFORE="$(sql "SELECT IFNULL(notes,'') FROM tabLot WHERE name='$LOT'")"
fingerprint >"$WORK/before.txt"
echo "   fingerprint before: $(wc -l <"$WORK/before.txt") lines"; sed 's/^/   | /' "$WORK/before.txt" | head -n 11

echo "== 2. bash run.sh backup (local-bench mode)"
bash "$RUN_SH" backup
BDIR="$(find "$YAM_BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort | tail -n 1)"
for part in frappe-backup.sql.gz files.tar.gz backup.log; do
	check "backup has a non-empty $part ($(stat -c %s "$BDIR/$part" 2>/dev/null || echo 0) bytes)" test -s "$BDIR/$part"
done
LISTING="$(tar -tzf "$BDIR/files.tar.gz")"
check "files.tar.gz holds the attachment" grep -q "private/files/coa-ops-test.txt" <<<"$LISTING"

echo "== 3. change, delete, add"
bexec frappe.client.set_value --kwargs "{'doctype': 'Lot', 'name': '$LOT', 'fieldname': 'notes', \
'value': 'CHANGED AFTER BACKUP'}" >/dev/null
bexec frappe.client.set_value --kwargs "{'doctype': 'Device', 'name': '$DEVICE', 'fieldname': 'is_active', \
'value': 0}" >/dev/null
bexec frappe.client.delete --kwargs "{'doctype': 'File', 'name': '$FILE_NAME'}" >/dev/null
bexec frappe.client.delete --kwargs "{'doctype': 'Certificate', 'name': '$CERT'}" >/dev/null
bexec frappe.client.insert --kwargs "{'doc': {'doctype': 'Crop', 'crop_name': 'OpsTestCrop', \
'crop_name_ar': 'محصول تجريبي'}}" >/dev/null
sql "SELECT COUNT(*) FROM tabObservation" >"$WORK/obs_before_delete.txt"
as_owner bash -c "echo 'stray upload after backup' > sites/$YAM_SITE/public/files/stray-after-backup.txt"
fingerprint >"$WORK/changed.txt"
check "lot changed" test "$(sql "SELECT notes FROM tabLot WHERE name='$LOT'")" = "CHANGED AFTER BACKUP"
check "certificate deleted" test "$(sql "SELECT COUNT(*) FROM tabCertificate WHERE name='$CERT'")" = 0
check "attachment deleted from disk" test ! -e "$FILE_PATH"
check "File record deleted" test "$(sql "SELECT COUNT(*) FROM tabFile WHERE name='$FILE_NAME'")" = 0
if diff -q "$WORK/before.txt" "$WORK/changed.txt" >/dev/null; then bad "fingerprint did not change"; else
	ok "fingerprint changed ($(diff "$WORK/before.txt" "$WORK/changed.txt" | grep -c '^[<>]') differing lines)"
fi

echo "== 4. bash run.sh restore --yes (newest backup)"
START=$(date +%s)
bash "$RUN_SH" restore --yes
echo "   restore took $(($(date +%s) - START)) s"
check "safety backup taken before the restore" \
	test -n "$(find "$YAM_BACKUP_DIR/pre-restore" -name frappe-backup.sql.gz -size +0)"

echo "== 5. everything is back"
fingerprint >"$WORK/after.txt"
if diff -u "$WORK/before.txt" "$WORK/after.txt"; then
	ok "fingerprint after restore == before backup ($(wc -l <"$WORK/after.txt") lines: counts, row hashes, files)"
else
	bad "fingerprint differs (diff above)"
fi
check "lot notes back" test "$(sql "SELECT IFNULL(notes,'') FROM tabLot WHERE name='$LOT'")" = "$LOT_NOTES_BEFORE"
check "device active again" test "$(sql "SELECT is_active FROM tabDevice WHERE name='$DEVICE'")" = 1
check "certificate $CERT back" test "$(sql "SELECT COUNT(*) FROM tabCertificate WHERE name='$CERT'")" = 1
check "crop added after the backup is gone" test "$(sql "SELECT COUNT(*) FROM tabCrop WHERE name='OpsTestCrop'")" = 0
check "File record back, attached to $LOT" \
	test "$(sql "SELECT attached_to_name FROM tabFile WHERE name='$FILE_NAME'")" = "$LOT"
check "attachment back on disk with its content" test "$(cat "$FILE_PATH" 2>/dev/null)" = "$ATTACH_BODY"
check "file uploaded after the backup is gone" test ! -e "$SITE_DIR/public/files/stray-after-backup.txt"
check "site answers frappe.ping" grep -q pong <<<"$(bexec frappe.ping)"

echo "== 6. clean up: delete the attachment again (leave the scratch site as the demo made it)"
bexec frappe.client.delete --kwargs "{'doctype': 'File', 'name': '$FILE_NAME'}" >/dev/null || true

echo
echo "$PASS passed, $FAIL failed"
echo "(work dir with fingerprints and backups: $WORK)"
((FAIL == 0))
