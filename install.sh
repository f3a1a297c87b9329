#!/bin/sh
# install.sh: install srcroute so that the next DHCP lease event on the named macvlans keeps their
# source rules and routes in sync (dhcpcd through /etc/dhcpcd.exit-hook, ISC dhclient through
# /etc/dhcp/dhclient-exit-hooks.d/srcroute). Run `./install.sh --help` for the options.
#
# Safety rules this script keeps: it checks everything (node, interface names, table and protocol
# numbers) before it writes anything; every write is atomic (a temp file beside the target, then
# mv) and skipped when the bytes are already right, so a second run changes nothing; the admin's
# /etc/dhcpcd.exit-hook and /etc/dhcpcd.conf keep every byte (srcroute adds a marked block); what
# it created or replaced is listed in /usr/local/lib/srcroute/installed.list so that --uninstall
# (--purge) can give /etc back exactly as it was.
#
# Layout: settings and helpers first, then one function per step (parse_args, prepare, the
# install_* and uninstall steps, the advice printed at the end), and one dispatch at the bottom
# (main). A new install step is a function called from run_install; a new option is a case in
# parse_args.
set -eu
umask 022

PROG=install.sh
LIB=/usr/local/lib/srcroute
# Where earlier versions put the shared bundle (the hooks loaded it); an update removes it.
OLD_BUNDLE=$LIB/srcroute.cjs
STATE=$LIB/installed.list
SBIN=/usr/local/sbin/srcroute
HOOK_DIR=/etc/dhcpcd
DISPATCHER=/etc/dhcpcd.exit-hook
SHIM=/etc/dhcp/dhclient-exit-hooks.d/srcroute
ENTER=/etc/dhcp/dhclient-enter-hooks.d/srcroute
TABLES=/etc/iproute2/rt_tables.d/srcroute.conf
PROTOS=/etc/iproute2/rt_protos.d/srcroute.conf
CONF_DIR=/etc/srcroute
DHCPCD_CONF=/etc/dhcpcd.conf
# Where srcroute's lock files live, and what lets Debian's dhcpcd.service (ProtectSystem=strict:
# /run read-only for its hooks) write there: a drop-in with one ReadWritePaths=, and a tmpfiles.d
# line that makes the directory at boot, before the service starts (ReadWritePaths=- skips a
# missing path). README "Under dhcpcd.service" says why.
STATE_DIR=/run/srcroute
UNIT=dhcpcd.service
DROP_IN=/etc/systemd/system/$UNIT.d/srcroute.conf
TMPFILES=/etc/tmpfiles.d/srcroute.conf
BEGIN='# >>> srcroute >>>'
END='# <<< srcroute <<<'
FIRST_TABLE=123
PROTO_NUM=213
NODE_MIN=18.19
# Every file install.sh writes that holds the bundle carries this line (old launchers too).
MARK="// Written by srcroute's install.sh"
# The hooks' #! line: env -S passes node more than one argument. --jitless because Debian's
# dhcpcd.service denies the JIT (MemoryDenyWriteExecute=yes), --no-expose-wasm because V8 warns
# on stderr (so in syslog) about --jitless without it. README "Under dhcpcd.service" has numbers.
ENV=/usr/bin/env
HOOK_FLAGS='--jitless --no-expose-wasm'
# systemd's unit directories, lowest precedence first, and the directories ProtectHome= hides
# (src/operator/systemd-unit.ts knows the same; test/unit/systemd-unit.test.ts checks).
UNIT_DIRS='/lib/systemd/system /usr/lib/systemd/system /run/systemd/system /etc/systemd/system'
HOME_DIRS='/home /root /run/user'

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }

