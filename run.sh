#!/usr/bin/env bash
# run.sh: operate the YAM Agri Core stack (docker compose) or, in local-bench mode, a native Frappe bench.
# `bash run.sh help` lists the commands. Docs: docs/OPERATIONS_RUNBOOK.md, docs/DEPLOYMENT_GUIDE.md.
set -euo pipefail

# ---------------------------------------------------------------------------------------------------------------
# exit codes (documented in `help` and docs/TROUBLESHOOTING.md)
readonly E_OK=0
readonly E_FAIL=1        # unexpected failure of a command run.sh called
readonly E_USAGE=2       # unknown command or bad arguments
readonly E_PREREQ=3      # something run.sh needs is missing (docker, .env, bench dir, curl, ...)
readonly E_UNHEALTHY=4   # status: a service is down/unhealthy or the site does not answer
readonly E_BACKUP=5      # backup failed (nothing half-made is left as a backup)
readonly E_RESTORE=6     # restore failed
readonly E_NOBACKUP=7    # nothing to restore: no backup, or the given folder is not a complete backup
readonly E_ABORTED=8     # the user did not confirm (or no terminal to ask and no --yes)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COMPOSE_FILE="${YAM_COMPOSE_FILE:-$SCRIPT_DIR/docker-compose.yaml}"
ENV_FILE="${YAM_ENV_FILE:-$SCRIPT_DIR/.env}"
BACKUP_ROOT="${YAM_BACKUP_DIR:-$SCRIPT_DIR/backups}"
OFFLINE_DIR="${YAM_OFFLINE_DIR:-$SCRIPT_DIR/offline}"
KEEP_BACKUPS="${YAM_KEEP_BACKUPS:-7}"
KEEP_SAFETY="${YAM_KEEP_SAFETY_BACKUPS:-3}"
BACKUP_NAME_RE='^[0-9]{8}_[0-9]{4}$'
# long-running services of the stack; create-site is the one-shot job
ONE_SHOT_SERVICES=" create-site "

# ---------------------------------------------------------------------------------------------------------------
# output helpers: results on stdout, diagnostics on stderr

info() { printf '%s\n' "$*"; }
warn() { printf 'run.sh: warning: %s\n' "$*" >&2; }

# die CODE MESSAGE [HINT...]: print the error and how to fix it, exit with CODE
die() {
	local code="$1" msg="$2"
	shift 2
	printf 'run.sh: error: %s\n' "$msg" >&2
	local hint
	for hint in "$@"; do
		printf '  fix: %s\n' "$hint" >&2
	done
	exit "$code"
}

