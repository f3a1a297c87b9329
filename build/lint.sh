#!/bin/sh
# lint.sh: `sh -n` (bash -n for bash scripts) and shellcheck on every shell file of the repo, no line over
# 120 characters in src/ and build/ (a longer one is read by scrolling sideways), and no function over 60
# lines in src/ (one that fits a screen is read at once).
# `npm run lint` runs it. Without shellcheck it skips that part with a note, except under CI=true,
# where a missing shellcheck fails the lint. It lives in build/: hooks/ holds only what install.sh
# installs.
set -u
cd "$(dirname "$0")/.." || exit 1

# The shell files: the hooks, the examples of docs/, the installer, the .deb's maintainer scripts, the recorder and CI
# scripts, and any other *.sh.
files=$(
	{
		ls hooks/* docs/examples/* install.sh build/debian/postinst build/debian/prerm build/debian/postrm .ci/run \
			test/fixtures/record/*.sh 2>/dev/null
		find . -name node_modules -prune -o -name .git -prune -o -type f -name '*.sh' -print | sed 's|^\./||'
	} | sort -u
)
status=0
for f in $files; do
	[ -f "$f" ] || continue
	case $(head -n 1 "$f") in
	*bash*) shell='bash' ;;
	*) shell='sh' ;;
	esac
	$shell -n "$f" || { echo "lint.sh: $shell -n failed: $f" >&2; status=1; }
done
# The dhclient shim is installed as hooks/dhclient-exit-hook followed by hooks/dhcpcd.exit-hook.
cat hooks/dhclient-exit-hook hooks/dhcpcd.exit-hook | sh -n ||
	{ echo "lint.sh: sh -n failed: the dhclient shim" >&2; status=1; }

# Characters, not bytes: C.UTF-8 is in every glibc since 2.35 (Debian 12), and grep takes a missing locale as C.
long=$(LC_ALL=C.UTF-8 grep -rnE '^.{121,}' src build | cut -d: -f1,2)
if [ -n "$long" ]; then
	echo "$long" | sed 's/$/: line over 120 characters: break it (a long string: pieces joined with +)/' >&2
	status=1
fi

# No function over 60 lines in src/ (build/function-lengths.mjs; --max 40 lists the ones to split next).
node build/function-lengths.mjs --max 60 --fail src || status=1

if command -v shellcheck >/dev/null 2>&1; then
	# shellcheck disable=SC2086 # one word per file: no file name has a space
	shellcheck -x $files || status=1
elif [ "${CI-}" = true ]; then
	echo "lint.sh: shellcheck is not installed (required under CI=true)" >&2
	status=1
else
	echo "lint.sh: shellcheck is not installed: skipped it (sh -n only); apt install shellcheck" >&2
fi
[ "$status" = 0 ] && echo "lint.sh: $(echo "$files" | wc -l) shell files OK"
exit "$status"
