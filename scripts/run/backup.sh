# shellcheck shell=bash
# run.sh part: backup, prune, the pre-deployment backup. A backup is BACKUP_ROOT/YYYYMMDD_HHMM/ (daily) or
# BACKUP_ROOT/predeploy_YYYYMMDD_HHMM/ (before a migrate) with frappe-backup.sql.gz (the database dump of
# `bench backup`), files.tar.gz (public/files, private/files, site_config.json: it holds the database password
# and the encryption key) and backup.log. Everything is written owner-only: folders 0700, files 0600.
# Retention is by age per tier (the runbook's section 3.4), from the date in the folder name.

# retention in days per tier (runbook 3.4); the newest backup of a tier is never removed, however old
KEEP_DAILY_DAYS="${YAM_KEEP_DAILY_DAYS:-7}"
KEEP_PREDEPLOY_DAYS="${YAM_KEEP_PREDEPLOY_DAYS:-30}"
KEEP_PRERESTORE_DAYS="${YAM_KEEP_PRERESTORE_DAYS:-30}"
PREDEPLOY_NAME_RE='^predeploy_[0-9]{8}_[0-9]{4}$'
# 1 while the site's commands run in one-off containers (`compose run --no-deps`: the backend is down)
DR_ONEOFF=0

# complete_backup DIR: both parts present and not empty
complete_backup() {
	[[ -s "$1/frappe-backup.sql.gz" && -s "$1/files.tar.gz" ]]
}

# stamp_of NAME: the YYYYMMDD_HHMM[SS] in a backup folder's name
stamp_of() {
	local name="${1##*_}" day="${1%_*}"
	day="${day##*_}"
	printf '%s_%s' "$day" "$name"
}

# newest_backup: path of the newest complete backup folder (daily or pre-deployment) in BACKUP_ROOT, or fail
newest_backup() {
	local d name best="" best_stamp=""
	[[ -d "$BACKUP_ROOT" ]] || return 1
	for d in "$BACKUP_ROOT"/*/; do
		[[ -d "$d" ]] || continue
		d="${d%/}"
		name="${d##*/}"
		[[ "$name" =~ $BACKUP_NAME_RE || "$name" =~ $PREDEPLOY_NAME_RE ]] || continue
		complete_backup "$d" || continue
		if [[ -z "$best" || "$(stamp_of "$name")" > "$best_stamp" ]]; then
			best="$d"
			best_stamp="$(stamp_of "$name")"
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
		if [[ "$name" =~ $re ]]; then printf '%s\n' "$name"; fi
	done | sort -r
}

BACKUP_LOG=""
blog() { # message to stdout and the backup log
	local line
	line="$(date '+%F %T') $*"
	printf '%s\n' "$line"
	[[ -n "$BACKUP_LOG" ]] && printf '%s\n' "$line" >>"$BACKUP_LOG"
	return 0
}

# dr_exec CMD...: run CMD in the bench folder: the running backend (or local bench), or, with DR_ONEOFF=1, a
# one-off backend container that needs neither create-site nor a running backend (compose run --no-deps)
dr_exec() {
	if ((DR_ONEOFF)); then
		dc run --rm --no-deps -T backend "$@"
	else
		site_exec "$@"
	fi
}

# backend_running: docker mode only: the backend container runs
backend_running() {
	local id
	id="$(container_of backend)"
	[[ -n "$id" && "$(docker inspect -f '{{.State.Status}}' "$id" 2>/dev/null || true)" == "running" ]]
}

# start_data_services: db and redis only (they do not wait for create-site), until healthy
start_data_services() {
	info "starting db, redis-cache and redis-queue only (no create-site, no backend)"
	dc up -d --wait --wait-timeout "${YAM_DB_WAIT:-300}" db redis-cache redis-queue
}

