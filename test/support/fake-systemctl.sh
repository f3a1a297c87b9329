#!/bin/bash
# The labs' systemctl (systemd is not PID 1 on the test machines): installed as
# /usr/local/sbin/systemctl inside a lab's sandbox, it logs every call to /run/lab-systemctl.log
# and does what systemd would do with srcroute's template units, from the unit file itself:
#   enable [--now] U    the [Install] WantedBy= link (specifiers expanded), then start
#   disable [--now] U   remove it (and its .wants directory once empty), then stop
#   start U / stop U    ExecStart= / ExecStop= with %i %I expanded (--no-block: in the background),
#                       ($$ as one dollar sign, MAINPID set), without ExecStop= SIGTERM to the main PID and a wait
#                       for its exit (TimeoutStopSec, 90 s), inside the unit's sandbox:
#                       ProtectSystem=full (/usr /boot /etc read-only), ProtectHome=read-only,
#                       PrivateTmp=yes (fresh /tmp, /var/tmp). Any other [Service] setting it
#                       cannot emulate makes it fail loudly, so the unit and this stay honest.
#   restart U           stop U, then start U (both waited for)
#   kill --kill-whom=main --signal=SIG U   SIG to the main PID of an active U (else exit 1)
#   is-enabled / is-active / is-failed   "no" (exit 1): no other unit runs here
# Everything else (daemon-reload, try-restart systemd-networkd.service, any unit that is not a
# template) is only logged: the test
# acts as systemd for the daemons it runs itself.
set -eu
echo "$*" >>/run/lab-systemctl.log
verb='' now=false block=true units='' signal=TERM
for a in "$@"; do
	case $a in
	--now) now=true ;;
	--no-block) block=false ;;
	--signal=*) signal=${a#--signal=} signal=${signal#SIG} ;;
	--kill-whom=main) ;;
	-*) ;;
	*) if [ -z "$verb" ]; then verb=$a; else units="$units $a"; fi ;;
	esac
done

template() { echo "/etc/systemd/system/${1%%@*}@.service"; }
instance() { i=${1#*@}; echo "${i%.service}"; }
# The value of KEY in the unit file, specifiers expanded for instance $2.
setting() {
	raw=$(instance "$2")
	unesc=$(printf '%s' "$raw" | sed 's/\\x2d/-/g')
	sed -n "s/^$1=//p" "$(template "$2")" | sed "s/%i/$(printf '%s' "$raw" | sed 's/\\/\\\\\\\\/g')/g; s/%I/$unesc/g"
}

sandboxed() { # UNIT CMD: run CMD as the unit's service would run it
	cmd=$2 file=$(template "$1")
	setup='' && set -f
	for line in $(sed -n '/^\[Service\]/,/^\[/{/=/p}' "$file" | tr ' ' '\001'); do
		key=${line%%=*} value=$(printf '%s' "${line#*=}" | tr '\001' ' ')
		case $key=$value in
		Type=forking | PIDFile=* | ExecStart=* | ExecStop=* | Restart=* | KillMode=mixed) ;;
		ProtectSystem=full) setup="$setup; ro_mount /usr /boot /etc" ;;
		ProtectHome=read-only) setup="$setup; ro_mount /home /root /run/user" ;;
		PrivateTmp=yes) setup="$setup; mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /var/tmp" ;;
		ProtectKernelModules=yes | ProtectControlGroups=yes) ;; # nothing to emulate: no module loading, no cgroup writes here
		*) echo "fake systemctl: cannot emulate $key=$value in $file" >&2; exit 1 ;;
		esac
	done
	# shellcheck disable=SC2016 # a function for the inner sh
	# ro_mount DIR...: each one and every mount below it read-only, as systemd makes them
	ro_mount='ro_mount() { for d; do [ -d "$d" ] || continue; mount --rbind "$d" "$d"; findmnt -rno TARGET -R "$d" | while read -r m; do mount -o remount,bind,ro "$m"; done; done; }'
	exec unshare --mount --propagation private sh -c "set -e; $ro_mount$setup; exec $cmd"
}

