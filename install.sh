#!/bin/sh
# install.sh: srcroute's installer from a source tree or a release tarball. It finds a node
# (>= NODE_MIN), builds dist/ when it is missing (a release ships dist/ prebuilt: no npm, no
# network then), and hands over to the bundle: `srcroute install` or `srcroute uninstall`
# (src/install/), which checks everything before it writes anything, writes atomically, records
# what it wrote in /usr/local/lib/srcroute/installed.list and gives /etc back byte for byte on
# --uninstall --purge. This script is glue: it reads only --help, --node and --uninstall (and
# notes --dry-run, to preview a build); every other argument goes to srcroute install|uninstall,
# whose parser refuses what it does not know. It exits 1 on any failure.
set -eu
umask 022

PROG=install.sh
NODE_MIN=18.19

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
	cat <<EOF
Usage: sudo ./install.sh [--node PATH] [OPTION ...] IFACE [IFACE ...]
       sudo ./install.sh --uninstall [--purge] [OPTION ...]

Finds a node (>= $NODE_MIN; --node PATH picks one), builds dist/ when it is
missing (npm ci, npm run build; a release ships it), then runs
\`srcroute install\` with the other arguments, or \`srcroute uninstall\` with
--uninstall. Their options follow (./install.sh --uninstall --help: the
uninstaller's).
EOF
}

# ---- arguments: --help, --node and --uninstall are this script's; the rest goes to srcroute -----
cmd=install node='' dry=false help=false
n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	case $a in
	-h | --help) help=true ;;
	--uninstall) cmd=uninstall; continue ;;
	--node)
		[ "$n" -gt 0 ] || die "--node needs a value (see --help)"
		node=$1
		shift
		n=$((n - 1))
		continue ;;
	--node=*) node=${a#*=}; continue ;;
	--dry-run) dry=true ;;
	esac
	set -- "$@" "$a"
done

here=$(cd "$(dirname "$0")" && pwd -P)
if $help; then
	usage
	[ -f "$here/dist/srcroute.cjs" ] && command -v "${node:-node}" >/dev/null 2>&1 || exit 0
	printf '\n'
	exec "${node:-node}" "$here/dist/srcroute.cjs" "$cmd" --help
fi

# ---- the node: the hooks run with it, and so does the installer ---------------------------------
if [ -z "$node" ]; then
	node=$(command -v node) || die "node not found on PATH: install Node.js >= $NODE_MIN (or give --node PATH)"
fi
[ -x "$node" ] || die "$node is not executable"
version=$("$node" -p process.versions.node 2>/dev/null) || die "$node does not run"
major=${version%%.*} minor=${version#*.}
minor=${minor%%.*}
[ "$major" -gt "${NODE_MIN%.*}" ] || { [ "$major" -eq "${NODE_MIN%.*}" ] && [ "$minor" -ge "${NODE_MIN#*.}" ]; } ||
	die "$node is Node $version; srcroute needs Node >= $NODE_MIN (Debian 12 ships 18.19: apt install nodejs)"

# ---- the bundle: prebuilt in a release, built once in a clone ----------------------------------
if [ ! -f "$here/dist/srcroute.cjs" ] || [ ! -f "$here/dist/hook.cjs" ]; then
	if $dry; then
		printf '%s: would build dist/ in %s (npm ci, npm run build), then run srcroute %s\n' "$PROG" "$here" "$cmd"
		exit 0
	fi
	command -v npm >/dev/null 2>&1 || die "dist/ is missing and npm is not installed: use a release tarball (dist/ prebuilt), or install npm to build it"
	[ -d "$here/node_modules" ] || (cd "$here" && npm ci >&2) || die "npm ci failed (see above)"
	(cd "$here" && npm run build >&2) || die "npm run build failed (see above)"
fi

[ "$cmd" = uninstall ] || set -- --node "$node" "$@"
SRCROUTE_INSTALLER=$PROG "$node" "$here/dist/srcroute.cjs" "$cmd" "$@" || exit 1
