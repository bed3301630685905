# shellcheck shell=bash
# run.sh part: offsite copies, ENCRYPTED with restic: the newest backup into a restic repository on a USB drive
# (YAM_OFFSITE_REPO=/media/usb/yam-restic) or an rclone remote (YAM_OFFSITE_REPO=rclone:REMOTE:yam-backups);
# kept 90 days (runbook 3.4); fetched back and restored from there. The repository password is a 0600 file
# (YAM_OFFSITE_PASSWORD_FILE), handed to restic by file name, never on a command line.

OFFSITE_REPO="${YAM_OFFSITE_REPO:-}"
OFFSITE_PASSWORD_FILE="${YAM_OFFSITE_PASSWORD_FILE:-$SCRIPT_DIR/.offsite-password}"
KEEP_OFFSITE_DAYS="${YAM_KEEP_OFFSITE_DAYS:-90}"

cmd_offsite() {
	local sub="${1:-push}"
	[[ $# -gt 0 ]] && shift
	case "$sub" in
	push) offsite_push "$@" ;;
	list) offsite_check && restic_run snapshots --host yam --tag yam-backup ;;
	fetch) offsite_fetch "$@" ;;
	restore)
		local snap=latest dir
		if [[ $# -gt 0 && "$1" != -* ]]; then
			snap="$1"
			shift
		fi
		dir="$(offsite_fetch "$snap")" || exit "$E_NOBACKUP"
		cmd_restore "$dir" "$@"
		;;
	*) die "$E_USAGE" "offsite: unknown subcommand '$sub'" "bash run.sh offsite [push|list|fetch [SNAPSHOT]|restore [SNAPSHOT] [--yes]]" ;;
	esac
}

restic_run() { # restic with the repository and the password file from the environment only
	RESTIC_REPOSITORY="$OFFSITE_REPO" RESTIC_PASSWORD_FILE="$OFFSITE_PASSWORD_FILE" restic "$@"
}

# offsite_check [init]: restic, the repository setting, the drive and the password file are there (init: make
# the password file and the repository when they are missing)
offsite_check() {
	command -v restic >/dev/null 2>&1 ||
		die "$E_PREREQ" "restic is not installed (it encrypts the offsite copies)" "apt-get install -y restic"
	[[ -n "$OFFSITE_REPO" ]] ||
		die "$E_PREREQ" "no offsite repository: YAM_OFFSITE_REPO is not set" \
			"in .env: YAM_OFFSITE_REPO=/media/usb/yam-restic (USB drive) or YAM_OFFSITE_REPO=rclone:REMOTE:yam-backups"
	if [[ "$OFFSITE_REPO" == /* && ! -d "$(dirname "$OFFSITE_REPO")" ]]; then
		die "$E_PREREQ" "$(dirname "$OFFSITE_REPO") does not exist (is the USB drive mounted?)" "mount the drive, then run again"
	fi
	if [[ ! -s "$OFFSITE_PASSWORD_FILE" && "${1:-}" == init ]]; then
		(umask 077 && head -c 32 /dev/urandom | base64 >"$OFFSITE_PASSWORD_FILE") ||
			die "$E_FAIL" "cannot write $OFFSITE_PASSWORD_FILE" "check the permissions of its folder"
		warn "made the offsite password file $OFFSITE_PASSWORD_FILE: keep a copy of it OFF this machine (a password manager, a paper in the safe); without it the offsite copies cannot be read"
	fi
	[[ -s "$OFFSITE_PASSWORD_FILE" ]] ||
		die "$E_PREREQ" "no offsite password file $OFFSITE_PASSWORD_FILE" "copy your saved password file there (chmod 600)"
	[[ "$(stat -c %a "$OFFSITE_PASSWORD_FILE")" == 600 || "$(stat -c %a "$OFFSITE_PASSWORD_FILE")" == 400 ]] ||
		die "$E_PREREQ" "$OFFSITE_PASSWORD_FILE is readable by others" "chmod 600 $OFFSITE_PASSWORD_FILE"
	if [[ "${1:-}" == init ]] && ! restic_run cat config >/dev/null 2>&1; then
		info "offsite: creating the encrypted repository $OFFSITE_REPO"
		restic_run init >/dev/null || die "$E_FAIL" "restic init $OFFSITE_REPO failed" "check the drive or the rclone remote"
	fi
}

# offsite_push: the newest complete backup into the repository (snapshot time = the backup's), then forget
# snapshots older than KEEP_OFFSITE_DAYS (relative to the newest snapshot, so an old drive is never emptied)
offsite_push() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "offsite push takes no arguments" "bash run.sh offsite"
	offsite_check init
	local newest name when
	newest="$(newest_backup)" || die "$E_NOBACKUP" "no complete backup to copy offsite in $BACKUP_ROOT" "bash run.sh backup"
	name="${newest##*/}"
	when="$(stamp_of "$name")"
	when="${when:0:4}-${when:4:2}-${when:6:2} ${when:9:2}:${when:11:2}:00"
	info "offsite: $newest -> $OFFSITE_REPO (encrypted)"
	if ! restic_run backup --host yam --tag yam-backup --time "$when" "$newest" ||
		! restic_run forget --host yam --tag yam-backup --group-by host,tags --keep-within "${KEEP_OFFSITE_DAYS}d" --prune >/dev/null; then
		alert_once "offsite-failed:$(date +%Y%m%d)" "YAM offsite copy FAILED on $(hostname)" \
			"Copying $newest to $OFFSITE_REPO failed on $(hostname). Run: bash run.sh offsite" || true
		die "$E_FAIL" "the offsite copy failed" "is the drive mounted / the remote reachable? then: bash run.sh offsite"
	fi
	(umask 077 && printf '%s %s\n' "$(date +%s)" "$name" >"$OFFSITE_STATE")
	info "offsite copy: $name (kept ${KEEP_OFFSITE_DAYS} days)"
}

# offsite_fetch [SNAPSHOT]: restore a snapshot (default: the newest) into BACKUP_ROOT/offsite-restore/; prints
# the backup folder it holds
offsite_fetch() {
	offsite_check
	local snap="${1:-latest}" target dir
	target="$BACKUP_ROOT/offsite-restore/$(date +%Y%m%d_%H%M%S)"
	{ (umask 077 && mkdir -p "$target") && chmod 0700 "$BACKUP_ROOT" "$BACKUP_ROOT/offsite-restore"; } ||
		die "$E_FAIL" "cannot create $target" "check the disk"
	restic_run restore "$snap" --host yam --tag yam-backup --target "$target" >&2 ||
		die "$E_NOBACKUP" "restic restore $snap failed" "bash run.sh offsite list (the snapshots there)"
	dir="$(find "$target" -name frappe-backup.sql.gz -printf '%h\n' | sort | tail -n 1)"
	{ [[ -n "$dir" ]] && complete_backup "$dir"; } ||
		die "$E_NOBACKUP" "snapshot $snap holds no complete backup" "bash run.sh offsite list"
	info "offsite: fetched $snap into $dir" >&2
	printf '%s\n' "$dir"
}