case $verb in is-enabled | is-active | is-failed) exit 1 ;; esac
# A start or stop job as systemd runs it: one at a time per unit, in the order they were queued
# (each call takes a ticket at once, and its job waits for the one before: two --no-block jobs
# racing for a lock ran in either order, and a `nmcli connection up` of an active connection,
# the dispatcher's stop then start, left dhcpcd stopped under load); start on an active unit and
# stop on an inactive one do nothing; a stop ends with every process the unit started gone
# (systemd kills what is left in the unit's cgroup: here, the processes of the PIDFile's session,
# which a forking dhcpcd and its helpers share).
ticket() {
	mkdir -p /run/lab-units
	exec 8>>"/run/lab-units/$1.queue"
	flock 8
	n=$(($(cat "/run/lab-units/$1.queued" 2>/dev/null || echo 0) + 1))
	echo "$n" >"/run/lab-units/$1.queued"
	exec 8>&-
	echo "$n"
}

job() { # VERB UNIT TICKET
	state=/run/lab-units/$2
	for _ in $(seq 1200); do [ "$(cat "$state.done" 2>/dev/null || echo 0)" -ge $(($3 - 1)) ] && break; sleep 0.05; done
	rc=0
	run_job "$1" "$2" || rc=$?
	echo "$3" >"$state.done"
	return "$rc"
}

run_job() {
	state=/run/lab-units/$2
	exec 9>>"$state.lock"
	flock 9
	if [ "$1" = start ]; then
		[ -e "$state.active" ] && return 0
		# After= and BindsTo= the device: the job waits for it (systemd: up to its device timeout)
		dev=$(setting BindsTo "$2" | sed -n 's/^sys-subsystem-net-devices-\(.*\)\.device$/\1/p' | sed 's/\\x2d/-/g')
		for _ in $(seq 300); do [ -z "$dev" ] || ip link show dev "$dev" >/dev/null 2>&1 && break; sleep 0.1; done
		(sandboxed "$2" "$(setting ExecStart "$2")" 9>&-) || return 1 # the daemon must not hold the lock
		pidfile=$(setting PIDFile "$2")
		for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
		cat "$pidfile" >"$state.active"
	else
		[ -e "$state.active" ] || return 0
		main=$(cat "$state.active")
		sid=$(ps -o sid= -p "$main" 2>/dev/null | tr -d ' ')
		stop=$(setting ExecStop "$2")
		# systemd's $$ is a dollar sign; it sets MAINPID for ExecStop
		stop=$(printf '%s' "$stop" | sed 's/\$\$/$/g')
		if [ -n "$stop" ]; then (export MAINPID="$main"; sandboxed "$2" "$stop" 9>&-) || :; else kill -TERM "$main" 2>/dev/null || :; fi
		for _ in $(seq 900); do kill -0 "$main" 2>/dev/null || break; sleep 0.1; done
		[ -z "$sid" ] || pkill -KILL -s "$sid" 2>/dev/null || :
		rm -f "$state.active"
	fi
}

detached() {
	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec </dev/null >>/run/lab-systemctl.log 2>&1
	"$@"
}

for u in $units; do
	# a unit that is not one of srcroute's templates (srcroute-heal.timer and .service) is only
	# logged: the labs run heal themselves where they test it (test/integration/heal.test.ts)
	case $u in *@*) ;; *) continue ;; esac
	case $verb in
	enable | disable)
		for w in $(setting WantedBy "$u"); do
			link=/etc/systemd/system/$w.wants/$u
			if [ "$verb" = enable ]; then mkdir -p "$(dirname "$link")" && ln -sf "$(template "$u")" "$link"; else rm -f "$link"; rmdir "$(dirname "$link")" 2>/dev/null || :; fi
		done
		if $now; then if [ "$verb" = enable ]; then "$0" start "$u"; else "$0" stop "$u"; fi; fi ;;
	start | stop)
		# --no-block: queued, systemctl returns at once. systemd runs the job in its own context:
		# the job inherits none of the caller's descriptors (nm-dispatcher waits for its own).
		t=$(ticket "$u")
		if $block; then job "$verb" "$u" "$t"; else (detached job "$verb" "$u" "$t" &); fi ;;
	restart) "$0" stop "$u" && "$0" start "$u" ;;
	kill) main=$(cat "/run/lab-units/$u.active" 2>/dev/null) && kill -s "$signal" "$main" ;;
	esac
done