usage() {
	cat <<'EOF'
Usage: sudo ./install.sh [options] IFACE [IFACE ...]
       sudo ./install.sh --parent ETH [--stack nm|networkd|ifupdown|dhcpcd] IFACE
       sudo ./install.sh --uninstall [--purge]

Installs srcroute for the macvlan interfaces named (e.g. eth0v0): the `srcroute` command in
/usr/local/sbin and /etc/dhcpcd/IFACE.exit-hook (each a whole bundle, the hooks' without the
operator commands; the hooks run node --jitless), a marked block in /etc/dhcpcd.exit-hook, the
dhclient shim /etc/dhcp/dhclient-exit-hooks.d/srcroute and its enter hook in
dhclient-enter-hooks.d (which keeps the lease's routers out of main), the routing tables (pub =
123 for the first interface, one more per further interface) in
/etc/iproute2/rt_tables.d/srcroute.conf, protocol `213 srcroute` in rt_protos.d,
/etc/srcroute/srcroute.env and IFACE.env (never overwritten), and, when Debian's dhcpcd.service
is installed, a drop-in that lets its hooks write /run/srcroute (their lock directory) with
/etc/tmpfiles.d/srcroute.conf. Without IFACE it updates the interfaces already installed. Builds
dist/ first when needed (npm ci, npm run build).

Options:
  --uninstall         remove everything install added, srcroute's rules and routes included
  --purge             with --uninstall (implied): also remove /etc/srcroute
  --dry-run           print what would be written, changed or removed; change nothing
  --root DIR          stage every file under DIR (packaging, tests); no kernel change
  --parent ETH        also set up the macvlan on ETH (the modem's link) in the network stack's own
                      configuration, with its stable MAC, and a dhcpcd for it alone that starts
                      whenever it appears (implies --configure-dhcpcd; see README, Setup)
  --stack STACK       the stack to set up, instead of the one that runs: nm (NetworkManager),
                      networkd (systemd-networkd, netplan), ifupdown, dhcpcd (Debian's dhcpcd.service)
  --configure-dhcpcd  also add the interfaces' stanza to /etc/dhcpcd.conf (a marked block)
  --node PATH         the node to run hooks with (default: `node` on PATH; absolute path kept)
  -h, --help          this text
EOF
}

# A plain interface name: 1-15 of [A-Za-z0-9_.-], not starting with - or . (as the dispatcher).
valid_iface() {
	case $1 in
	'' | [-.]* | *[!A-Za-z0-9_.-]* | ????????????????*) return 1 ;;
	esac
}

# ---- arguments --------------------------------------------------------------------------------
mode=install dry=false root='' purge=false configure=false node='' ifaces='' parent='' stack=''
parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) usage; exit 0 ;;
		--uninstall) mode=uninstall ;;
		--purge) mode=uninstall purge=true ;;
		--dry-run) dry=true ;;
		--configure-dhcpcd) configure=true ;;
		--root | --node | --parent | --stack)
			[ $# -ge 2 ] || die "$1 needs a value (see --help)"
			set_option "$1" "$2"
			shift ;;
		--root=* | --node=* | --parent=* | --stack=*) set_option "${1%%=*}" "${1#*=}" ;;
		-*) die "unknown option '$1' (see --help)" ;;
		*)
			valid_iface "$1" || die "'$1' is not a plain interface name (1-15 of A-Z a-z 0-9 _ . -)"
			case " $ifaces " in *" $1 "*) ;; *) ifaces="${ifaces:+$ifaces }$1" ;; esac ;;
		esac
		shift
	done
	[ "$mode" = install ] || [ -z "$ifaces" ] || die "--uninstall removes every interface; it takes no IFACE"
	[ -z "$stack" ] || [ -n "$parent" ] || die "--stack needs --parent ETH (the interface the macvlan sits on)"
	[ -z "$parent" ] || [ -n "$ifaces" ] || die "--parent $parent: name the macvlan too, e.g. sudo ./install.sh --parent $parent ${parent}v0"
}

set_option() {
	case $1 in
	--root) root=$2 ;;
	--node) node=$2 ;;
	--parent) valid_iface "$2" || die "--parent '$2' is not a plain interface name"; parent=$2 ;;
	--stack)
		case $2 in nm | networkd | ifupdown | dhcpcd) stack=$2 ;; *) die "--stack '$2': one of nm, networkd, ifupdown, dhcpcd" ;; esac ;;
	esac
}