# notify_admin SUBJECT MESSAGE: email YAM_ADMIN_EMAIL: through the site (Frappe's Email Queue) when it answers,
# else straight from this machine over SMTP (watch.sh: host_mail); fails when neither worked
notify_admin() {
	local subject="$1" message="$2" site result
	site="$(site_name)"
	if [[ -z "${YAM_ADMIN_EMAIL:-}" ]]; then
		warn "no email sent: set YAM_ADMIN_EMAIL in .env to be told about failed backups and low disk"
		return 1
	fi
	if ! ((DR_ONEOFF)) && { local_mode || backend_running; } &&
		result="$(ops_call "$site" notify_admin recipients "$YAM_ADMIN_EMAIL" subject "$subject" \
			message "$message" now "0" 2>/dev/null)" && json_flag "$result" sent; then
		info "emailed ${YAM_ADMIN_EMAIL} (Email Queue of $site): $subject"
		return 0
	fi
	if host_mail "$subject" "$message"; then
		info "emailed ${YAM_ADMIN_EMAIL} (SMTP from this machine): $subject"
		return 0
	fi
	warn "could not email ${YAM_ADMIN_EMAIL} (is outgoing mail set up on $site? MAIL_SERVER / YAM_HOST_MAIL_SERVER in .env)"
	return 1
}

# write_backup DEST: database + files of the site into DEST (which must not exist), owner-only; non-zero on failure
write_backup() {
	local dest="$1" site part size sum
	site="$(site_name)"
	(umask 077 && mkdir -p "$dest") || return 1
	chmod 0700 "$dest" "$(dirname "$dest")" || return 1
	BACKUP_LOG="$dest/backup.log"
	(umask 077 && : >"$BACKUP_LOG")
	blog "backup of site $site ($(local_mode && echo "bench $YAM_BENCH_DIR" || echo "docker compose stack")) into $dest"
	backup_database "$site" "$dest/frappe-backup.sql.gz" || return 1
	blog "files: public/files, private/files and site_config.json of sites/$site"
	if ! (umask 077 && dr_exec tar -C "sites/$site" -czf - public/files private/files site_config.json \
		</dev/null >"$dest/files.tar.gz" 2>>"$BACKUP_LOG"); then
		blog "ERROR: tar of the site files failed"
		return 1
	fi
	verify_backup "$dest" || return 1
	for part in frappe-backup.sql.gz files.tar.gz; do
		chmod 0600 "$dest/$part"
		size="$(stat -c %s "$dest/$part")"
		sum="$(sha256sum "$dest/$part" | cut -d' ' -f1)"
		blog "ok: $part $(human_size "$size") sha256=$sum"
	done
	blog "backup complete: $dest"
}

# bench_tmp NAME: a fresh owner-only folder in the bench's sites/ (on the sites volume: one-off containers share
# it, their /tmp is not); prints its absolute path
bench_tmp() {
	local dir
	dir="$(dr_exec pwd </dev/null)/sites/.yam-$1-$(date +%Y%m%d%H%M%S)-$$" || return 1
	dr_exec mkdir -m 0700 -p "$dir" </dev/null || return 1
	printf '%s' "$dir"
}

# backup_database SITE OUT: `bench backup` into a temporary folder of the bench, its dump copied out to OUT
backup_database() {
	local site="$1" out="$2" tmp dump
	tmp="$(bench_tmp backup)" || {
		blog "ERROR: cannot make a temporary folder in the bench"
		return 1
	}
	blog "database: bench --site $site backup --backup-path $tmp"
	if ! dr_exec bench --site "$site" backup --backup-path "$tmp" </dev/null >>"$BACKUP_LOG" 2>&1; then
		blog "ERROR: bench backup failed (see above)"
		dr_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	dump="$(dr_exec find "$tmp" -maxdepth 1 -name '*-database.sql.gz' </dev/null 2>>"$BACKUP_LOG" |
		sort | head -n 1)" || dump=""
	if [[ -z "$dump" ]] || ! (umask 077 && dr_exec cat -- "$dump" </dev/null >"$out" 2>>"$BACKUP_LOG"); then
		blog "ERROR: could not copy the database dump out of $tmp"
		dr_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	dr_exec rm -rf "$tmp" </dev/null || true
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
	local rc=0
	if local_mode; then check_local_bench; else check_docker; fi
	run_backup "" || rc=$?
	((rc == 0)) || die "$E_BACKUP" "backup failed; the log is in $BACKUP_ROOT/FAILED_* (newest)" \
		"bash run.sh status (is the stack up and healthy?)" "df -h (is the disk full?)"
}

