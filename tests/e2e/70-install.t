#!/bin/bash
# make install / make uninstall into a DESTDIR: the exact list of files,
# their modes and contents, every directory variable honoured, nothing
# written outside DESTDIR, and uninstall removing exactly what install put
# down.  make runs in a copy of the built tree, so the tree under test is
# never touched (install regenerates the service unit for its BINDIR).
. "$(dirname "$0")/lib.sh"

[ -x "$SKAGENT" ] || bail "no $SKAGENT: run make"
SRC=$T/src
mkdir "$SRC"
tar -C "$TOP" --exclude=.git --exclude=./tests/e2e/work -cf - . | tar -C "$SRC" -xf - ||
	bail "cannot copy the tree"

# The programs this tree has: the agent and one per tools/*.c.
progs="skagent"
for c in "$TOP"/tools/*.c; do
	progs="$progs $(basename "$c" .c)"
done
case " $progs " in
*" agent-keygen "*) ;;
*) diag "agent-keygen is not on this branch yet: not expected in the install" ;;
esac
# Programs only skagent runs: beside it, with no page and no completion.
helpers=
[ -f "$TOP/agent/sk-helper.c" ] && helpers="skagent-sk-helper"

# make runs where every mount but $T is read-only (a private mount
# namespace; unshare -r works for root and, with user namespaces, for
# others), so a write outside DESTDIR fails the install.  Where that cannot
# be had, the system directories are searched for anything newer instead.
SANDBOX=
# shellcheck disable=SC2016
RO='t=$1; shift
	mount --bind "$t" "$t" || exit 97
	findmnt -rno TARGET | while read -r m; do
		case $m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$t") continue ;; esac
		mount -o remount,bind,ro "$m" 2>/dev/null || echo "$m"
	done >"$t/rw-mounts"
	exec "$@"'
if unshare -rm true 2>/dev/null && command -v findmnt >/dev/null 2>&1; then
	SANDBOX=1
	unshare -rm sh -c "$RO" sh "$T" sh -c 'touch "$1/canary" 2>/dev/null' sh "$TOP"
	ok "the sandbox refuses a write outside \$T" test ! -e "$TOP/canary"
	rm -f "$TOP/canary"
	unshare -rm sh -c "$RO" sh "$T" touch "$T/canary"
	ok "and allows one inside" test -e "$T/canary"
	is "no mount was left writable" "$(cat "$T/rw-mounts")" ""
else
	diag "no private mount namespace here: writes outside DESTDIR are searched for instead"
fi
run_make() {	# LOG TARGET VAR=VALUE...: make in the copy
	local log=$1
	shift
	if [ -n "$SANDBOX" ]; then
		unshare -rm sh -c "$RO" sh "$T" \
			make -s --no-print-directory -C "$SRC" "$@" >"$log" 2>&1
	else
		make -s --no-print-directory -C "$SRC" "$@" >"$log" 2>&1
	fi
}
listing() {	# DESTDIR: "mode path" of every file and link under it
	(cd "$1" && find . \( -type f -o -type l \) -printf '%m %P\n' | LC_ALL=C sort)
}
expect() {	# "mode path"... sorted like listing
	printf '%s\n' "$@" | LC_ALL=C sort
}

# 1. Every directory given: the exact list.
D=$T/dest1
dirs1="PREFIX=/usr BINDIR=/usr/bin MANDIR=/usr/share/man
	UDEVRULESDIR=/usr/lib/udev/rules.d SYSTEMDUSERUNITDIR=/usr/lib/systemd/user
	ENVIRONMENTDDIR=/usr/lib/environment.d
	BASHCOMPDIR=/usr/share/bash-completion/completions
	WITH_UDEV=yes WITH_SYSTEMDUNITS=yes WITH_BASHCOMPLETION=yes"
stamp=$T/stamp
touch "$stamp"
[ -n "$SANDBOX" ] || sleep 1	# find -newer: whole seconds on some filesystems
# shellcheck disable=SC2086
run_make "$T/install1.log" install DESTDIR="$D" $dirs1
ok "make install DESTDIR=... succeeds${SANDBOX:+, every mount but \$T read-only}" \
	test $? -eq 0 || diag_file "$T/install1.log"
want=()
for p in $progs; do
	want+=("755 usr/bin/$p" "644 usr/share/man/man1/$p.1"
		"644 usr/share/bash-completion/completions/$p")
done
for h in $helpers; do
	want+=("755 usr/bin/$h")
done
want+=("644 usr/lib/udev/rules.d/70-skagent-fido.rules"
	"644 usr/lib/systemd/user/skagent.socket"
	"644 usr/lib/systemd/user/skagent.service"
	"644 usr/lib/environment.d/60-skagent.conf")
is "the exact files and modes (0755 programs, 0644 the rest)" \
	"$(listing "$D")" "$(expect "${want[@]}")"
ok "the software token is not installed" test ! -e "$D/usr/bin/softtoken"
for p in $progs; do
	if [ "$p" = skagent ]; then b=$TOP/agent/skagent; else b=$TOP/tools/$p; fi
	ok "$p is the program built" cmp -s "$b" "$D/usr/bin/$p"
	ok "$p.1 is its page" cmp -s "${b}.1" "$D/usr/share/man/man1/$p.1"
	ok "completion for $p" cmp -s "$TOP/completion/$p" \
		"$D/usr/share/bash-completion/completions/$p"
done
for h in $helpers; do
	ok "$h is the program built, next to skagent" cmp -s "$TOP/agent/$h" "$D/usr/bin/$h"
done
ok "the rules are udev/'s" cmp -s "$TOP/udev/70-skagent-fido.rules" \
	"$D/usr/lib/udev/rules.d/70-skagent-fido.rules"
ok "the socket unit is systemd/'s" cmp -s "$TOP/systemd/skagent.socket" \
	"$D/usr/lib/systemd/user/skagent.socket"
ok "the environment.d snippet is systemd/'s" cmp -s "$TOP/systemd/60-skagent.conf" \
	"$D/usr/lib/environment.d/60-skagent.conf"
is "the service runs BINDIR's skagent" \
	"$(sed -n 's/^ExecStart=//p' "$D/usr/lib/systemd/user/skagent.service")" \
	"/usr/bin/skagent -D"
is "and is otherwise the template" \
	"$(sed 's|@BINDIR@|/usr/bin|g' "$TOP/systemd/skagent.service.in")" \
	"$(cat "$D/usr/lib/systemd/user/skagent.service")"
if [ -z "$SANDBOX" ]; then
	is "nothing in the system directories is newer than the install" \
		"$(find /usr /etc /lib /opt -xdev -newer "$stamp" -print 2>/dev/null | head -n 5)" ""
fi

# Uninstall with the same variables: exactly those files go; what was
# there before install, in the same directories, stays.
echo other >"$D/usr/bin/other-program"
echo other >"$D/usr/lib/systemd/user/other.service"
echo other >"$D/usr/share/bash-completion/completions/other"
# shellcheck disable=SC2086
run_make "$T/uninstall1.log" uninstall DESTDIR="$D" $dirs1
ok "make uninstall succeeds${SANDBOX:+, every mount but \$T read-only}" \
	test $? -eq 0 || diag_file "$T/uninstall1.log"
is "only the files uninstall did not put down are left" "$(listing "$D")" \
	"$(expect "644 usr/bin/other-program" "644 usr/lib/systemd/user/other.service" \
		"644 usr/share/bash-completion/completions/other")"
# shellcheck disable=SC2086
run_make "$T/uninstall1b.log" uninstall DESTDIR="$D" $dirs1
ok "a second uninstall is harmless" test $? -eq 0

# The sandbox catches a stray write: an install without DESTDIR, aimed at
# the tree under test, fails in it.
if [ -n "$SANDBOX" ]; then
	run_make "$T/stray.log" install PREFIX="$TOP/canary-prefix" \
		WITH_UDEV=no WITH_SYSTEMDUNITS=no WITH_BASHCOMPLETION=no
	st=$?
	ok "a write outside DESTDIR fails the install here" \
		test "$st" -ne 0 -a ! -e "$TOP/canary-prefix"
	like "with a read-only file system error" "$(cat "$T/stray.log")" "Read-only file system"
	rm -rf "$TOP/canary-prefix"
fi

# 2. PREFIX alone: the other directories follow it, or pkg-config.
D=$T/dest2
run_make "$T/install2.log" install DESTDIR="$D" PREFIX=/opt/sk \
	WITH_UDEV=yes WITH_SYSTEMDUNITS=yes WITH_BASHCOMPLETION=yes
ok "make install PREFIX=/opt/sk" test $? -eq 0 || diag_file "$T/install2.log"
pcvar() {	# VAR PKG FALLBACK [pkg-config options]
	local v
	v=$(pkg-config ${4:+"$4"} --variable="$1" "$2" 2>/dev/null)
	echo "${v:-$3}"
}
udev=$(pcvar udevdir udev /usr/lib/udev)/rules.d
units=$(pcvar systemduserunitdir systemd /opt/sk/lib/systemd/user --define-variable=prefix=/opt/sk)
comp=$(pcvar completionsdir bash-completion /opt/sk/share/bash-completion/completions --define-variable=prefix=/opt/sk)
diag "PREFIX=/opt/sk: units in $units, completions in $comp, rules in $udev"
want=()
for p in $progs; do
	want+=("755 opt/sk/bin/$p" "644 opt/sk/share/man/man1/$p.1" "644 ${comp#/}/$p")
done
for h in $helpers; do
	want+=("755 opt/sk/bin/$h")
done
want+=("644 ${udev#/}/70-skagent-fido.rules" "644 ${units#/}/skagent.socket"
	"644 ${units#/}/skagent.service" "644 opt/sk/lib/environment.d/60-skagent.conf")
is "files where PREFIX and pkg-config say" "$(listing "$D")" "$(expect "${want[@]}")"
is "the service runs /opt/sk/bin/skagent" \
	"$(sed -n 's/^ExecStart=//p' "$D/${units#/}/skagent.service")" "/opt/sk/bin/skagent -D"
run_make "$T/uninstall2.log" uninstall DESTDIR="$D" PREFIX=/opt/sk \
	WITH_UDEV=yes WITH_SYSTEMDUNITS=yes WITH_BASHCOMPLETION=yes
is "make uninstall PREFIX=/opt/sk leaves no file" "$(listing "$D")" ""

# 3. No optional part: programs and pages only.
D=$T/dest3
run_make "$T/install3.log" install DESTDIR="$D" PREFIX=/usr \
	WITH_UDEV=no WITH_SYSTEMDUNITS=no WITH_BASHCOMPLETION=no
want=()
for p in $progs; do
	want+=("755 usr/bin/$p" "644 usr/share/man/man1/$p.1")
done
for h in $helpers; do
	want+=("755 usr/bin/$h")
done
is "WITH_*=no: programs and man pages only" "$(listing "$D")" "$(expect "${want[@]}")"

# 4. Left to itself, make decides from this system: each optional part is
# installed exactly when its directory is known here.
D=$T/dest4
run_make "$T/install4.log" install DESTDIR="$D" PREFIX=/usr
ok "make install with nothing but DESTDIR and PREFIX" test $? -eq 0 || diag_file "$T/install4.log"
known() {	# PKG DIR...: pkg-config knows PKG or a DIR exists
	pkg-config --exists "$1" 2>/dev/null && return 0
	shift
	for d in "$@"; do [ -d "$d" ] && return 0; done
	return 1
}
has_any() {	# PATTERN: a file under $D matches
	listing "$D" | grep -q "$1"
}
if known udev /usr/lib/udev/rules.d /lib/udev/rules.d; then w=yes; else w=no; fi
is "udev rules installed: $w, as this system has udev: $w" \
	"$(has_any 70-skagent-fido.rules && echo yes || echo no)" "$w"
if known systemd /usr/lib/systemd/user /lib/systemd/user; then w=yes; else w=no; fi
is "user units installed: $w, as this system has systemd: $w" \
	"$(has_any skagent.socket && echo yes || echo no)" "$w"
if known bash-completion /usr/share/bash-completion/completions; then w=yes; else w=no; fi
is "completions installed: $w, as this system has bash-completion: $w" \
	"$(has_any bash-completion/completions/skagent && echo yes || echo no)" "$w"
run_make "$T/uninstall4.log" uninstall DESTDIR="$D" PREFIX=/usr
is "and make uninstall takes it all back" "$(listing "$D")" ""

done_testing