usage() {
	cat <<'EOF'
Usage: bash run.sh COMMAND [ARGS]

Stack (docker compose, docker-compose.yaml + .env):
  up                     build the app image if it is missing, start the stack, wait until the site answers
  down                   stop the stack (data volumes are kept)
  logs [SERVICE]         follow logs (all services, or one: backend, db, scheduler, mock_iot, ...)
  shell                  open a bash shell in the backend container (bench directory)
  status                 containers, their health and frappe.ping; exit 4 if anything is unhealthy
  build                  (re)build the app image from docker/Dockerfile (needs internet)
  offline-save [FILE]    save every image of the stack into one archive (default ./offline/)
  offline-load [FILE]    load that archive on a machine without internet (default: newest in ./offline/)

Site (the stack's backend container, or the native bench in local-bench mode):
  bench ARGS...          run bench, e.g.: bash run.sh bench --site yam.localhost migrate
  backup                 write ./backups/YYYYMMDD_HHMM/{frappe-backup.sql.gz,files.tar.gz,backup.log}
  restore [DIR] [--yes] [--no-safety-backup]
                         restore the newest backup (or DIR): database and files; asks first unless --yes;
                         takes a safety backup into ./backups/pre-restore/ first
  prune [--dry-run]      keep the 7 newest backups (YAM_KEEP_BACKUPS), 3 newest safety and failed ones
  test [ARGS...]         run the app's integration tests (bench run-tests --app yam_agri_core) with CI=1
  gateway-user EMAIL [SITE...]
                         create/refresh a Sensor Gateway API user for SITEs (default: all sites) and print
                         its API key and secret (uses the Administrator password: ADMIN_PASSWORD)
  help                   this text

Local-bench mode: set YAM_BENCH_DIR=/path/to/frappe-bench and YAM_SITE=site.name; then bench, backup,
restore, test, gateway-user and the ping of status run against that bench (as the owner of the bench folder
when run as root) instead of docker compose. DB_ROOT_PASSWORD is the MariaDB root password for restore.

Environment: SITE_NAME, DB_ROOT_PASSWORD, ADMIN_PASSWORD, HTTP_PORT, YAM_ADMIN_EMAIL (emailed when a backup
fails) come from .env; YAM_BACKUP_DIR, YAM_ENV_FILE, YAM_KEEP_BACKUPS override the defaults.

Exit codes: 0 ok, 1 failure, 2 usage, 3 missing prerequisite, 4 unhealthy, 5 backup failed,
            6 restore failed, 7 no backup to restore, 8 not confirmed.
EOF
}

# ---------------------------------------------------------------------------------------------------------------
# configuration

# load_env FILE: KEY=VALUE lines (docker compose .env syntax); variables already in the environment win
load_env() {
	local file="$1" line key value
	[[ -f "$file" ]] || return 0
	while IFS= read -r line || [[ -n "$line" ]]; do
		line="${line%$'\r'}"
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		[[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
		key="${BASH_REMATCH[2]}"
		value="${BASH_REMATCH[3]}"
		if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
			value="${BASH_REMATCH[1]}"
		fi
		if [[ -z "${!key+x}" ]]; then
			export "$key=$value"
		fi
	done <"$file"
}

local_mode() { [[ -n "${YAM_BENCH_DIR:-}" ]]; }

site_name() {
	if local_mode; then
		printf '%s' "${YAM_SITE:-}"
	else
		printf '%s' "${SITE_NAME:-yam.localhost}"
	fi
}

check_local_bench() {
	[[ -d "$YAM_BENCH_DIR/sites" && -d "$YAM_BENCH_DIR/apps" ]] ||
		die "$E_PREREQ" "YAM_BENCH_DIR=$YAM_BENCH_DIR is not a Frappe bench (no sites/ and apps/ in it)" \
			"point YAM_BENCH_DIR at the folder made by 'bench init', e.g. /home/frappe/frappe-bench"
	[[ -n "${YAM_SITE:-}" ]] ||
		die "$E_PREREQ" "local-bench mode needs YAM_SITE (the site to act on)" \
			"export YAM_SITE=yam.test (sites here: $(cd "$YAM_BENCH_DIR/sites" && find . -mindepth 2 -maxdepth 2 -name site_config.json | cut -d/ -f2 | tr '\n' ' '))"
	[[ -f "$YAM_BENCH_DIR/sites/$YAM_SITE/site_config.json" ]] ||
		die "$E_PREREQ" "site $YAM_SITE does not exist in $YAM_BENCH_DIR/sites" \
			"create it: bench new-site $YAM_SITE, or set YAM_SITE to an existing site"
}

check_docker() {
	command -v docker >/dev/null 2>&1 ||
		die "$E_PREREQ" "docker is not installed or not on PATH" \
			"install Docker Engine with the compose plugin: see docs/DEPLOYMENT_GUIDE.md, section 2"
	docker compose version >/dev/null 2>&1 ||
		die "$E_PREREQ" "'docker compose' (Compose v2 plugin) is not available" \
			"install the docker-compose-plugin package (Debian/Ubuntu: apt-get install docker-compose-plugin)"
	[[ -f "$ENV_FILE" ]] ||
		die "$E_PREREQ" "no settings file $ENV_FILE" \
			"cp .env.example .env, then set DB_ROOT_PASSWORD and ADMIN_PASSWORD in it"
	[[ -f "$COMPOSE_FILE" ]] ||
		die "$E_PREREQ" "compose file $COMPOSE_FILE not found" "run run.sh from a complete checkout of the repository"
}

dc() {
	docker compose -f "$COMPOSE_FILE" --env-file "$ENV_FILE" --project-directory "$SCRIPT_DIR" "$@"
}

# container id of a service ("" when it has no container)
container_of() {
	local ids
	ids="$(dc ps -a -q "$1" 2>/dev/null || true)"
	printf '%s' "${ids%%$'\n'*}"
}

require_backend() {
	local id state
	id="$(container_of backend)"
	state=""
	[[ -n "$id" ]] && state="$(docker inspect -f '{{.State.Status}}' "$id" 2>/dev/null || true)"
	[[ "$state" == "running" ]] ||
		die "${1:-$E_FAIL}" "the backend container is not running" "start the stack: bash run.sh up" \
			"then check: bash run.sh status"
}

# ---------------------------------------------------------------------------------------------------------------
# running things in the bench: docker mode = inside the backend container, local mode = in YAM_BENCH_DIR
# as the owner of the bench folder (root uses runuser/sudo to become that user)

as_bench_owner() {
	local owner me
	owner="$(stat -c %U "$YAM_BENCH_DIR")"
	me="$(id -un)"
	if [[ "$owner" == "$me" ]]; then
		(cd "$YAM_BENCH_DIR" && "$@")
	elif [[ "$(id -u)" == "0" ]]; then
		if command -v runuser >/dev/null 2>&1; then
			# shellcheck disable=SC2016 # expanded by the inner shell
			runuser -u "$owner" -- bash -lc 'cd -- "$1" && shift && exec "$@"' bash "$YAM_BENCH_DIR" "$@"
		elif command -v sudo >/dev/null 2>&1; then
			# shellcheck disable=SC2016
			sudo -H -u "$owner" bash -lc 'cd -- "$1" && shift && exec "$@"' bash "$YAM_BENCH_DIR" "$@"
		else
			die "$E_PREREQ" "cannot become $owner (owner of $YAM_BENCH_DIR): neither runuser nor sudo found" \
				"run run.sh as $owner"
		fi
	else
		die "$E_PREREQ" "$YAM_BENCH_DIR belongs to $owner, and you are $me" "run: sudo -u $owner bash run.sh ..."
	fi
}

# site_exec CMD...: run CMD with the bench folder as working directory, stdin/stdout passed through
site_exec() {
	if local_mode; then
		as_bench_owner "$@"
	else
		dc exec -T backend "$@"
	fi
}

run_bench() {
	if local_mode; then
		as_bench_owner bench "$@"
	elif [[ -t 0 && -t 1 ]]; then
		dc exec backend bench "$@"
	else
		dc exec -T backend bench "$@"
	fi
}

prepare_site_mode() { # checks before a command that runs bench
	if local_mode; then
		check_local_bench
	else
		check_docker
		require_backend "${1:-$E_FAIL}"
	fi
}

# ---------------------------------------------------------------------------------------------------------------
# backups

# complete_backup DIR: both parts present and not empty
complete_backup() {
	[[ -s "$1/frappe-backup.sql.gz" && -s "$1/files.tar.gz" ]]
}

# newest_backup: path of the newest complete backup folder (YYYYMMDD_HHMM) in BACKUP_ROOT, or fail
newest_backup() {
	local d name best=""
	[[ -d "$BACKUP_ROOT" ]] || return 1
	for d in "$BACKUP_ROOT"/*/; do
		[[ -d "$d" ]] || continue
		d="${d%/}"
		name="${d##*/}"
		[[ "$name" =~ $BACKUP_NAME_RE ]] || continue
		complete_backup "$d" || continue
		if [[ -z "$best" || "$name" > "${best##*/}" ]]; then
			best="$d"
		fi
	done
	[[ -n "$best" ]] || return 1
	printf '%s\n' "$best"
}

# list_named PATTERN_RE DIR: folder names in DIR matching the regex, newest (highest) first
list_named() {
	local re="$1" dir="$2" d name
	[[ -d "$dir" ]] || return 0
	for d in "$dir"/*/; do
		[[ -d "$d" ]] || continue
		d="${d%/}"
		name="${d##*/}"
		[[ "$name" =~ $re ]] && printf '%s\n' "$name"
	done | sort -r
}

human_size() { # bytes
	local b="$1"
	if ((b >= 1048576)); then
		printf '%d.%d MB' $((b / 1048576)) $((b % 1048576 * 10 / 1048576))
	elif ((b >= 1024)); then
		printf '%d KB' $((b / 1024))
	else
		printf '%d B' "$b"
	fi
}

BACKUP_LOG=""
blog() { # message to stdout and the backup log
	local line
	line="$(date '+%F %T') $*"
	printf '%s\n' "$line"
	[[ -n "$BACKUP_LOG" ]] && printf '%s\n' "$line" >>"$BACKUP_LOG"
	return 0
}

# notify_admin SUBJECT MESSAGE: best-effort email to YAM_ADMIN_EMAIL through the site's outgoing mail
notify_admin() {
	local subject="${1//\'/}" message="${2//\'/}" site
	site="$(site_name)"
	if [[ -z "${YAM_ADMIN_EMAIL:-}" ]]; then
		warn "no email sent: set YAM_ADMIN_EMAIL in .env to be told about failed backups"
		return 0
	fi
	if run_bench --site "$site" execute frappe.sendmail --kwargs \
		"{'recipients': ['${YAM_ADMIN_EMAIL//\'/}'], 'subject': '$subject', 'message': '$message', 'now': True}" \
		</dev/null >/dev/null 2>&1; then
		info "emailed ${YAM_ADMIN_EMAIL}: $subject"
	else
		warn "could not email ${YAM_ADMIN_EMAIL} (is outgoing mail set up on $site?)"
	fi
}

# write_backup DEST: database + files of the site into DEST (which must not exist); returns non-zero on failure
write_backup() {
	local dest="$1" site tmp part size sum
	site="$(site_name)"
	mkdir -p "$dest" || return 1
	BACKUP_LOG="$dest/backup.log"
	: >"$BACKUP_LOG"
	blog "backup of site $site ($(local_mode && echo "bench $YAM_BENCH_DIR" || echo "docker compose stack")) into $dest"
	tmp="/tmp/yam-backup-$(date +%Y%m%d%H%M%S)-$$"
	blog "database: bench --site $site backup --backup-path $tmp"
	site_exec mkdir -p "$tmp" </dev/null || return 1
	if ! site_exec bench --site "$site" backup --backup-path "$tmp" </dev/null >>"$BACKUP_LOG" 2>&1; then
		blog "ERROR: bench backup failed (see above)"
		site_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	if ! site_exec bash -c 'set -e; f=$(ls -1 "$1"/*-database.sql.gz | head -n 1); cat "$f"' _ "$tmp" \
		</dev/null >"$dest/frappe-backup.sql.gz" 2>>"$BACKUP_LOG"; then
		blog "ERROR: could not copy the database dump out of $tmp"
		site_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	site_exec rm -rf "$tmp" </dev/null || true
	blog "files: public/files, private/files and site_config.json of sites/$site"
	if ! site_exec tar -C "sites/$site" -czf - public/files private/files site_config.json \
		</dev/null >"$dest/files.tar.gz" 2>>"$BACKUP_LOG"; then
		blog "ERROR: tar of the site files failed"
		return 1
	fi
	verify_backup "$dest" || return 1
	for part in frappe-backup.sql.gz files.tar.gz; do
		size="$(stat -c %s "$dest/$part")"
		sum="$(sha256sum "$dest/$part" | cut -d' ' -f1)"
		blog "ok: $part $(human_size "$size") sha256=$sum"
	done
	blog "backup complete: $dest"
}

# verify_backup DIR: every part there, not empty, readable archives
verify_backup() {
	local dir="$1" part ok=0
	for part in frappe-backup.sql.gz files.tar.gz; do
		if [[ ! -e "$dir/$part" ]]; then
			blog "ERROR: $part is missing"
			ok=1
		elif [[ ! -s "$dir/$part" ]]; then
			blog "ERROR: $part is empty"
			ok=1
		elif ! gzip -t "$dir/$part" 2>/dev/null; then
			blog "ERROR: $part is not a valid gzip file"
			ok=1
		fi
	done
	((ok == 0)) || return 1
	# (process substitution, not a pipe: grep stops early and gzip's SIGPIPE must not count as failure)
	if ! grep -q -m 1 'CREATE TABLE' < <(gzip -dc "$dir/frappe-backup.sql.gz" 2>/dev/null); then
		blog "ERROR: frappe-backup.sql.gz holds no table (not a database dump)"
		return 1
	fi
	local listing
	listing="$(tar -tzf "$dir/files.tar.gz" 2>/dev/null)" || {
		blog "ERROR: files.tar.gz cannot be listed"
		return 1
	}
	for part in public/files private/files site_config.json; do
		if ! grep -q -E "^(\./)?$part/?\$" <<<"$listing"; then
			blog "ERROR: files.tar.gz has no $part"
			ok=1
		fi
	done
	return "$ok"
}

cmd_backup() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "backup takes no arguments (got: $*)" "bash run.sh backup"
	prepare_site_mode "$E_BACKUP"
	local stamp dest
	stamp="$(date +%Y%m%d_%H%M)"
	dest="$BACKUP_ROOT/$stamp"
	[[ ! -e "$dest" ]] ||
		die "$E_BACKUP" "a backup for this minute already exists: $dest" \
			"wait a minute and run 'bash run.sh backup' again"
	mkdir -p "$BACKUP_ROOT" || die "$E_BACKUP" "cannot create $BACKUP_ROOT" "check the disk and permissions"
	if write_backup "$dest"; then
		info "backup: $dest"
		return 0
	fi
	local failed="$BACKUP_ROOT/FAILED_$stamp"
	blog "BACKUP FAILED; kept for inspection as $failed"
	mv "$dest" "$failed" 2>/dev/null || failed="$dest"
	BACKUP_LOG=""
	notify_admin "YAM backup FAILED on $(hostname)" \
		"The backup $stamp of site $(site_name) failed. See $failed/backup.log on $(hostname)."
	die "$E_BACKUP" "backup failed; the log is $failed/backup.log" \
		"bash run.sh status (is the stack up and healthy?)" "df -h (is the disk full?)"
}

