#!/bin/sh
# The boot test's agent in the guest (test/boot/vm.ts is the other end): a systemd unit starts it,
# it reads requests from the virtio-serial port srbt.agent, one a line:
#   ID TIMEOUT BASE64-SCRIPT
# runs the script with sh (stdin /dev/null, killed after TIMEOUT seconds) and answers on one line:
#   R ID EXIT-CODE .BASE64-STDOUT .BASE64-STDERR
# (the dots keep an empty output a field). Nothing else: no login, no network, no ssh.
set -u
port=/dev/virtio-ports/srbt.agent
work=/run/srbt-agent
mkdir -p "$work"
while [ ! -e "$port" ]; do sleep 1; done
exec 3<>"$port"
while IFS=' ' read -r id secs script <&3; do
	case "$id" in '' | *[!0-9]*) continue ;; esac
	case "$secs" in '' | *[!0-9]*) secs=60 ;; esac
	if printf '%s' "$script" | base64 -d >"$work/cmd.sh" 2>"$work/err"; then
		timeout -k 5 "$secs" sh "$work/cmd.sh" </dev/null >"$work/out" 2>"$work/err"
		rc=$?
	else
		: >"$work/out"
		rc=125
	fi
	printf 'R %s %s .%s .%s\n' "$id" "$rc" "$(base64 -w 0 "$work/out")" "$(base64 -w 0 "$work/err")" >&3
done
