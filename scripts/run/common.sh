# shellcheck shell=bash
# run.sh part: exit codes, settings, output helpers, .env loading, JSON arguments for `bench execute`.
# Sourced by run.sh (which sets SCRIPT_DIR and `set -euo pipefail`); defines functions and settings only.

# ---------------------------------------------------------------------------------------------------------------
# exit codes (documented in `help` and docs/TROUBLESHOOTING.md)
# shellcheck disable=SC2034 # used by the other parts
{
	readonly E_OK=0
	readonly E_FAIL=1      # unexpected failure of a command run.sh called
	readonly E_USAGE=2     # unknown command or bad arguments
	readonly E_PREREQ=3    # something run.sh needs is missing (docker, .env, bench dir, curl, ...)
	readonly E_UNHEALTHY=4 # status: a service is down/unhealthy or the site does not answer
	readonly E_BACKUP=5    # backup failed (nothing half-made is left as a backup)
	readonly E_RESTORE=6   # restore failed
	readonly E_NOBACKUP=7  # nothing to restore: no backup, or the given folder is not a complete backup
	readonly E_ABORTED=8   # the user did not confirm (or no terminal to ask and no --yes)
}

# ---------------------------------------------------------------------------------------------------------------
# settings (environment variables override the defaults)
# shellcheck disable=SC2034 # used by the other parts
{
	COMPOSE_FILE="${YAM_COMPOSE_FILE:-$SCRIPT_DIR/docker-compose.yaml}"
	ENV_FILE="${YAM_ENV_FILE:-$SCRIPT_DIR/.env}"
	BACKUP_ROOT="${YAM_BACKUP_DIR:-$SCRIPT_DIR/backups}"
	OFFLINE_DIR="${YAM_OFFLINE_DIR:-$SCRIPT_DIR/offline}"
	KEEP_BACKUPS="${YAM_KEEP_BACKUPS:-7}"
	KEEP_SAFETY="${YAM_KEEP_SAFETY_BACKUPS:-3}"
	BACKUP_NAME_RE='^[0-9]{8}_[0-9]{4}$'
	# long-running services of the stack; create-site is the one-shot job
	ONE_SHOT_SERVICES=" create-site "
	# the in-container operations run.sh calls with `bench execute` (yam_agri_core/ops.py)
	OPS_MODULE="yam_agri_core.ops"
}

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

confirm() { # prompt; true when the user typed yes
	local answer
	[[ -t 0 ]] || return 2
	printf '%s [type yes] ' "$1" >&2
	read -r answer || return 1
	[[ "$answer" == "yes" ]]
}

# ---------------------------------------------------------------------------------------------------------------
# configuration

# load_env FILE: KEY=VALUE lines, read as docker compose reads .env (variables already in the environment win):
# unquoted values end at " #" (a comment) and are trimmed; 'single-quoted' values are literal; "double-quoted"
# values are taken as written. What compose would change and run.sh could not reproduce exactly -- a `$` outside
# single quotes (compose substitutes variables there) or a backslash in double quotes (compose reads escapes) --
# is refused with the fix, so run.sh and the containers never see two different passwords.
load_env() {
	local file="$1" line key value n=0 why
	[[ -f "$file" ]] || return 0
	while IFS= read -r line || [[ -n "$line" ]]; do
		n=$((n + 1))
		line="${line%$'\r'}"
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		[[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
		key="${BASH_REMATCH[2]}"
		value="${BASH_REMATCH[3]}"
		why=""
		if [[ "$value" =~ ^\'([^\']*)\'[[:space:]]*(#.*)?$ ]]; then
			value="${BASH_REMATCH[1]}"
		elif [[ "$value" =~ ^\"([^\"]*)\"[[:space:]]*(#.*)?$ ]]; then
			value="${BASH_REMATCH[1]}"
			[[ "$value" != *[\$\\]* ]] || why="has \$ or \\ inside double quotes (compose substitutes or unescapes them)"
		elif [[ "$value" == [\"\']* ]]; then
			why="has an opening quote without its closing one"
		else
			value="${value%% #*}" # an inline comment starts at the first " #", as in compose
			[[ "$value" =~ ^(.*[^[:space:]])?[[:space:]]*$ ]] && value="${BASH_REMATCH[1]}"
			[[ "$value" != *\$* ]] || why="has a \$ (compose would substitute a variable there)"
		fi
		[[ -z "$why" ]] || die "$E_PREREQ" "$file line $n: the value of $key $why" \
			"write it in single quotes, which compose and run.sh both take literally: $key='...'" \
			"or choose a value without \$, \\ and quotes (e.g. openssl rand -hex 16)"
		if [[ -z "${!key+x}" ]]; then
			export "$key=$value"
		fi
	done <"$file"
}

# ---------------------------------------------------------------------------------------------------------------
# JSON arguments for `bench execute METHOD --kwargs JSON`. bench evaluates --kwargs as a Python literal, and a
# JSON object of strings is one (no true/false/null is ever written), so the in-container function receives
# exactly these strings: no shell or Python quoting is involved. Results come back the other way, as one JSON
# line printed by the function (yam_agri_core/ops.py); run.sh only tests its boolean flags (json_flag).

# json_str STRING: STRING as a JSON string literal (quotes included)
json_str() {
	local s="$1" bs=$'\\' q='"' out="" c i code
	s="${s//"$bs"/"$bs$bs"}"
	s="${s//"$q"/"$bs$q"}"
	s="${s//$'\n'/"${bs}n"}"
	s="${s//$'\r'/"${bs}r"}"
	s="${s//$'\t'/"${bs}t"}"
	if [[ "$s" == *[$'\001'-$'\037']* ]]; then
		for ((i = 0; i < ${#s}; i++)); do
			c="${s:i:1}"
			if [[ "$c" == [$'\001'-$'\037'] ]]; then
				printf -v code '%04x' "'$c"
				out+="${bs}u$code"
			else
				out+="$c"
			fi
		done
		s="$out"
	fi
	printf '"%s"' "$s"
}

# json_obj KEY VALUE [KEY VALUE...]: a JSON object of string values, one line
json_obj() {
	(($# % 2 == 0)) || return 1
	local out="{" sep=""
	while (($#)); do
		out+="$sep$(json_str "$1"): $(json_str "$2")"
		sep=", "
		shift 2
	done
	printf '%s}' "$out"
}

# json_flag LINE KEY: true when the JSON result line LINE has "KEY": true (the format ops.result_line writes)
json_flag() {
	[[ "$1" == "{"*"\"$2\": true"*"}" ]]
}
