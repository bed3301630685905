# shellcheck shell=bash
# run.sh part: restore a backup folder (see backup.sh) into the site: safety backup first, writers stopped,
# database, files, the backup's encryption_key, migrate, clear-cache, frappe.ping.

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
	check_restore_dir "$dir"
	dir="$(cd "$dir" && pwd)"

	prepare_site_mode "$E_RESTORE"
	local site
	site="$(site_name)"
	[[ -n "${DB_ROOT_PASSWORD:-}" ]] ||
		die "$E_PREREQ" "DB_ROOT_PASSWORD (MariaDB root password) is not set" \
			"set it in .env, or: DB_ROOT_PASSWORD=... bash run.sh restore"

	info "restore: $dir -> site $site"
	((yes)) || confirm_restore "$dir" "$site"
	if ((safety)); then
		safety_backup "$dir"
	else
		warn "no safety backup taken (--no-safety-backup)"
	fi
	restore_with_writers_stopped "$dir" "$site"
	info "restore complete: site $site is back to $dir"
}

# check_restore_dir DIR: a complete backup with readable archives, or exit 7
check_restore_dir() {
	local dir="$1"
	[[ -d "$dir" ]] || die "$E_NOBACKUP" "backup folder $dir does not exist" "list backups: ls -lt $BACKUP_ROOT"
	complete_backup "$dir" ||
		die "$E_NOBACKUP" "$dir is not a complete backup (needs non-empty frappe-backup.sql.gz and files.tar.gz)" \
			"pick another folder: ls -lt $BACKUP_ROOT"
	if ! gzip -t "$dir/frappe-backup.sql.gz" 2>/dev/null || ! gzip -t "$dir/files.tar.gz" 2>/dev/null; then
		die "$E_NOBACKUP" "$dir holds a damaged archive (gzip test failed)" "pick another backup folder"
	fi
}

confirm_restore() { # DIR SITE: exit 8 unless the user types yes
	local rc=0
	confirm "This REPLACES all data and files of site $2 with the backup $1." || rc=$?
	case "$rc" in
	0) ;;
	2) die "$E_ABORTED" "restore needs confirmation and there is no terminal to ask" "add --yes to confirm" ;;
	*) die "$E_ABORTED" "restore cancelled; nothing was changed" "run again and type yes, or add --yes" ;;
	esac
}

# safety_backup DIR (the backup about to be restored): the current state into BACKUP_ROOT/pre-restore/, or exit 6
# shellcheck disable=SC2034 # BACKUP_LOG is read by blog (backup.sh)
safety_backup() {
	local dir="$1" sdest
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
}

# restore_with_writers_stopped DIR SITE: nothing may write while the database is replaced (docker mode: the
# scheduler, workers and simulators are stopped, and started again whatever happens); exit 6 on failure
restore_with_writers_stopped() {
	local dir="$1" site="$2" stopped=() svc rc=0
	if ! local_mode; then
		for svc in scheduler queue-short queue-long mock_iot mock_scale; do
			[[ -n "$(dc ps -q "$svc" 2>/dev/null)" ]] && stopped+=("$svc")
		done
		if ((${#stopped[@]})); then
			info "stopping ${stopped[*]} during the restore"
			dc stop "${stopped[@]}" >/dev/null || warn "could not stop ${stopped[*]}"
		fi
	fi
	do_restore "$dir" "$site" || rc=$?
	if ((${#stopped[@]})); then
		dc start "${stopped[@]}" >/dev/null || warn "could not start ${stopped[*]} again: bash run.sh up"
	fi
	if ((rc != 0)); then
		die "$E_RESTORE" "restore of $dir failed (see the messages above)" \
			"the state before the restore is in $BACKUP_ROOT/pre-restore/ (newest folder)" \
			"check: bash run.sh status; then retry: bash run.sh restore $dir"
	fi
}

# do_restore DIR SITE: the restore steps, with a temporary folder in the bench (removed afterwards)
do_restore() {
	local dir="$1" site="$2" tmp rc=0
	tmp="/tmp/yam-restore-$(date +%Y%m%d%H%M%S)-$$"
	site_exec mkdir -p "$tmp" </dev/null || return 1
	restore_steps "$dir" "$site" "$tmp" || rc=$?
	site_exec rm -rf "$tmp" </dev/null || true
	return "$rc"
}

restore_steps() { # DIR SITE TMP
	local dir="$1" site="$2" tmp="$3" pong
	site_exec tee -- "$tmp/frappe-backup.sql.gz" <"$dir/frappe-backup.sql.gz" >/dev/null || return 1
	info "database: bench --site $site restore"
	site_exec bench --site "$site" restore --db-root-password "$DB_ROOT_PASSWORD" \
		"$tmp/frappe-backup.sql.gz" </dev/null || return 1

	info "files: replacing public/files and private/files"
	site_exec rm -rf -- "sites/$site/public/files" "sites/$site/private/files" </dev/null || return 1
	site_exec tar -C "sites/$site" -xzf - public/files private/files <"$dir/files.tar.gz" || return 1

	adopt_backup_key "$dir" "$site" "$tmp" || return 1

	info "migrate + clear cache"
	run_bench --site "$site" migrate </dev/null || return 1
	run_bench --site "$site" clear-cache </dev/null || return 1
	pong="$(run_bench --site "$site" execute frappe.ping </dev/null 2>/dev/null || true)"
	[[ "$pong" == *pong* ]] || {
		warn "the site does not answer frappe.ping after the restore"
		return 1
	}
}

# adopt_backup_key DIR SITE TMP: an encrypted password (API secrets, email accounts) only decrypts with the key
# it was made with, so the site takes the encryption_key of the backup's site_config.json when it differs
# (compared and set in the site by yam_agri_core.ops.adopt_encryption_key; the key never is on a command line)
adopt_backup_key() {
	local dir="$1" site="$2" cfg="$3/site_config.json" result
	tar -tzf "$dir/files.tar.gz" site_config.json >/dev/null 2>&1 || return 0 # a hand-made backup: keep the key
	tar -xzOf "$dir/files.tar.gz" site_config.json | site_exec tee -- "$cfg" >/dev/null || return 1
	if ! result="$(ops_call "$site" adopt_encryption_key backup_config "$cfg")"; then
		warn "could not take over the backup's encryption_key (an app image older than run.sh? bash run.sh build)"
		return 1
	fi
	if json_flag "$result" changed; then
		info "site config: taking the backup's encryption_key"
	fi
}