# The root to write under ($R), who runs this, where the repository is, the temp directory and
# the record of what an earlier install did.
prepare() {
	if [ -n "$root" ]; then
		case $root in /*) ;; *) root=$(pwd)/$root ;; esac
		[ -d "$root" ] || die "--root $root: no such directory"
		root=$(cd "$root" && pwd -P)
		[ "$root" != / ] || root=''
	fi
	R=$root
	euid=$(id -u)
	[ "$euid" = 0 ] || $dry || [ -n "$R" ] ||
		die "must run as root (sudo ./install.sh ...); --dry-run and --root DIR work without"
	here=$(cd "$(dirname "$0")" && pwd -P)
	dist=$here/dist/srcroute.cjs
	hook_dist=$here/dist/hook.cjs # the same entry without the operator commands (build/build.mjs)

	tmp=$(mktemp -d "${TMPDIR:-/tmp}/srcroute-install.XXXXXX") || die "cannot create a temp directory"
	partial=''
	trap 'rm -rf "$tmp"; [ -z "$partial" ] || rm -f "$partial"' EXIT
	trap 'exit 1' HUP INT TERM
	: >"$tmp/state"
	[ ! -f "$R$STATE" ] || cp "$R$STATE" "$tmp/state"
}

# ---- state: what install created or replaced (lines "KIND PATH ...") ----------------------------
state_has() { grep -qxF -- "$1" "$tmp/state"; }
state_add() { state_has "$1" || printf '%s\n' "$1" >>"$tmp/state"; }
state_del() { grep -vxF -- "$1" "$tmp/state" >"$tmp/state.new" || :; mv "$tmp/state.new" "$tmp/state"; }

changes=0
# Create directory $1 (under $R) and its missing parents, recording each one created.
ensure_dir() {
	[ -d "$R$1" ] && return 0
	$dry && state_has "dir $1" && return 0
	ensure_dir "$(dirname "$1")"
	if $dry; then
		say "would create directory $1"
	else
		mkdir -m 0755 "$R$1" || die "cannot create $R$1"
		[ "$euid" != 0 ] || chown 0:0 "$R$1"
	fi
	state_add "dir $1"
	changes=$((changes + 1))
}

# put DEST MODE SRC [OWNER]: give DEST (absolute, under $R) SRC's bytes, MODE and OWNER (uid:gid,
# default 0:0 when root) atomically; nothing happens when all three are already right.
put() {
	if [ "$euid" = 0 ]; then put_owner=${4:-0:0}; else put_owner=$euid:$(id -g); fi
	if [ -f "$R$1" ] && [ ! -L "$R$1" ] && cmp -s "$3" "$R$1" &&
		[ "$(stat -c %a:%u:%g "$R$1")" = "$2:$put_owner" ]; then
		return 0
	fi
	changes=$((changes + 1))
	ensure_dir "$(dirname "$1")"
	if $dry; then
		if [ -e "$R$1" ]; then say "would update $1"; else say "would write $1"; fi
		return 0
	fi
	partial=$(mktemp "$R$(dirname "$1")/.srcroute.XXXXXX") || die "cannot write in $R$(dirname "$1")"
	if ! { cat "$3" >"$partial" && chmod "$2" "$partial" && chown "$put_owner" "$partial" &&
		mv -f "$partial" "$R$1"; }; then
		die "cannot write $R$1"
	fi
	partial=''
	say "wrote $1"
}

# own DEST MODE SRC: a file srcroute owns entirely. A different file already there that install
# did not write is kept in $LIB/backup so that --uninstall can put it back.
own() {
	if [ -e "$R$1" ] && ! state_has "created $1" && ! state_has "backup $1" && ! cmp -s "$3" "$R$1"; then
		if $dry; then
			say "would keep a copy of the existing $1 for --uninstall"
		else
			ensure_dir "$LIB"
			if ! { mkdir -p "$R$LIB/backup$(dirname "$1")" && cp -p "$R$1" "$R$LIB/backup$1"; }; then
				die "cannot back up $R$1"
			fi
		fi
		state_add "backup $1"
	fi
	[ -e "$R$1" ] || state_has "backup $1" || state_add "created $1"
	put "$@"
}

# The admin's part of FILE: the file without srcroute's block, exactly (a newline that install
# added before the block, because the file did not end with one, goes again).
admin_part() {
	if ! grep -qF -- "$BEGIN" "$R$1"; then
		cat "$R$1"
		return 0
	fi
	awk -v b="$BEGIN" -v e="$END" -v strip="$(state_has "nl $1" && echo 1)" '
		index($0, b) == 1 { skip = 1 }
		!skip { printf "%s%s", sep, $0; sep = "\n"; n++ }
		skip && index($0, e) == 1 { skip = 0 }
		END { if (n && strip != "1") printf "\n" }' "$R$1"
}

# merge FILE BLOCK: FILE = the admin's part + BLOCK (which starts with $BEGIN and ends with $END).
# The file's mode and owner stay; a file install creates is 0644 and removed again by --uninstall.
merge() {
	mode_owner=644:0:0
	if [ -f "$R$1" ] && [ ! -r "$R$1" ]; then
		$dry || die "cannot read $R$1"
		say "would add srcroute's block to $1 (not readable here: run as root to see more)"
		return 0
	fi
	if [ -f "$R$1" ]; then
		mode_owner=$(stat -c %a:%u:%g "$R$1")
		admin_part "$1" >"$tmp/merged"
	else
		state_add "created $1"
		: >"$tmp/merged"
	fi
	if [ -s "$tmp/merged" ] && [ -n "$(tail -c 1 "$tmp/merged")" ]; then
		echo >>"$tmp/merged"
		state_add "nl $1"
	else
		state_del "nl $1"
	fi
	cat "$2" >>"$tmp/merged"
	put "$1" "${mode_owner%%:*}" "$tmp/merged" "${mode_owner#*:}"
}

# Lines "NUMBER NAME FILE" of the iproute2 name files KIND (rt_tables, rt_protos), ours excluded.
registered() {
	for d in /usr/lib/iproute2 /usr/share/iproute2 /etc/iproute2; do
		for f in "$R$d/$1" "$R$d/$1.d"/*.conf; do
			[ "$f" != "$R/etc/iproute2/$1.d/srcroute.conf" ] || continue
			[ -f "$f" ] || continue
			sed -e 's/#.*//' "$f" | while read -r num name _; do
				[ -n "$name" ] || continue
				case $num in 0x* | 0X*) num=$((num)) ;; *[!0-9]* | '') continue ;; esac
				printf '%s %s %s\n' "$((num))" "$name" "${f#"$R"}"
			done
		done
	done
}

# Stop (before any change) when NUMBER or NAME is registered in KIND for something else.
check_free() {
	taken=$(registered "$1" | awk -v n="$2" -v m="$3" '($1 == n) != ($2 == m) { print $3 " already has \"" $1 " " $2 "\""; exit }')
	[ -z "$taken" ] || die "cannot register $1 '$2 $3': $taken; nothing changed"
}

