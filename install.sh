#!/bin/sh
# install.sh: srcroute's installer from a source tree or a release tarball. It finds a node
# (>= NODE_MIN), builds dist/ when it is missing (a release ships dist/ prebuilt: no npm, no
# network then), and hands over to the bundle: `srcroute install` or `srcroute uninstall`
# (src/install/), which checks everything before it writes anything, writes atomically, records
# what it wrote in /usr/local/lib/srcroute/installed.list and gives /etc back byte for byte on
# --uninstall --purge. This script only translates its options and glues; it exits 1 on any
# failure. Run `./install.sh --help` for the options.
set -eu
umask 022

PROG=install.sh
NODE_MIN=18.19

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
	cat <<'EOF'
Usage: sudo ./install.sh [options] IFACE [IFACE ...]
       sudo ./install.sh --parent ETH [--vlan VID] [--stack nm|networkd|ifupdown|dhcpcd] IFACE
       sudo ./install.sh --uninstall [--purge]

Installs srcroute for the macvlan interfaces named (e.g. eth0v0): the `srcroute` command in
/usr/local/sbin, /etc/dhcpcd/IFACE.exit-hook for each (the hooks run node --jitless), a marked
block in /etc/dhcpcd.exit-hook, the dhclient shim and enter hook in /etc/dhcp, the routing
tables (pub = 123, one more per further interface) and protocol 213 in /etc/iproute2,
/etc/srcroute/srcroute.env and IFACE.env (never overwritten), and, when Debian's dhcpcd.service
is installed, a drop-in that lets its hooks write /run/srcroute. Without IFACE it updates the
interfaces already installed. Builds dist/ first when it is missing (npm ci, npm run build).
The same as `srcroute install` / `srcroute uninstall` (srcroute install --help).

Options:
  --uninstall         remove everything install added, srcroute's rules and routes included
  --purge             with --uninstall (implied): also remove /etc/srcroute
  --dry-run           print what would be written, changed or removed; change nothing
  --root DIR          stage every file under DIR (packaging, tests); no kernel change
  --parent ETH        also set up the macvlan on ETH (the modem's link: a port of its own, never
                      the LAN's) in the network stack's own configuration, with its stable MAC,
                      and its DHCP client (see README, Setup)
  --vlan VID          the modem is on VLAN VID (1-4094) of the port ETH the LAN also uses: the
                      stack makes the VLAN ETH.VID, with no address of its own, and the macvlan on it
  --stack STACK       the stack to set up, instead of the one that runs: nm (NetworkManager),
                      networkd (systemd-networkd, netplan), ifupdown, dhcpcd (Debian's dhcpcd.service)
  --configure-dhcpcd  also add the interfaces' stanza to /etc/dhcpcd.conf (a marked block)
  --node PATH         the node to run hooks with (default: `node` on PATH; absolute path kept)
  -h, --help          this text
EOF
}

# ---- arguments: --uninstall picks the command; --node, --dry-run and --root matter here too -----
cmd=install node='' dry=false root=false ifaces=false
n=$#
while [ "$n" -gt 0 ]; do
	a=$1 v=''
	shift
	n=$((n - 1))
	case $a in
	--root | --node | --parent | --vlan | --stack)
		[ "$n" -gt 0 ] || die "$a needs a value (see --help)"
		v=$1 a="$a=$1"
		shift
		n=$((n - 1)) ;;
	--root=* | --node=* | --parent=* | --vlan=* | --stack=*) v=${a#*=} ;;
	esac
	case $a in
	-h | --help) usage; exit 0 ;;
	--uninstall) cmd=uninstall; continue ;;
	--purge) cmd=uninstall ;;
	--dry-run) dry=true ;;
	--root=*) root=true ;;
	--node=*) node=$v; continue ;;
	--configure-dhcpcd | --parent=* | --vlan=* | --stack=*) ;;
	-*) die "unknown option '$a' (see --help)" ;;
	*) ifaces=true ;;
	esac
	set -- "$@" "$a"
done
[ "$cmd" = install ] || ! $ifaces || die "--uninstall removes every interface; it takes no IFACE"
[ "$(id -u)" = 0 ] || $dry || $root || die "must run as root (sudo ./install.sh ...); --dry-run and --root DIR work without"

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
here=$(cd "$(dirname "$0")" && pwd -P)
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
