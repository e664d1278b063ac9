#!/bin/bash
# make install / make uninstall into a DESTDIR: the exact list of files,
# their modes and contents, every directory variable honoured, nothing
# written outside DESTDIR, nothing outside PREFIX but the udev rules (with
# this system's bash-completion and systemd), the helpers in
# LIBEXECDIR/skagent where the installed agent finds them, and uninstall
# removing exactly what install put down.  make runs in a copy of the built tree, so the tree under test is
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
# Programs only skagent runs: in LIBEXECDIR/skagent, no page, no completion.
helpers=
[ -f "$TOP/agent/sk-helper.c" ] && helpers="skagent-sk-helper"
[ -f "$TOP/agent/pkcs11-helper.c" ] && helpers="$helpers skagent-pkcs11-helper"

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
# install rebuilds what LIBEXECDIR is compiled into: as the tree was built
BUILT=
ldd "$TOP/agent/skagent" 2>/dev/null | grep -q libasan && BUILT=SANITIZE=1
run_make() {	# LOG TARGET VAR=VALUE...: make in the copy
	local log=$1
	shift
	if [ -n "$SANDBOX" ]; then
		unshare -rm sh -c "$RO" sh "$T" \
			make -s --no-print-directory -C "$SRC" $BUILT "$@" >"$log" 2>&1
	else
		make -s --no-print-directory -C "$SRC" $BUILT "$@" >"$log" 2>&1
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
dirs1="PREFIX=/usr BINDIR=/usr/bin MANDIR=/usr/share/man LIBEXECDIR=/usr/libexec
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
	want+=("755 usr/libexec/skagent/$h")
done
want+=("644 usr/lib/udev/rules.d/70-skagent-fido.rules"
	"644 usr/lib/systemd/user/skagent.socket"
	"644 usr/lib/systemd/user/skagent.service"
	"644 usr/lib/environment.d/60-skagent.conf")
is "the exact files and modes (0755 programs, 0644 the rest)" \
	"$(listing "$D")" "$(expect "${want[@]}")"
ok "the software token is not installed" test ! -e "$D/usr/bin/softtoken"
for p in $progs; do
	# built in the copy: skagent for this LIBEXECDIR
	if [ "$p" = skagent ]; then b=$SRC/agent/skagent; else b=$SRC/tools/$p; fi
	ok "$p is the program built" cmp -s "$b" "$D/usr/bin/$p"
	ok "$p.1 is its page" cmp -s "${b}.1" "$D/usr/share/man/man1/$p.1"
	ok "completion for $p" cmp -s "$TOP/completion/$p" \
		"$D/usr/share/bash-completion/completions/$p"
done
for h in $helpers; do
	ok "$h is the program built, in LIBEXECDIR/skagent" \
		cmp -s "$SRC/agent/$h" "$D/usr/libexec/skagent/$h"
done
ok "skagent looks for its helpers in /usr/libexec/skagent" \
	grep -qa '/usr/libexec/skagent' "$D/usr/bin/skagent"
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
ok "and LIBEXECDIR/skagent is gone" test ! -e "$D/usr/libexec/skagent"
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
units=/opt/sk/lib/systemd/user
comp=/opt/sk/share/bash-completion/completions
want=()
for p in $progs; do
	want+=("755 opt/sk/bin/$p" "644 opt/sk/share/man/man1/$p.1" "644 ${comp#/}/$p")
done
for h in $helpers; do
	want+=("755 opt/sk/libexec/skagent/$h")
done
want+=("644 ${udev#/}/70-skagent-fido.rules" "644 ${units#/}/skagent.socket"
	"644 ${units#/}/skagent.service" "644 opt/sk/lib/environment.d/60-skagent.conf")
is "files under PREFIX, the rules where udev reads them" "$(listing "$D")" "$(expect "${want[@]}")"
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
	want+=("755 usr/libexec/skagent/$h")
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

# 5. PREFIX=/usr/local, everything else left to make, on this system (which
# has bash-completion and systemd: their pkg-config files name /usr/share
# and /usr/lib): nothing outside PREFIX but the udev rules.
D=$T/dest5
run_make "$T/install5.log" install DESTDIR="$D" PREFIX=/usr/local
ok "make install PREFIX=/usr/local" test $? -eq 0 || diag_file "$T/install5.log"
is "no file outside /usr/local but the udev rules" \
	"$(listing "$D" | cut -d' ' -f2 | grep -v -e '^usr/local/' -e "^${udev#/}/70-skagent-fido.rules\$")" ""
if known bash-completion /usr/share/bash-completion/completions; then
	ok "  the completions are there, under PREFIX" \
		test -f "$D/usr/local/share/bash-completion/completions/skagent"
else
	skip "no bash-completion here"
fi
run_make "$T/uninstall5.log" uninstall DESTDIR="$D" PREFIX=/usr/local
is "make uninstall leaves no file" "$(listing "$D")" ""
is "  nor a directory of ours" "$(cd "$D" && find . -name 'skagent*')" ""

# 6. The installed agent finds skagent-sk-helper in LIBEXECDIR/skagent
# (nothing beside it in BINDIR, no SKAGENT_SK_HELPER): ssh-add -S, then a
# signature through the helper and the test provider.
PROV=$TOP/tests/sk-provider/libsk-softtoken.so
if [ -n "$helpers" ] && [ -f "$PROV" ] && [ -x "$SOFTTOKEN" ]; then
	P=$T/prefix
	run_make "$T/install6.log" install PREFIX="$P" \
		WITH_UDEV=no WITH_SYSTEMDUNITS=no WITH_BASHCOMPLETION=no
	ok "make install PREFIX=$P" test $? -eq 0 || diag_file "$T/install6.log"
	ok "  the helper is in libexec/skagent, not in bin" \
		test -x "$P/libexec/skagent/skagent-sk-helper" -a ! -e "$P/bin/skagent-sk-helper"
	start_token one
	export SKA_SOFTTOKEN=$T/one.tok
	ssh-keygen -q -w "$PROV" -t ed25519-sk -N '' -C helper -f "$T/sk" </dev/null ||
		bail "ssh-keygen -w"
	SKAGENT=$P/bin/skagent
	unset SKAGENT_SK_HELPER
	start_agent -P "$PROV"
	ok "  ssh-add -S gives the installed agent the key" \
		ssh-add -q -S "$PROV" "$T/sk" </dev/null
	ok "  which signs through the installed helper" ssh-add -T "$T/sk.pub"
	stop_agent
else
	skip "no skagent-sk-helper, provider or softtoken built"
fi

done_testing