# Remove FILE (under $R), or put back the admin's copy install replaced.
remove() {
	if state_has "backup $1" && [ -f "$R$LIB/backup$1" ]; then
		if $dry; then say "would restore $1"; else cp -p "$R$LIB/backup$1" "$R$1.srcroute-restore" &&
			mv -f "$R$1.srcroute-restore" "$R$1" && say "restored $1"; fi
	elif [ -e "$R$1" ] || [ -L "$R$1" ]; then
		if $dry; then say "would remove $1"; else rm -f "$R$1" && say "removed $1"; fi
	fi
}

# Take srcroute's block out of FILE; remove FILE if install created it and nothing else is left.
unmerge() {
	[ -f "$R$1" ] && grep -qF -- "$BEGIN" "$R$1" || return 0
	admin_part "$1" >"$tmp/unmerged"
	if state_has "created $1" && ! grep -q '[^[:space:]]' "$tmp/unmerged"; then
		remove "$1"
	else
		state_del "nl $1"
		mode_owner=$(stat -c %a:%u:%g "$R$1")
		put "$1" "${mode_owner%%:*}" "$tmp/unmerged" "${mode_owner#*:}"
	fi
}

# ---- uninstall ----------------------------------------------------------------------------------
run_uninstall() {
run_recorded stop
if [ -n "$R" ]; then
	say "--root: not touching the kernel (srcroute flush skipped)"
elif [ -x "$SBIN" ]; then
	if $dry; then
		say "would remove srcroute's rules and routes from the kernel:"
		"$SBIN" flush --dry-run || warn "srcroute flush --dry-run failed"
	elif ! "$SBIN" flush; then
		warn "srcroute flush failed: remove the rules and routes marked proto $PROTO_NUM by hand (see ip rule; ip route show table all)"
	fi
fi
for f in "$R$HOOK_DIR"/*.exit-hook; do
	if [ -f "$f" ] && grep -qF -- "$MARK" "$f"; then remove "${f#"$R"}"; fi
done
for f in "$SBIN" "$SHIM" "$ENTER" "$TABLES" "$PROTOS" "$OLD_BUNDLE" "$TMPFILES"; do remove "$f"; done
if [ -e "$R$DROP_IN" ]; then remove "$DROP_IN" && reload_units; fi
unmerge "$DISPATCHER"
unmerge "$DHCPCD_CONF"
uninstall_stack_files
run_recorded reload
if $purge && [ -d "$R$CONF_DIR" ]; then
	if $dry; then say "would remove $CONF_DIR"; else rm -rf "$R$CONF_DIR" && say "removed $CONF_DIR"; fi
fi
if ! $dry; then rm -rf "$R$LIB/backup" "$R$STATE"; fi
sed -n 's/^dir //p' "$tmp/state" | sort -r | while read -r d; do
	if $dry; then say "would remove directory $d if empty"
	elif rmdir "$R$d" 2>/dev/null; then say "removed directory $d"
	elif [ -d "$R$d" ]; then say "kept $d (not empty)"; fi
done
if ! $purge && [ -d "$R$CONF_DIR" ]; then say "kept your settings in $CONF_DIR (--purge removes them)"; fi
}

# ---- install: check everything first ------------------------------------------------------------
# The node the hooks run with: an absolute path without spaces, Node >= $NODE_MIN.
check_node() {
	[ -n "$node" ] || node=$(command -v node) || die "node not found on PATH: install Node.js >= $NODE_MIN (or give --node PATH)"
	case $node in
	/*) ;;
	*) die "node must be an absolute path (got '$node'): dhcpcd runs hooks with its own PATH" ;;
	esac
	case $node in *[[:space:]]*) die "the node path '$node' contains a space: it cannot be a #! interpreter" ;; esac
	[ -x "$node" ] || die "$node is not executable"
	version=$("$node" -p process.versions.node 2>/dev/null) || die "$node does not run"
	IFS=. read -r major minor _ <<-EOF
	$version
	EOF
	[ "$major" -gt 18 ] || { [ "$major" -eq 18 ] && [ "$minor" -ge 19 ]; } ||
		die "$node is Node $version; srcroute needs Node >= $NODE_MIN (Debian 12 ships 18.19: apt install nodejs)"
	"$ENV" -S "$node $HOOK_FLAGS -e 0" 2>/dev/null ||
		die "$ENV -S $node $HOOK_FLAGS does not run (the hooks' #! line needs coreutils >= 8.30)"
	check_node_visible
}

# unit_file UNIT: systemd UNIT's file (under $R) from the directory of UNIT_DIRS that wins.
unit_file() {
	uf=''
	for d in $UNIT_DIRS; do [ ! -f "$R$d/$1" ] || uf=$R$d/$1; done
	printf '%s' "$uf"
}

# unit_setting UNIT KEY: the last KEY= of systemd UNIT (its file, then its drop-ins by name; a
# file in a later directory of UNIT_DIRS replaces one of the same name). Empty without the unit.
unit_setting() {
	us_unit=$(unit_file "$1") us_drop=$tmp/drop-ins
	[ -n "$us_unit" ] || return 0
	: >"$us_drop"
	for d in $UNIT_DIRS; do
		for f in "$R$d/$1.d"/*.conf; do [ ! -f "$f" ] || printf '%s %s\n' "${f##*/}" "$f" >>"$us_drop"; done
	done
	awk '{ last[$1] = $2 } END { for (n in last) print n, last[n] }' "$us_drop" | sort | while read -r _ f; do cat "$f"; done |
		cat "$us_unit" - | sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" | tail -n 1
}