# run_backup PREFIX: one verified backup BACKUP_ROOT/PREFIXYYYYMMDD_HHMM; on failure the folder is kept as
# FAILED_..., the admin is emailed once (watch.sh: alert_once) and it returns 5
run_backup() {
	local prefix="$1" stamp dest why=""
	stamp="$(date +%Y%m%d_%H%M)"
	dest="$BACKUP_ROOT/$prefix$stamp"
	{ (umask 077 && mkdir -p "$BACKUP_ROOT") && chmod 0700 "$BACKUP_ROOT"; } ||
		die "$E_BACKUP" "cannot create $BACKUP_ROOT" "check the disk and permissions"
	if [[ -e "$dest" ]]; then
		warn "a backup for this minute already exists: $dest (wait a minute and run it again)"
		return "$E_BACKUP"
	fi
	why="$(backup_blocker)"
	if [[ -z "$why" ]] && write_backup "$dest"; then
		BACKUP_LOG=""
		info "backup: $dest"
		return 0
	fi
	local failed="$BACKUP_ROOT/FAILED_$stamp"
	[[ -d "$dest" ]] || { (umask 077 && mkdir -p "$dest") && BACKUP_LOG="$dest/backup.log"; }
	[[ -z "$why" ]] || blog "ERROR: $why"
	blog "BACKUP FAILED; kept for inspection as $failed"
	mv "$dest" "$failed" 2>/dev/null || failed="$dest"
	BACKUP_LOG=""
	alert_once "backup-failed:$stamp" "YAM backup FAILED on $(hostname)" \
		"The backup $stamp of site $(site_name) failed${why:+: $why}. See $failed/backup.log on $(hostname)." || true
	return "$E_BACKUP"
}

# backup_blocker: why no backup can be taken now ("" when it can); waits up to YAM_BACKUP_WAIT seconds for the
# backend (the timer's run after a power cut starts before the stack is up)
backup_blocker() {
	local_mode && return 0
	((DR_ONEOFF)) && return 0
	local waited=0 limit="${YAM_BACKUP_WAIT:-0}"
	until backend_running; do
		if ((waited >= limit)); then
			echo "the backend container is not running (start the stack: bash run.sh up)"
			return 0
		fi
		sleep 10
		waited=$((waited + 10))
	done
}

# project_volume NAME: the docker volume NAME of this compose project (yam_sites, yam_db-data, ...)
project_volume() { printf '%s_%s' "${COMPOSE_PROJECT_NAME:-yam}" "$1"; }

# site_made_offline: docker mode, backend down: the sites volume holds a finished site (its site_config.json,
# and no unfinished first creation); looked at through a one-off container (DR_ONEOFF must be 1)
site_made_offline() {
	local site
	site="$(site_name)"
	dr_exec test -f "sites/$site/site_config.json" </dev/null >/dev/null 2>&1 &&
		! dr_exec test -e "sites/.yam-creating-$site" </dev/null >/dev/null 2>&1
}