cmd_prune() {
	local dry=0 arg
	for arg in "$@"; do
		case "$arg" in
		--dry-run | -n) dry=1 ;;
		*) die "$E_USAGE" "prune: unknown argument '$arg'" "bash run.sh prune [--dry-run]" ;;
		esac
	done
	[[ "$KEEP_BACKUPS" =~ ^[1-9][0-9]*$ ]] ||
		die "$E_USAGE" "YAM_KEEP_BACKUPS must be a number >= 1 (got '$KEEP_BACKUPS')" "unset YAM_KEEP_BACKUPS"
	[[ -d "$BACKUP_ROOT" ]] || {
		info "prune: no backups folder ($BACKUP_ROOT), nothing to do"
		return 0
	}
	local removed=0 kept=0 n name
	prune_set() { # regex folder keep
		n=0
		while IFS= read -r name; do
			[[ -n "$name" ]] || continue
			n=$((n + 1))
			if ((n <= $3)); then
				kept=$((kept + 1))
				continue
			fi
			removed=$((removed + 1))
			if ((dry)); then
				info "would remove $2/$name"
			else
				rm -rf -- "${2:?}/$name"
				info "removed $2/$name"
			fi
		done < <(list_named "$1" "$2")
	}
	prune_set "$BACKUP_NAME_RE" "$BACKUP_ROOT" "$KEEP_BACKUPS"
	prune_set '^FAILED_[0-9]{8}_[0-9]{4}$' "$BACKUP_ROOT" "$KEEP_SAFETY"
	prune_set '^[0-9]{8}_[0-9]{6}$' "$BACKUP_ROOT/pre-restore" "$KEEP_SAFETY"
	info "prune: kept $kept, $( ((dry)) && echo "would remove" || echo "removed") $removed"
}