# Debian's dhcpcd.service runs hooks with ProtectHome=yes: /home, /root and /run/user are empty
# there, so a node under them (nvm's) cannot even start. Refuse, with the fix.
check_node_visible() {
	real=$(readlink -f "$node" 2>/dev/null || echo "$node")
	for h in $HOME_DIRS; do
		case "$node $real" in "$h"/* | *" $h"/*) ;; *) continue ;; esac
		case $(unit_setting "$UNIT" ProtectHome) in
		yes | true | on | 1 | tmpfs)
			die "$node ($real) is under $h, which $UNIT hides from its hooks (ProtectHome=yes): give a node outside it, e.g. --node /usr/bin/node (apt install nodejs) or a copy in /usr/local/bin" ;;
		esac
	done
}

# The files that get a marked block must be plain files.
check_block_files() {
	for f in "$DISPATCHER" "$DHCPCD_CONF"; do
		[ ! -L "$R$f" ] || die "$f is a symbolic link: make it a plain file (srcroute adds a block to it)"
	done
}

# Interfaces: those already installed keep their table; new ones get the next one ($tmp/tables:
# lines "IFACE NUMBER NAME"). Stops when a number or name is taken by something else.
assign_tables() {
	known=$(sed -n 's/^table \([^ ]*\) .*/\1/p' "$tmp/state")
	if [ -z "$ifaces" ]; then
		ifaces=$(printf '%s\n' "$known" | tr '\n' ' ')
		ifaces=${ifaces% }
		[ -n "$ifaces" ] || { usage >&2; die "name at least one interface, e.g. sudo ./install.sh eth0v0"; }
	fi
	count=$(printf '%s' "$known" | grep -c . || :)
	for i in $ifaces; do
		printf '%s\n' "$known" | grep -qxF -- "$i" && continue
		[ "$count" -le 129 ] || die "too many interfaces: table numbers would pass 252"
		if [ "$count" -eq 0 ]; then name=pub; else name=pub$count; fi
		state_add "table $i $((FIRST_TABLE + count)) $name"
		count=$((count + 1))
	done
	sed -n 's/^table //p' "$tmp/state" >"$tmp/tables"
	while read -r i num name; do check_free rt_tables "$num" "$name"; done <"$tmp/tables"
	check_free rt_protos "$PROTO_NUM" srcroute
}

# Build the bundle when it is missing or older than src/. Nothing to build, no npm ci: a release
# tarball (dist/, no src/) installs with no npm and no network.
build_bundle() {
	[ ! -f "$dist" ] || [ ! -f "$hook_dist" ] || [ -n "$(find "$here/src" -newer "$dist" 2>/dev/null | head -n 1)" ] || return 0
	if [ ! -d "$here/node_modules" ]; then
		if $dry; then say "would run npm ci in $here"; else
			command -v npm >/dev/null 2>&1 || die "npm not found: it is needed once, to build dist/srcroute.cjs"
			say "running npm ci in $here"
			(cd "$here" && npm ci >&2) || die "npm ci failed (see above)"
		fi
	fi
	if [ ! -f "$dist" ] || [ ! -f "$hook_dist" ] || [ -n "$(find "$here/src" -newer "$dist" 2>/dev/null | head -n 1)" ]; then
		if $dry; then say "would run npm run build in $here"; else
			command -v npm >/dev/null 2>&1 || die "npm not found: it is needed once, to build dist/srcroute.cjs"
			say "building dist/srcroute.cjs"
			(cd "$here" && npm run build >&2) || die "npm run build failed (see above)"
		fi
	fi
}

# ---- install: write ------------------------------------------------------------------------------
# launcher hook|command COMMENT: a whole bundle behind a #! line naming node by its absolute
# path (dhcpcd gives hooks its own PATH); a hook is dist/hook.cjs, whose node runs with HOOK_FLAGS.
launcher() {
	if [ "$1" = hook ]; then
		printf '#!%s -S %s %s\n' "$ENV" "$node" "$HOOK_FLAGS"
		from=$hook_dist
	else
		printf '#!%s\n' "$node"
		from=$dist
	fi
	printf '// %s\n' "$2"
	printf '%s (--uninstall removes it) from dist/%s.\n' "$MARK" "${from##*/}"
	tail -n +2 "$from"
}
block() {
	printf '%s %s\n' "$BEGIN" "$1"
	cat
	printf '%s\n' "$END"
}

