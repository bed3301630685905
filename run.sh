#!/usr/bin/env bash
# run.sh: operate the YAM Agri Core stack (docker compose) or, in local-bench mode, a native Frappe bench.
# `bash run.sh help` lists the commands. Docs: docs/OPERATIONS_RUNBOOK.md, docs/DEPLOYMENT_GUIDE.md.
# This file is the dispatcher; the commands live in scripts/run/*.sh (sourced below, one file per concern), and
# what runs inside the site is in yam_agri_core/ops.py (called with `bench execute` and JSON arguments).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_PARTS="$SCRIPT_DIR/scripts/run"
if [[ ! -f "$RUN_PARTS/common.sh" ]]; then
	printf 'run.sh: error: %s\n  fix: %s\n' "$RUN_PARTS/common.sh not found (run.sh needs its scripts/run/ folder)" \
		"run run.sh from a complete checkout of the repository" >&2
	exit 3
fi
# shellcheck source=scripts/run/common.sh
source "$RUN_PARTS/common.sh"   # exit codes, settings, output helpers, .env, JSON arguments
# shellcheck source=scripts/run/backend.sh
source "$RUN_PARTS/backend.sh"  # docker compose or local bench: where bench runs
# shellcheck source=scripts/run/backup.sh
source "$RUN_PARTS/backup.sh"   # backup, prune
# shellcheck source=scripts/run/restore.sh
source "$RUN_PARTS/restore.sh"  # restore
# shellcheck source=scripts/run/stack.sh
source "$RUN_PARTS/stack.sh"    # up, down, build, logs, shell, status
# shellcheck source=scripts/run/site.sh
source "$RUN_PARTS/site.sh"     # bench, migrate, test, gateway-user
# shellcheck source=scripts/run/field.sh
source "$RUN_PARTS/field.sh"    # sensor
# shellcheck source=scripts/run/offline.sh
source "$RUN_PARTS/offline.sh"  # offline-save, offline-load
# shellcheck source=scripts/run/offsite.sh
source "$RUN_PARTS/offsite.sh"  # offsite (restic, encrypted)
# shellcheck source=scripts/run/watch.sh
source "$RUN_PARTS/watch.sh"    # watch, status_ops_report
# shellcheck source=scripts/run/schedule.sh
source "$RUN_PARTS/schedule.sh" # schedule (systemd timers)
# shellcheck source=scripts/run/archive.sh
source "$RUN_PARTS/archive.sh"  # archive (readings older than the retention -> Parquet)

usage() {
	cat <<'EOF'
Usage: bash run.sh COMMAND [ARGS]

Stack (docker compose, docker-compose.yaml + .env):
  up                     build the app image if it is missing, start the stack, wait until the site answers
  down                   stop the stack and remove its containers (data volumes are kept)
  logs [SERVICE]         follow logs (all services, or one: backend, db, scheduler, mock_iot, ...)
  shell                  open a bash shell in the backend container (bench directory)
  status                 containers, their health and frappe.ping; exit 4 if anything is unhealthy
  build                  (re)build the app image from docker/Dockerfile (needs internet)
  offline-save [FILE]    save every image of the stack into one archive (default ./offline/)
  offline-load [FILE]    load that archive on a machine without internet (default: newest in ./offline/)

Site (the stack's backend container, or the native bench in local-bench mode):
  bench ARGS...          run bench, e.g.: bash run.sh bench --site yam.localhost migrate
  backup                 write ./backups/YYYYMMDD_HHMM/{frappe-backup.sql.gz,files.tar.gz,backup.log} (0600)
  restore [DIR] [--yes] [--no-safety-backup] [--fresh-db]
                         restore the newest backup (or DIR): database and files; asks first unless --yes;
                         safety backup into ./backups/pre-restore/ first; works with the backend down
  prune [--dry-run]      remove backups by age: daily 7 days, predeploy 30, pre-restore 30 (YAM_KEEP_*_DAYS)
  archive [--dry-run]    move sensor readings older than the retention (YAM Agri Settings, default 180 days) into
                         Parquet files (one per site and month, private files: backups carry them); daily job too
  migrate                pre-deployment backup (./backups/predeploy_*), then bench migrate
  offsite [push|list|fetch [SNAP]|restore [SNAP] [--yes]]
                         newest backup -> restic repository YAM_OFFSITE_REPO (USB path or rclone:...), encrypted
  watch                  email YAM_ADMIN_EMAIL once per event: no backup for 26 h, failed backup, disk > 80 %
  schedule install|remove|show
                         systemd timers: daily backup + prune, hourly watch, weekly offsite (catch up after off)
  test [ARGS...]         run the app's integration tests (bench run-tests --app yam_agri_core) with CI=1; in the
                         stack on test.localhost, made for the run and dropped after it (YAM_KEEP_TEST_SITE=1 keeps it)
  gateway-user EMAIL [SITE...]
                         create/refresh a Sensor Gateway API user for SITEs (default: all sites) and print
                         its API key and secret (uses the Administrator password: ADMIN_PASSWORD)

Field hub (compose profile field):
  sensor add DEVICE_ID   give a sensor its broker user (password: YAM_SENSOR_PASSWORD, or one is made
                         and printed once), then restart the broker
  sensor remove DEVICE_ID | sensor list
  sensor status          the gateway's queue depth, oldest reading, last forward and dead letters
  help                   this text

Local-bench mode: set YAM_BENCH_DIR=/path/to/frappe-bench and YAM_SITE=site.name; then bench, backup,
restore, test, gateway-user and the ping of status run against that bench (as the owner of the bench folder
when run as root) instead of docker compose. DB_ROOT_PASSWORD is the MariaDB root password for restore.

Environment: SITE_NAME, DB_ROOT_PASSWORD, ADMIN_PASSWORD, HTTP_PORT, YAM_ADMIN_EMAIL (emailed when a backup
fails) come from .env; YAM_BACKUP_DIR, YAM_ENV_FILE, YAM_KEEP_*_DAYS, YAM_OFFSITE_* override the defaults.

Exit codes: 0 ok, 1 failure, 2 usage, 3 missing prerequisite, 4 unhealthy, 5 backup failed,
            6 restore failed, 7 no backup to restore, 8 not confirmed.
EOF
}

# ---------------------------------------------------------------------------------------------------------------

main() {
	load_env "$ENV_FILE"
	local cmd="${1:-}"
	[[ $# -gt 0 ]] && shift
	case "$cmd" in
	help | -h | --help)
		usage
		exit "$E_OK"
		;;
	"")
		usage >&2
		die "$E_USAGE" "no command given" "bash run.sh help"
		;;
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	logs) cmd_logs "$@" ;;
	shell) cmd_shell "$@" ;;
	status) cmd_status "$@" ;;
	bench) cmd_bench "$@" ;;
	backup) cmd_backup "$@" ;;
	restore) cmd_restore "$@" ;;
	prune) cmd_prune "$@" ;;
	migrate) cmd_migrate "$@" ;;
	archive) cmd_archive "$@" ;;
	offsite) cmd_offsite "$@" ;;
	watch) cmd_watch "$@" ;;
	schedule) cmd_schedule "$@" ;;
	test) cmd_test "$@" ;;
	sensor) cmd_sensor "$@" ;;
	build) cmd_build "$@" ;;
	offline-save) cmd_offline_save "$@" ;;
	offline-load) cmd_offline_load "$@" ;;
	gateway-user) cmd_gateway_user "$@" ;;
	*) die "$E_USAGE" "unknown command '$cmd'" "bash run.sh help (lists the commands)" ;;
	esac
}

main "$@"