# ---------------------------------------------------------------------------------------------------------------
# restore

confirm() { # prompt; true when the user typed yes
	local answer
	[[ -t 0 ]] || return 2
	printf '%s [type yes] ' "$1" >&2
	read -r answer || return 1
	[[ "$answer" == "yes" ]]
}

json_value() { # KEY < json: the string value of "KEY": "..."
	sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

cmd_restore() {
	local dir="" yes=0 safety=1 arg
	for arg in "$@"; do
		case "$arg" in
		--yes | -y) yes=1 ;;
		--no-safety-backup) safety=0 ;;
		-*) die "$E_USAGE" "restore: unknown option '$arg'" "bash run.sh restore [DIR] [--yes] [--no-safety-backup]" ;;
		*)
			[[ -z "$dir" ]] || die "$E_USAGE" "restore takes one folder (got '$dir' and '$arg')" \
				"bash run.sh restore ./backups/YYYYMMDD_HHMM"
			dir="$arg"
			;;
		esac
	done
	if [[ -z "$dir" ]]; then
		dir="$(newest_backup)" ||
			die "$E_NOBACKUP" "no backup to restore: no complete backup folder in $BACKUP_ROOT" \
				"make one with: bash run.sh backup" "or name a folder: bash run.sh restore /media/usb/yam-backup/YYYYMMDD_HHMM"
	fi
	dir="${dir%/}"
	[[ -d "$dir" ]] || die "$E_NOBACKUP" "backup folder $dir does not exist" "list backups: ls -lt $BACKUP_ROOT"
	complete_backup "$dir" ||
		die "$E_NOBACKUP" "$dir is not a complete backup (needs non-empty frappe-backup.sql.gz and files.tar.gz)" \
			"pick another folder: ls -lt $BACKUP_ROOT"
	if ! gzip -t "$dir/frappe-backup.sql.gz" 2>/dev/null || ! gzip -t "$dir/files.tar.gz" 2>/dev/null; then
		die "$E_NOBACKUP" "$dir holds a damaged archive (gzip test failed)" "pick another backup folder"
	fi
	dir="$(cd "$dir" && pwd)"

	prepare_site_mode "$E_RESTORE"
	local site
	site="$(site_name)"
	[[ -n "${DB_ROOT_PASSWORD:-}" ]] ||
		die "$E_PREREQ" "DB_ROOT_PASSWORD (MariaDB root password) is not set" \
			"set it in .env, or: DB_ROOT_PASSWORD=... bash run.sh restore"

	info "restore: $dir -> site $site"
	if ((!yes)); then
		local rc=0
		confirm "This REPLACES all data and files of site $site with the backup $dir." || rc=$?
		case "$rc" in
		0) ;;
		2) die "$E_ABORTED" "restore needs confirmation and there is no terminal to ask" "add --yes to confirm" ;;
		*) die "$E_ABORTED" "restore cancelled; nothing was changed" "run again and type yes, or add --yes" ;;
		esac
	fi

	if ((safety)); then
		local sdest
		sdest="$BACKUP_ROOT/pre-restore/$(date +%Y%m%d_%H%M%S)"
		info "safety backup of the current state into $sdest"
		mkdir -p "$BACKUP_ROOT/pre-restore"
		if ! write_backup "$sdest"; then
			BACKUP_LOG=""
			mv "$sdest" "$sdest.FAILED" 2>/dev/null || true
			die "$E_RESTORE" "the safety backup failed, so nothing was restored (log: $sdest.FAILED/backup.log)" \
				"fix the cause (bash run.sh status), or if the site is beyond saving: bash run.sh restore $dir --no-safety-backup"
		fi
		BACKUP_LOG=""
	else
		warn "no safety backup taken (--no-safety-backup)"
	fi

	local stopped=()
	if ! local_mode; then
		# nothing may write while the database is replaced
		local svc
		for svc in scheduler queue-short queue-long mock_iot mock_scale; do
			[[ -n "$(dc ps -q "$svc" 2>/dev/null)" ]] && stopped+=("$svc")
		done
		if ((${#stopped[@]})); then
			info "stopping ${stopped[*]} during the restore"
			dc stop "${stopped[@]}" >/dev/null || warn "could not stop ${stopped[*]}"
		fi
	fi

	local rc=0
	do_restore "$dir" "$site" || rc=$?
	if ((${#stopped[@]})); then
		dc start "${stopped[@]}" >/dev/null || warn "could not start ${stopped[*]} again: bash run.sh up"
	fi
	if ((rc != 0)); then
		die "$E_RESTORE" "restore of $dir failed (see the messages above)" \
			"the state before the restore is in $BACKUP_ROOT/pre-restore/ (newest folder)" \
			"check: bash run.sh status; then retry: bash run.sh restore $dir"
	fi
	info "restore complete: site $site is back to $dir"
}

do_restore() {
	local dir="$1" site="$2" tmp
	tmp="/tmp/yam-restore-$(date +%Y%m%d%H%M%S)-$$"
	site_exec mkdir -p "$tmp" </dev/null || return 1
	# shellcheck disable=SC2016
	site_exec bash -c 'cat >"$1"' _ "$tmp/frappe-backup.sql.gz" <"$dir/frappe-backup.sql.gz" || return 1
	info "database: bench --site $site restore"
	if ! site_exec bench --site "$site" restore --db-root-password "$DB_ROOT_PASSWORD" \
		"$tmp/frappe-backup.sql.gz" </dev/null; then
		site_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	site_exec rm -rf "$tmp" </dev/null || true

	info "files: replacing public/files and private/files"
	# shellcheck disable=SC2016
	site_exec bash -c 'set -e; cd "sites/$1"; rm -rf public/files private/files;
		tar -xzf - public/files private/files' _ "$site" <"$dir/files.tar.gz" || return 1

	# an encrypted password (API secrets, email accounts) only decrypts with the key it was made with
	local old_key new_key
	new_key="$(tar -xzOf "$dir/files.tar.gz" site_config.json 2>/dev/null | json_value encryption_key || true)"
	old_key="$(site_exec cat "sites/$site/site_config.json" </dev/null | json_value encryption_key || true)"
	if [[ -n "$new_key" && "$new_key" != "$old_key" ]]; then
		info "site config: taking the backup's encryption_key"
		run_bench --site "$site" set-config encryption_key "$new_key" </dev/null || return 1
	fi

	info "migrate + clear cache"
	run_bench --site "$site" migrate </dev/null || return 1
	run_bench --site "$site" clear-cache </dev/null || return 1
	local pong
	pong="$(run_bench --site "$site" execute frappe.ping </dev/null 2>/dev/null || true)"
	[[ "$pong" == *pong* ]] || {
		warn "the site does not answer frappe.ping after the restore"
		return 1
	}
}

# ---------------------------------------------------------------------------------------------------------------
# stack commands

app_image() { printf '%s:%s' "${YAM_IMAGE:-yam-agri-core}" "${YAM_IMAGE_TAG:-v15.96.1-1}"; }

cmd_up() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "up takes no arguments (got: $*)" "bash run.sh up"
	check_docker
	[[ -n "${DB_ROOT_PASSWORD:-}" && -n "${ADMIN_PASSWORD:-}" ]] ||
		die "$E_PREREQ" "DB_ROOT_PASSWORD and ADMIN_PASSWORD must be set in $ENV_FILE" "edit $ENV_FILE"
	if ! docker image inspect "$(app_image)" >/dev/null 2>&1; then
		info "app image $(app_image) not found: building it (needs internet; offline: bash run.sh offline-load)"
		dc build || die "$E_FAIL" "building the app image failed" \
			"check the internet connection, or load images without internet: bash run.sh offline-load FILE"
	fi
	info "starting the stack (the first start creates the site: several minutes)"
	if ! dc up -d --remove-orphans; then
		local id state
		id="$(container_of create-site)"
		state=""
		[[ -n "$id" ]] && state="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>/dev/null || true)"
		if [[ "$state" == exited* && "$state" != "exited 0" ]]; then
			dc logs --tail 40 create-site >&2 || true
			die "$E_FAIL" "create-site failed (exit ${state#exited }): the site was not created or migrated" \
				"read the log above: bash run.sh logs create-site" "see docs/TROUBLESHOOTING.md, 'create-site failed'"
		fi
		die "$E_FAIL" "docker compose up failed" "bash run.sh logs" "see docs/TROUBLESHOOTING.md"
	fi
	wait_for_site
}

wait_for_site() {
	local timeout="${YAM_UP_TIMEOUT:-1800}" waited=0 id state code
	info "waiting for create-site (first start: creating the site takes several minutes)"
	while :; do
		id="$(container_of create-site)"
		state=""
		[[ -n "$id" ]] && state="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>/dev/null || true)"
		case "$state" in
		"exited 0") break ;;
		exited*)
			code="${state#exited }"
			dc logs --tail 40 create-site >&2 || true
			die "$E_FAIL" "create-site failed (exit $code): the site was not created or migrated" \
				"read the log above: bash run.sh logs create-site" "fix, then: bash run.sh up"
			;;
		esac
		((waited < timeout)) || die "$E_FAIL" "create-site still running after ${timeout}s" "bash run.sh logs create-site"
		sleep 5
		waited=$((waited + 5))
	done
	info "waiting for the site to answer on http://127.0.0.1:${HTTP_PORT:-8000}"
	while ! ping_http >/dev/null 2>&1; do
		((waited < timeout)) || die "$E_UNHEALTHY" "the site does not answer after ${timeout}s" "bash run.sh status" \
			"bash run.sh logs backend"
		sleep 5
		waited=$((waited + 5))
	done
	info "YAM Agri is up: http://localhost:${HTTP_PORT:-8000} (user Administrator)"
}

ping_http() { # GET frappe.ping through the published port
	local url="${YAM_URL:-http://127.0.0.1:${HTTP_PORT:-8000}}" body
	command -v curl >/dev/null 2>&1 || return 3
	body="$(curl -fsS --max-time 10 -H "X-Frappe-Site-Name: $(site_name)" "$url/api/method/frappe.ping")" || return 1
	[[ "$body" == *'"pong"'* ]]
}

cmd_status() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "status takes no arguments (got: $*)" "bash run.sh status"
	local bad=0
	if local_mode; then
		check_local_bench
		info "local-bench mode: bench $YAM_BENCH_DIR, site $YAM_SITE"
		local pong
		pong="$(as_bench_owner bench --site "$YAM_SITE" execute frappe.ping </dev/null 2>/dev/null || true)"
		if [[ "$pong" == *pong* ]]; then
			info "frappe.ping (bench execute): pong"
		else
			info "frappe.ping (bench execute): NO ANSWER"
			bad=1
		fi
		if [[ -n "${YAM_URL:-}" ]]; then
			if ping_http; then info "frappe.ping ($YAM_URL): pong"; else
				info "frappe.ping ($YAM_URL): NO ANSWER"
				bad=1
			fi
		fi
		((bad == 0)) || die "$E_UNHEALTHY" "site $YAM_SITE does not answer" "is MariaDB running? (systemctl status mariadb)" \
			"is the bench started? (bench start, or supervisor)"
		return 0
	fi
	check_docker
	dc ps -a || die "$E_FAIL" "docker compose ps failed" "is the Docker daemon running? (systemctl start docker)"
	info ""
	local services svc id line state health code problems=()
	services="$(dc config --services 2>/dev/null)" || die "$E_FAIL" "cannot read the compose configuration" \
		"docker compose -f docker-compose.yaml config"
	printf '%-14s %-10s %s\n' SERVICE STATE HEALTH
	for svc in $services; do
		id="$(container_of "$svc")"
		if [[ -z "$id" ]]; then
			printf '%-14s %-10s %s\n' "$svc" missing -
			problems+=("$svc has no container (bash run.sh up)")
			continue
		fi
		line="$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}}' "$id" 2>/dev/null || echo "unknown unknown 1")"
		read -r state health code <<<"$line"
		printf '%-14s %-10s %s\n' "$svc" "$state" "$health"
		if [[ "$ONE_SHOT_SERVICES" == *" $svc "* ]]; then
			[[ "$state" == "exited" && "$code" == "0" ]] || [[ "$state" == "running" ]] ||
				problems+=("$svc ended with exit code $code (bash run.sh logs $svc)")
			continue
		fi
		if [[ "$state" != "running" ]]; then
			problems+=("$svc is $state (bash run.sh logs $svc; bash run.sh up)")
		elif [[ "$health" != "healthy" && "$health" != "none" ]]; then
			problems+=("$svc is $health (bash run.sh logs $svc)")
		fi
	done
	info ""
	local prc=0
	ping_http || prc=$?
	if ((prc == 0)); then
		info "frappe.ping: pong (http://127.0.0.1:${HTTP_PORT:-8000})"
	elif ((prc == 3)); then
		problems+=("curl is not installed, cannot ping the site (apt-get install curl)")
	else
		info "frappe.ping: NO ANSWER"
		problems+=("the site does not answer frappe.ping on port ${HTTP_PORT:-8000} (bash run.sh logs backend)")
	fi
	if ((${#problems[@]})); then
		printf 'run.sh: error: the stack is not healthy\n' >&2
		printf '  - %s\n' "${problems[@]}" >&2
		exit "$E_UNHEALTHY"
	fi
	info "all services healthy"
}

cmd_logs() {
	[[ $# -le 1 ]] || die "$E_USAGE" "logs takes at most one service (got: $*)" "bash run.sh logs [SERVICE]"
	check_docker
	local svc="${1:-}"
	if [[ "$svc" == "frappe" ]]; then
		svc=backend # the old runbook's name
	fi
	if [[ -n "$svc" ]]; then
		local services
		services="$(dc config --services 2>/dev/null || true)"
		grep -qx -- "$svc" <<<"$services" ||
			die "$E_USAGE" "no service '$svc' in the stack" "services: $(tr '\n' ' ' <<<"$services")"
	fi
	if [[ -n "$svc" ]]; then
		dc logs -f --tail 200 "$svc"
	else
		dc logs -f --tail 200
	fi
}

cmd_shell() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "shell takes no arguments" "bash run.sh shell"
	if local_mode; then
		check_local_bench
		as_bench_owner bash -i
		return
	fi
	check_docker
	require_backend
	if [[ -t 0 ]]; then dc exec backend bash; else dc exec -T backend bash; fi
}

cmd_bench() {
	[[ $# -gt 0 ]] || die "$E_USAGE" "bench needs arguments" "bash run.sh bench --site $(site_name) migrate"
	prepare_site_mode
	run_bench "$@"
}

cmd_test() {
	prepare_site_mode
	local site
	if local_mode; then
		site="${YAM_TEST_SITE:-$YAM_SITE}"
	else
		site="${YAM_TEST_SITE:-test.localhost}"
		# tests write records: they run on their own site, never on the production one
		if ! site_exec test -f "sites/$site/site_config.json" </dev/null; then
			info "creating the test site $site (once; takes several minutes)"
			run_bench new-site "$site" --mariadb-user-host-login-scope='%' --db-root-password "${DB_ROOT_PASSWORD:?}" \
				--admin-password "${ADMIN_PASSWORD:-admin}" --install-app erpnext --install-app yam_agri_core </dev/null ||
				die "$E_FAIL" "could not create the test site $site" "bash run.sh logs backend"
		fi
	fi
	run_bench --site "$site" set-config allow_tests true </dev/null
	if local_mode; then
		CI=1 as_bench_owner env CI=1 bench --site "$site" run-tests --app yam_agri_core "$@"
	else
		dc exec -T -e CI=1 backend bench --site "$site" run-tests --app yam_agri_core "$@"
	fi
}

cmd_build() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "build takes no arguments" "bash run.sh build"
	check_docker
	dc build || die "$E_FAIL" "building the app image failed" "check the internet connection; see docs/TROUBLESHOOTING.md"
	info "built $(app_image); apply it with: bash run.sh up"
}

cmd_offline_save() {
	[[ $# -le 1 ]] || die "$E_USAGE" "offline-save takes at most one file name" "bash run.sh offline-save [FILE]"
	check_docker
	local file="${1:-$OFFLINE_DIR/yam-images-$(date +%Y%m%d).tar.gz}" images=() img missing=()
	mapfile -t images < <(dc config --images 2>/dev/null | sort -u)
	((${#images[@]})) || die "$E_FAIL" "could not list the stack's images" "docker compose config --images"
	for img in "${images[@]}"; do
		docker image inspect "$img" >/dev/null 2>&1 || missing+=("$img")
	done
	((${#missing[@]} == 0)) || die "$E_PREREQ" "images not on this machine: ${missing[*]}" \
		"on a machine with internet run: bash run.sh up (builds and pulls everything), then offline-save again"
	mkdir -p "$(dirname "$file")"
	info "saving ${#images[@]} images into $file"
	docker save "${images[@]}" | gzip -c >"$file.part" || {
		rm -f "$file.part"
		die "$E_FAIL" "docker save failed" "df -h (is the disk full?)"
	}
	mv "$file.part" "$file"
	(cd "$(dirname "$file")" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")
	printf '%s\n' "${images[@]}" >"$file.images"
	info "offline archive: $file ($(human_size "$(stat -c %s "$file")")); copy it with the repository and .env"
}

cmd_offline_load() {
	[[ $# -le 1 ]] || die "$E_USAGE" "offline-load takes at most one file" "bash run.sh offline-load [FILE]"
	local file="${1:-}"
	if [[ -z "$file" ]]; then
		# shellcheck disable=SC2012 # names are ours: yam-images-YYYYMMDD.tar.gz
		file="$(ls -1 "$OFFLINE_DIR"/yam-images-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)"
		[[ -n "$file" ]] || die "$E_PREREQ" "no image archive in $OFFLINE_DIR" \
			"copy yam-images-*.tar.gz there, or: bash run.sh offline-load /media/usb/yam-images-YYYYMMDD.tar.gz"
	fi
	[[ -s "$file" ]] || die "$E_PREREQ" "image archive $file not found or empty" "check the path"
	command -v docker >/dev/null 2>&1 || die "$E_PREREQ" "docker is not installed" "see docs/DEPLOYMENT_GUIDE.md, offline install"
	if [[ -f "$file.sha256" ]]; then
		(cd "$(dirname "$file")" && sha256sum -c --quiet "$(basename "$file").sha256") ||
			die "$E_FAIL" "$file is damaged (sha256 mismatch)" "copy it again from the source machine"
	fi
	info "loading images from $file"
	gzip -dc "$file" | docker load || die "$E_FAIL" "docker load failed" "is the Docker daemon running?"
	info "images loaded; start with: bash run.sh up"
}

cmd_gateway_user() {
	[[ $# -ge 1 ]] || die "$E_USAGE" "gateway-user needs an email" "bash run.sh gateway-user gateway-silo1@example.com [SITE...]"
	local email="$1"
	shift
	local pw="${YAM_ADMIN_PASSWORD:-${ADMIN_PASSWORD:-}}"
	[[ -n "$pw" ]] || die "$E_PREREQ" "the Administrator password is needed (ADMIN_PASSWORD or YAM_ADMIN_PASSWORD)" \
		"YAM_ADMIN_PASSWORD=... bash run.sh gateway-user $email"
	local args=(--email "$email" --site-name "$(site_name)")
	local s
	for s in "$@"; do args+=(--grant "$s"); done
	if local_mode; then
		check_local_bench
		[[ -n "${YAM_URL:-}" ]] || die "$E_PREREQ" "local-bench mode needs YAM_URL (where the bench serves HTTP)" \
			"export YAM_URL=http://127.0.0.1:8000"
		YAM_ADMIN_PASSWORD="$pw" python3 "$SCRIPT_DIR/simulators/setup_gateway.py" --url "$YAM_URL" "${args[@]}"
	else
		check_docker
		require_backend
		# -e NAME without a value: docker takes it from this environment (the password stays off the command line)
		YAM_ADMIN_PASSWORD="$pw" dc exec -T -e YAM_ADMIN_PASSWORD backend env/bin/python \
			apps/yam_agri_core/simulators/setup_gateway.py --url http://127.0.0.1:8000 "${args[@]}"
	fi
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
	down)
		[[ $# -eq 0 ]] || die "$E_USAGE" "down takes no arguments" "bash run.sh down"
		check_docker
		dc down
		;;
	logs) cmd_logs "$@" ;;
	shell) cmd_shell "$@" ;;
	status) cmd_status "$@" ;;
	bench) cmd_bench "$@" ;;
	backup) cmd_backup "$@" ;;
	restore) cmd_restore "$@" ;;
	prune) cmd_prune "$@" ;;
	test) cmd_test "$@" ;;
	build) cmd_build "$@" ;;
	offline-save) cmd_offline_save "$@" ;;
	offline-load) cmd_offline_load "$@" ;;
	gateway-user) cmd_gateway_user "$@" ;;
	*) die "$E_USAGE" "unknown command '$cmd'" "bash run.sh help (lists the commands)" ;;
	esac
}

main "$@"