# The srcroute command and one hook per interface, each a whole bundle (no file shared between
# them to go missing; dhcpcd.service's sandbox sees /etc). An earlier version's shared bundle goes.
install_programs() {
	if state_has "created $OLD_BUNDLE" || state_has "backup $OLD_BUNDLE"; then
		remove "$OLD_BUNDLE"
		state_del "created $OLD_BUNDLE"
		state_del "backup $OLD_BUNDLE"
		changes=$((changes + 1))
	fi
	if [ ! -f "$dist" ]; then
		say "would write $SBIN and $HOOK_DIR/IFACE.exit-hook for: $ifaces (built from src/ first)"
		return 0
	fi
	launcher command "The srcroute command." >"$tmp/sbin"
	own "$SBIN" 755 "$tmp/sbin"
	for i in $ifaces; do
		launcher hook "srcroute's hook for $i: /etc/dhcpcd.exit-hook and the dhclient shim run it." >"$tmp/hook"
		own "$HOOK_DIR/$i.exit-hook" 755 "$tmp/hook"
	done
}

# The block in /etc/dhcpcd.exit-hook and the dhclient shim: both run the dispatcher.
install_dispatchers() {
	# The dispatcher's shellcheck directive only makes sense at the top of a file: dropped when embedded.
	sed '1{/^# shellcheck shell=sh$/d;}' "$here/hooks/dhcpcd.exit-hook" >"$tmp/dispatch.sh"
	block "(added by srcroute's install.sh; ./install.sh --uninstall removes this block)" \
		<"$tmp/dispatch.sh" >"$tmp/dispatcher"
	if [ -r "$R$DISPATCHER" ] && admin_part "$DISPATCHER" | grep -qE '^[[:space:]]*(exit|exec)([[:space:]]|$)'; then
		warn "$DISPATCHER has an exit or exec of its own: srcroute's block at its end may never run"
	fi
	merge "$DISPATCHER" "$tmp/dispatcher"
	cat "$here/hooks/dhclient-exit-hook" "$tmp/dispatch.sh" >"$tmp/shim"
	own "$SHIM" 644 "$tmp/shim"
	# ... and its enter hook, which keeps the lease's routers out of the main table (see the file).
	own "$ENTER" 644 "$here/hooks/dhclient-enter-hook"
}

# The names iproute2 shows for srcroute's tables and protocol.
# For Debian's dhcpcd.service (when installed): the drop-in and tmpfiles.d line for the lock
# directory (the unit's hardening otherwise untouched), and the directory itself for this boot.
install_unit_allowance() {
	[ -n "$(unit_file "$UNIT")" ] || return 0
	before=$changes
	{
		echo "# srcroute: its hooks run inside $UNIT, where ProtectSystem=strict makes /run read-only;"
		echo "# this lets them write their lock files in $STATE_DIR, nothing else (written by install.sh;"
		echo "# --uninstall removes it). $TMPFILES makes the directory at boot."
		echo "[Service]"
		echo "ReadWritePaths=-$STATE_DIR"
	} >"$tmp/drop-in"
	own "$DROP_IN" 644 "$tmp/drop-in"
	printf '# srcroute: its lock directory (written by install.sh; --uninstall removes it).\nd %s 0700 root root -\n' \
		"$STATE_DIR" >"$tmp/tmpfiles"
	own "$TMPFILES" 644 "$tmp/tmpfiles"
	if [ -z "$R" ] && ! $dry; then mkdir -m 0700 "$STATE_DIR" 2>/dev/null || :; fi
	[ "$changes" -eq "$before" ] || reload_units
}

# After a drop-in changed: systemd reads it on daemon-reload, the running service on its restart
# (install.sh does not restart the DHCP client under the admin's feet).
reload_units() {
	[ -z "$R" ] && ! $dry || return 0
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl daemon-reload || warn "systemctl daemon-reload failed"
	fi
	say "$DROP_IN changed: it applies from the next start of $UNIT (sudo systemctl restart $UNIT)"
}

install_names() {
	{
		echo "# srcroute: one routing table per interface (written by install.sh; --uninstall removes it)."
		while read -r i num name; do printf '%s\t%s\n' "$num" "$name"; done <"$tmp/tables"
	} >"$tmp/rt_tables"
	own "$TABLES" 644 "$tmp/rt_tables"
	printf '# srcroute: the protocol number on its rules and routes (written by install.sh).\n%s\tsrcroute\n' \
		"$PROTO_NUM" >"$tmp/rt_protos"
	own "$PROTOS" 644 "$tmp/rt_protos"
}

# srcroute.env and one IFACE.env per interface, written once and never overwritten.
install_config() {
	ensure_dir "$CONF_DIR"
	if [ ! -e "$R$CONF_DIR/srcroute.env" ]; then
		if [ -f "$dist" ]; then
			"$node" "$dist" config --defaults >"$tmp/env" || die "$dist config --defaults failed"
			put "$CONF_DIR/srcroute.env" 644 "$tmp/env"
		else
			say "would write $CONF_DIR/srcroute.env (srcroute config --defaults)"
		fi
	fi
	while read -r i num name; do
		case " $ifaces " in *" $i "*) ;; *) continue ;; esac
		env=$CONF_DIR/$i.env
		if [ -e "$R$env" ]; then
			[ "$num" = "$FIRST_TABLE" ] || grep -qx "TABLE=$name" "$R$env" ||
				warn "$env exists and does not say TABLE=$name: $i may share another interface's table"
			continue
		fi
		{
			echo "# srcroute settings for $i only (dotenv, parsed and never executed). Any key of"
			echo "# $CONF_DIR/srcroute.env except PROTOCOL can be set here and overrides it."
			if [ "$num" = "$FIRST_TABLE" ]; then
				echo "# $i uses TABLE=pub ($num) from srcroute.env."
				echo "#TABLE=pub"
			else
				echo "# install.sh gave $i its own table $name ($num), registered in $TABLES."
				echo "TABLE=$name"
			fi
		} >"$tmp/ifenv"
		put "$env" 644 "$tmp/ifenv"
	done <"$tmp/tables"
}