# take_predeploy_backup: the pre-deployment tier, before a migrate (runbook 3.4: kept 30 days).
# Writes BACKUP_ROOT/predeploy_YYYYMMDD_HHMM of the site as it is now and returns 0 ("pre-deployment backup:
# DIR" on stdout). Returns 0 without a backup when there is no site yet (docker mode: no sites volume, or no
# finished site in it: the first start) or when YAM_SKIP_PREDEPLOY_BACKUP=1. Docker mode with the stack
# stopped (`run.sh down` removed the containers; the volumes hold the site): starts only db + redis and backs
# up through one-off containers (compose run --no-deps). Returns 5 on failure (FAILED_ folder, admin
# emailed): the caller must not migrate then. Sets FIRST_START=1 when there is no site yet.
FIRST_START=0
# shellcheck disable=SC2034 # FIRST_START is read by stack.sh
take_predeploy_backup() {
	FIRST_START=0
	if [[ "${YAM_SKIP_PREDEPLOY_BACKUP:-0}" == "1" ]]; then
		warn "no pre-deployment backup (YAM_SKIP_PREDEPLOY_BACKUP=1)"
		return 0
	fi
	local rc=0
	if ! local_mode && ! backend_running; then
		if ! docker volume inspect "$(project_volume sites)" >/dev/null 2>&1; then
			FIRST_START=1
			info "pre-deployment backup: no site yet (first start), nothing to back up"
			return 0
		fi
		start_data_services || return "$E_BACKUP"
		DR_ONEOFF=1
		if ! site_made_offline; then
			DR_ONEOFF=0
			FIRST_START=1
			info "pre-deployment backup: no finished site yet (first start), nothing to back up"
			return 0
		fi
	fi
	run_backup predeploy_ || rc=$?
	DR_ONEOFF=0
	((rc == 0)) && info "pre-deployment backup: $(newest_backup)"
	return "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# prune: by age per tier (runbook 3.4); offsite copies are pruned by `run.sh offsite` (90 days)

cmd_prune() {
	local dry=0 arg days
	for arg in "$@"; do
		case "$arg" in
		--dry-run | -n) dry=1 ;;
		*) die "$E_USAGE" "prune: unknown argument '$arg'" "bash run.sh prune [--dry-run]" ;;
		esac
	done
	for days in "$KEEP_DAILY_DAYS" "$KEEP_PREDEPLOY_DAYS" "$KEEP_PRERESTORE_DAYS"; do
		[[ "$days" =~ ^[1-9][0-9]*$ ]] ||
			die "$E_USAGE" "the YAM_KEEP_*_DAYS settings must be numbers >= 1 (got '$days')" "unset YAM_KEEP_DAILY_DAYS"
	done
	[[ -d "$BACKUP_ROOT" ]] || {
		info "prune: no backups folder ($BACKUP_ROOT), nothing to do"
		return 0
	}
	local removed=0 kept=0
	prune_set "$BACKUP_NAME_RE" "$BACKUP_ROOT" "$KEEP_DAILY_DAYS"
	prune_set "$PREDEPLOY_NAME_RE" "$BACKUP_ROOT" "$KEEP_PREDEPLOY_DAYS"
	prune_set '^FAILED_[0-9]{8}_[0-9]{4}$' "$BACKUP_ROOT" "$KEEP_DAILY_DAYS"
	prune_set '^[0-9]{8}_[0-9]{6}$' "$BACKUP_ROOT/pre-restore" "$KEEP_PRERESTORE_DAYS"
	info "prune: kept $kept, $( ((dry)) && echo "would remove" || echo "removed") $removed"
}

# age_seconds NAME: seconds since the date in a backup folder's name (YYYYMMDD_HHMM[SS]); fails if none
age_seconds() {
	local s
	s="$(stamp_of "$1")"
	[[ "$s" =~ ^([0-9]{4})([0-9]{2})([0-9]{2})_([0-9]{2})([0-9]{2}) ]] || return 1
	s="$(date -d "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]} ${BASH_REMATCH[4]}:${BASH_REMATCH[5]}" +%s)" ||
		return 1
	printf '%s' $(($(date +%s) - s))
}

# prune_set REGEX FOLDER DAYS: remove matching folders older than DAYS, but never the newest one; counts into the
# caller's (cmd_prune's) kept and removed, and only lists what it would remove when the caller's dry is 1
prune_set() {
	local re="$1" folder="$2" days="$3" n=0 name age
	while IFS= read -r name; do
		[[ -n "$name" ]] || continue
		n=$((n + 1))
		age="$(age_seconds "$name")" || age=0
		if ((n == 1 || age <= days * 86400)); then
			kept=$((kept + 1))
			continue
		fi
		removed=$((removed + 1))
		if ((dry)); then
			info "would remove $folder/$name ($((age / 86400)) days old, tier keeps $days)"
		else
			rm -rf -- "${folder:?}/$name"
			info "removed $folder/$name ($((age / 86400)) days old, tier keeps $days)"
		fi
	done < <(list_named "$re" "$folder")
}
