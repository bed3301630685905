# shellcheck shell=bash
# run.sh part: backup and prune. A backup is BACKUP_ROOT/YYYYMMDD_HHMM/ with frappe-backup.sql.gz (the database
# dump of `bench backup`), files.tar.gz (public/files, private/files, site_config.json) and backup.log.

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
	local subject="$1" message="$2" site result
	site="$(site_name)"
	if [[ -z "${YAM_ADMIN_EMAIL:-}" ]]; then
		warn "no email sent: set YAM_ADMIN_EMAIL in .env to be told about failed backups"
		return 0
	fi
	if result="$(ops_call "$site" notify_admin recipients "$YAM_ADMIN_EMAIL" subject "$subject" \
		message "$message" 2>/dev/null)" && json_flag "$result" sent; then
		info "emailed ${YAM_ADMIN_EMAIL}: $subject"
	else
		warn "could not email ${YAM_ADMIN_EMAIL} (is outgoing mail set up on $site?)"
	fi
}

# write_backup DEST: database + files of the site into DEST (which must not exist); returns non-zero on failure
write_backup() {
	local dest="$1" site part size sum
	site="$(site_name)"
	mkdir -p "$dest" || return 1
	BACKUP_LOG="$dest/backup.log"
	: >"$BACKUP_LOG"
	blog "backup of site $site ($(local_mode && echo "bench $YAM_BENCH_DIR" || echo "docker compose stack")) into $dest"
	backup_database "$site" "$dest/frappe-backup.sql.gz" || return 1
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

# backup_database SITE OUT: `bench backup` into a temporary folder of the bench, its dump copied out to OUT
backup_database() {
	local site="$1" out="$2" tmp dump
	tmp="/tmp/yam-backup-$(date +%Y%m%d%H%M%S)-$$"
	blog "database: bench --site $site backup --backup-path $tmp"
	site_exec mkdir -p "$tmp" </dev/null || return 1
	if ! site_exec bench --site "$site" backup --backup-path "$tmp" </dev/null >>"$BACKUP_LOG" 2>&1; then
		blog "ERROR: bench backup failed (see above)"
		site_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	dump="$(site_exec find "$tmp" -maxdepth 1 -name '*-database.sql.gz' </dev/null 2>>"$BACKUP_LOG" |
		sort | head -n 1)" || dump=""
	if [[ -z "$dump" ]] || ! site_exec cat -- "$dump" </dev/null >"$out" 2>>"$BACKUP_LOG"; then
		blog "ERROR: could not copy the database dump out of $tmp"
		site_exec rm -rf "$tmp" </dev/null || true
		return 1
	fi
	site_exec rm -rf "$tmp" </dev/null || true
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

# ---------------------------------------------------------------------------------------------------------------
# prune

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
	local removed=0 kept=0
	prune_set "$BACKUP_NAME_RE" "$BACKUP_ROOT" "$KEEP_BACKUPS"
	prune_set '^FAILED_[0-9]{8}_[0-9]{4}$' "$BACKUP_ROOT" "$KEEP_SAFETY"
	prune_set '^[0-9]{8}_[0-9]{6}$' "$BACKUP_ROOT/pre-restore" "$KEEP_SAFETY"
	info "prune: kept $kept, $( ((dry)) && echo "would remove" || echo "removed") $removed"
}

# prune_set REGEX FOLDER KEEP: keep the KEEP newest matching folders, remove the others; counts into the
# caller's (cmd_prune's) kept and removed, and only lists what it would remove when the caller's dry is 1
prune_set() {
	local re="$1" folder="$2" keep="$3" n=0 name
	while IFS= read -r name; do
		[[ -n "$name" ]] || continue
		n=$((n + 1))
		if ((n <= keep)); then
			kept=$((kept + 1))
			continue
		fi
		removed=$((removed + 1))
		if ((dry)); then
			info "would remove $folder/$name"
		else
			rm -rf -- "${folder:?}/$name"
			info "removed $folder/$name"
		fi
	done < <(list_named "$re" "$folder")
}