# The dhcpcd.conf stanza ($tmp/stanza): kept in a marked block once --configure-dhcpcd asked for it.
install_dhcpcd_conf() {
	{
		echo "# srcroute's interfaces: leases (IPv4, SLAAC and DHCPv6) only; no default route (nogateway"
		echo "# also keeps the IPv6 default of the modem's router advertisements out of main), DNS or"
		echo "# hostname from them. (Options after an interface line apply to that interface only: keep this last.)"
		while read -r i _; do
			printf 'interface %s\n\tnogateway\n\tnoipv4ll\n\tnohook resolv.conf, hostname\n' "$i"
		done <"$tmp/tables"
		# Under Debian's dhcpcd.service (--stack dhcpcd) the parent leases nothing: per-interface
		# options, as dhcpcd 9.4.1 ignores a global denyinterfaces after an interface line.
		sed -n 's/^stack [^ ]* dhcpcd //p' "$tmp/state" | sort -u | while read -r p; do
			printf '# %s only carries the macvlans: no address of its own.\ninterface %s\n\tnoipv4\n\tnoipv6\n' "$p" "$p"
		done
	} >"$tmp/stanza"
	block "(added by srcroute's install.sh --configure-dhcpcd; ./install.sh --uninstall removes it)" \
		<"$tmp/stanza" >"$tmp/stanza.block"
	if $configure || { [ -f "$R$DHCPCD_CONF" ] && grep -qF -- "$BEGIN" "$R$DHCPCD_CONF"; }; then
		for i in $ifaces; do
			if [ -r "$R$DHCPCD_CONF" ] && admin_part "$DHCPCD_CONF" | awk -v i="$i" '$1 == "interface" && $2 == i { f = 1 } END { exit !f }'; then
				warn "$DHCPCD_CONF already has an 'interface $i' section: check that it agrees with srcroute's block"
			fi
		done
		merge "$DHCPCD_CONF" "$tmp/stanza.block"
	fi
}

# The record of what install did goes last, and only when something changed.
record_state() {
	if [ "$changes" -gt 0 ] && ! $dry; then
		ensure_dir "$LIB"
		put "$STATE" 644 "$tmp/state"
	fi
}

# ---- install: the network stack (--parent) ------------------------------------------------------
# The bundle plans each macvlan's stack (`srcroute stack-plan`, pure TypeScript per stack): a
# manifest of files and commands in $tmp/stack.IFACE (see src/operator/stacks/plan.ts). Here
# each file goes in with own() (atomic, recorded as "stackfile PATH", restored or removed by
# --uninstall), then the commands whose files changed run, and the ones that undo them are
# recorded ("stop IFACE CMD" before the files go, "reload IFACE CMD" after).

# "IFACE STACK PARENT" for each interface that has a stack: named now with --parent (which needs
# the interfaces named), or recorded by an earlier install.
stack_ifaces() {
	for i in $ifaces; do
		if [ -n "$parent" ]; then
			printf '%s %s %s\n' "$i" "${stack:--}" "$parent"
		else
			sed -n "s/^stack $i \([^ ]*\) \([^ ]*\)$/$i \1 \2/p" "$tmp/state"
		fi
	done
}

# Plan every stack before anything is written: a plan that cannot be made stops the install.
plan_stacks() {
	stack_ifaces >"$tmp/stacks"
	[ -s "$tmp/stacks" ] || return 0
	if [ ! -f "$dist" ]; then
		say "would set up the network stack for: $(cut -d' ' -f1 "$tmp/stacks" | tr '\n' ' ')(planned by dist/srcroute.cjs, once built)"
		return 0
	fi
	while read -r i s p; do
		mkdir "$tmp/stack.$i"
		set -- --parent "$p"
		[ "$s" = - ] || set -- "$@" --stack "$s"
		"$node" "$dist" stack-plan "$i" "$@" --out "$tmp/stack.$i" 2>"$tmp/stack.err" ||
			die "$(sed 's/^srcroute stack-plan: //' "$tmp/stack.err"); nothing changed"
		grep -qx dhcpcd-conf "$tmp/stack.$i/plan" && configure=true
		s=$(sed -n 's/^stack \([^ ]*\) .*/\1/p' "$tmp/stack.$i/plan")
		grep -v "^stack $i " "$tmp/state" >"$tmp/state.new" || :
		mv "$tmp/state.new" "$tmp/state"
		state_add "stack $i $s $p"
	done <"$tmp/stacks"
}

# Run a stack's command (a daemon's reload, a unit's start); a failure is a warning that names it.
stack_run() {
	if [ -n "$R" ]; then say "--root: not running: $*"; return 0; fi
	if $dry; then say "would run: $*"; return 0; fi
	say "running: $*"
	"$@" || warn "'$*' failed (exit status $?): run it again once the cause is fixed"
}

install_stacks() {
	[ -s "$tmp/stacks" ] && [ -f "$dist" ] || return 0
	while read -r i _; do
		plan=$tmp/stack.$i
		say "$i: $(sed -n 's/^stack //p' "$plan/plan")"
		changed=' '
		while read -r kind mode path; do
			[ "$kind" = file ] || continue
			before=$changes
			own "$path" "${mode#0}" "$plan/files$path"
			[ "$changes" = "$before" ] || changed="$changed$path "
			state_add "stackfile $path"
		done <"$plan/plan"
		set -f
		while read -r kind when cmd; do
			[ "$kind" = run ] || continue
			case $when in
			always) ;;
			'*') [ "$changed" != ' ' ] || continue ;;
			*)
				hit=false
				for w in $(printf '%s' "$when" | tr ',' ' '); do
					case $changed in *" $w "*) hit=true ;; esac
				done
				$hit || continue ;;
			esac
			# shellcheck disable=SC2086 # the manifest's words are plain on purpose (stack-plan checks)
			stack_run $cmd
		done <"$plan/plan"
		set +f
		for k in stop reload; do sed -n "s/^$k /$k $i /p" "$plan/plan"; done >"$tmp/undo"
		while read -r line; do state_add "$line"; done <"$tmp/undo"
		sed -n 's/^note /    /p' "$plan/plan"
	done <"$tmp/stacks"
}

# --uninstall: the recorded KIND ("stop" or "reload") commands, each once, in order.
run_recorded() {
	sed -n "s/^$1 [^ ]* //p" "$tmp/state" | awk '!seen[$0]++' >"$tmp/$1.cmds"
	set -f
	while read -r cmd; do
		# shellcheck disable=SC2086
		stack_run $cmd
	done <"$tmp/$1.cmds"
	set +f
}

uninstall_stack_files() {
	sed -n 's/^stackfile //p' "$tmp/state" | while read -r f; do remove "$f"; done
}

# ---- install: what the admin still has to do -----------------------------------------------------
report() {
	if $dry; then
		[ "$changes" -gt 0 ] || say "nothing to change"
		say "dry run: nothing was changed"
	elif [ "$changes" -eq 0 ]; then
		say "already installed: nothing changed"
	else
		say "installed srcroute for: $ifaces"
	fi
}

advise_dhcpcd_conf() {
	if ! $configure && ! grep -qF -- "$BEGIN" "$R$DHCPCD_CONF" 2>/dev/null; then
		echo
		echo "Add this to $DHCPCD_CONF (or run again with --configure-dhcpcd):"
		sed 's/^/    /' "$tmp/stanza"
	fi
	if [ -f "$R$DHCPCD_CONF" ]; then
		# allowinterfaces takes shell patterns (eth*): match them as case does, without globbing.
		allow=$(sed -n 's/#.*//; s/^[[:space:]]*allowinterfaces[[:space:]]//p' "$R$DHCPCD_CONF" | tr ',' ' ')
		set -f
		for i in $ifaces; do
			[ -n "$allow" ] || break
			found=false
			for p in $allow; do
				# shellcheck disable=SC2254 # $p is a pattern on purpose
				case $i in $p) found=true ;; esac
			done
			$found || echo "Note: $DHCPCD_CONF has allowinterfaces without $i: add it there."
		done
		set +f
	fi
}

advise_macvlan() {
	if [ -z "$R" ] && command -v ip >/dev/null 2>&1; then
		for i in $ifaces; do
			ip link show dev "$i" >/dev/null 2>&1 && continue
			grep -q "^$i " "$tmp/stacks" 2>/dev/null && continue
			mac=$(od -An -tx1 -N5 /dev/urandom | tr -s ' \n' ':' | sed 's/:$//')
			echo
			echo "$i does not exist yet. Create it on the modem's interface (eth0 here) with a fixed,"
			echo "locally administered MAC (the modem ties the lease to it), e.g.:"
			echo "    ip link add link eth0 name $i address 02$mac type macvlan mode private"
			echo "    ip link set $i up"
			echo "and make it permanent in your network configuration (--parent ETH does that for you)."
			if [ -f "$dist" ] && "$node" "$dist" --help 2>/dev/null | grep -q 'srcroute mac'; then
				echo "(\`srcroute mac $i\` helps with the MAC: see srcroute --help.)"
			fi
		done
	fi
}

run_install() {
	check_node
	check_block_files
	assign_tables
	build_bundle
	plan_stacks
	install_programs
	install_dispatchers
	install_names
	install_unit_allowance
	install_config
	install_dhcpcd_conf
	install_stacks
	record_state
	report
	advise_dhcpcd_conf
	advise_macvlan
}

# ---- dispatch -----------------------------------------------------------------------------------
main() {
	parse_args "$@"
	prepare
	case $mode in
	install) run_install ;;
	uninstall) run_uninstall ;;
	esac
	exit 0
}
main "$@"
