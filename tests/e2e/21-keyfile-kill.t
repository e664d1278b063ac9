#!/bin/bash
# Key files survive a kill at any moment.  agent-keygen is killed (SIGKILL,
# strace's fault injection) just before each system call it makes from its
# first look at the key's directory to its exit, one run per call: making
# a key leaves nothing or whole files and never a temporary; -p and -c
# leave the old file or the new one, and at most a whole temporary (in the
# one rename that replaces the file), which the next write removes.  The
# same on a file system without O_TMPFILE (tests/helpers/no-tmpfile: open
# answers EOPNOTSUPP, as such a file system does), where temporaries are
# named from the start and the next write removes what a kill left.
. "$(dirname "$0")/lib.sh"

# strace counts the program's own system calls: not under valgrind
valgrind_skip "strace counts agent-keygen's own system calls"
command -v strace >/dev/null 2>&1 || bail "no strace: run make check (scripts/deps)"
strace -qq -o /dev/null true 2>/dev/null || { echo "1..0 # skip strace cannot trace here"; exit 0; }
KG=$TOP/tools/agent-keygen
NOTMP=$TOP/tests/helpers/no-tmpfile
[ -x "$KG" ] && [ -x "$NOTMP" ] || bail "run make all-tests"
# LeakSanitizer cannot stop the world under ptrace (SANITIZE=1 builds)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
D=$T/keys
mkdir "$D"

# moments DIR CMD...: "syscall N" for each system call that can change
# what is on disk (a kill before any other call leaves what a kill before
# the next of these does) that CMD makes from its first use of a path in
# DIR on, and its exit; N counts that call's uses from the start, as
# strace's when= does
DISK_CALLS=" openat write fsync fdatasync fchmod ftruncate linkat link rename renameat renameat2 unlink unlinkat exit_group "
moments() {
	local dir=$1
	shift
	strace -f -qq -o "$T/dry.log" "$@" >/dev/null 2>&1 </dev/null
	awk -v dir="$dir" -v calls="$DISK_CALLS" '{
		sub(/^[0-9]+ +/, "")
		if ($0 !~ /^[a-z_0-9]+\(/) next
		name = $0; sub(/\(.*/, "", name)
		n[name]++
		if (!on && name != "execve" && index($0, "\"" dir)) on = 1
		if (on && index(calls, " " name " ")) print name, n[name]
	}' "$T/dry.log"
}

# kill_each SETUP CHECK CMD...: for every moment, SETUP, then CMD killed
# just before that call, then CHECK; sets RUNS, BAD and TEMPS (runs that
# left a temporary, removed by the next write)
kill_each() {
	local setup=$1 check=$2 sc n
	shift 2
	RUNS=0 BAD=0 TEMPS=0
	"$setup"
	moments "$D" "$@" >"$T/moments"
	while read -r sc n; do
		"$setup"
		strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc:signal=SIGKILL:when=$n" "$@" \
			>/dev/null 2>&1 </dev/null
		RUNS=$((RUNS + 1))
		if ! "$check"; then
			BAD=$((BAD + 1))
			diag "killed before $sc #$n: left $(ls -A "$D" | tr '\n' ' ')"
		fi
	done <"$T/moments"
}

temps() { (cd "$D" && ls -A | grep -v -x -e id -e id.pub); }
pubkey() { cut -d' ' -f1,2 "$1"; }
# whole FILE PASS: ssh-keygen reads the private key with PASS
whole() { ssh-keygen -y -P "$2" -f "$1" >"$T/y" 2>/dev/null; }
# the next write of id and id.pub removes what a killed run left: a new
# key, or (one is there) a new comment
next_write_cleans() {
	local p
	if [ -e "$D/id" ]; then
		for p in "" old new; do
			"$KG" -q -c -f "$D/id" -P "$p" -C cleaned </dev/null \
				>/dev/null 2>&1 && break
		done
	else
		rm -f "$D/id.pub"
		"$KG" -q -t ed25519 -f "$D/id" -N '' </dev/null >/dev/null 2>&1
	fi
	[ -z "$(temps)" ]
}

# left_temps [MAX]: counts a run that left temporaries; without O_TMPFILE
# any, else at most MAX (default 0), each a whole key (the rename's
# window); the next write must remove them
left_temps() {
	local t f
	t=$(temps)
	[ -n "$t" ] || return 0
	TEMPS=$((TEMPS + 1))
	if [ -z "$FALLBACK" ]; then
		[ "$(printf '%s\n' "$t" | wc -l)" -le "${1:-0}" ] || return 1
		for f in $t; do
			case $f in
			.id.pub.*) ;;
			*) whole "$D/$f" new || whole "$D/$f" old || return 1 ;;
			esac
		done
	fi
	next_write_cleans
}

# 1. Making a key: nothing, the private key alone, or both; whole.
fresh() { rm -rf "$D" && mkdir "$D"; }
made_whole() {
	if [ -e "$D/id" ]; then
		whole "$D/id" "" || return 1
		[ ! -e "$D/id.pub" ] || [ "$(pubkey "$T/y")" = "$(pubkey "$D/id.pub")" ] ||
			return 1
	elif [ -e "$D/id.pub" ]; then
		return 1
	fi
	left_temps
}
FALLBACK=
kill_each fresh made_whole "$KG" -q -t ed25519 -f "$D/id" -N '' -C kill
ok "making a key, killed before each of its $RUNS calls that change the disk" test "$RUNS" -gt 10
is "  leaves nothing, or whole files and no temporary" "$BAD" 0

# 2. -c (a file replaced: the private key, then the .pub): the old
#    comment or the new one, whole files.
"$KG" -q -t ed25519 -a 1 -f "$T/orig" -N old -C kill </dev/null || bail "agent-keygen"
orig() { rm -rf "$D" && mkdir "$D" && cp -p "$T/orig" "$D/id" && cp -p "$T/orig.pub" "$D/id.pub"; }
old_or_new_comment() {
	whole "$D/id" old || return 1
	[ "$(pubkey "$T/y")" = "$(pubkey "$D/id.pub")" ] || return 1
	case $(cut -d' ' -f3- "$D/id.pub") in
	kill | "new comment") ;;
	*) return 1 ;;
	esac
	left_temps 1
}
kill_each orig old_or_new_comment "$KG" -c -f "$D/id" -P old -C "new comment" -a 1
ok "-c, killed before each of its $RUNS calls that change the disk" test "$RUNS" -gt 10
is "  leaves whole files with the old comment or the new" "$BAD" 0
ok "  a temporary at most in each rename's window ($TEMPS runs)" test "$TEMPS" -le 2

# 3. Without O_TMPFILE: the fallback writes and renames a named temporary.
fresh
strace -f -qq -o "$T/fb.log" -e trace=openat,rename,renameat2,linkat \
	"$NOTMP" "$KG" -q -t ed25519 -f "$D/id" -N '' -C fallback </dev/null >/dev/null 2>&1
is "no O_TMPFILE: the key is made" "$?" 0
like "  open(O_TMPFILE) was refused" "$(cat "$T/fb.log")" "O_TMPFILE.*EOPNOTSUPP"
like "  a named temporary was renamed into place" "$(cat "$T/fb.log")" \
	"renameat2?\(AT_FDCWD, \"$D/\.id\.[0-9]+\.[A-Za-z0-9]{6}\", AT_FDCWD, \"$D/id\""
ok "  the files are whole" whole "$D/id" ""
is "  no temporary left" "$(temps)" ""
FALLBACK=1
kill_each fresh made_whole "$NOTMP" "$KG" -q -t ed25519 -f "$D/id" -N '' -C kill
ok "no O_TMPFILE, making a key killed before each of its $RUNS calls that change the disk" test "$RUNS" -gt 10
is "  leaves whole files; the next write removes the temporaries ($TEMPS runs left one)" \
	"$BAD" 0
ok "  (some runs did leave one)" test "$TEMPS" -gt 0
old_or_new() {
	cmp -s "$D/id.pub" "$T/orig.pub" || return 1
	whole "$D/id" old || whole "$D/id" new || return 1
	left_temps
}
kill_each orig old_or_new "$NOTMP" "$KG" -p -f "$D/id" -P old -N new -a 1
is "no O_TMPFILE, -p killed before each of its $RUNS calls that change the disk: whole files" "$BAD" 0

# 4. The next write removes only dead writers' temporaries, and only
#    temporaries: a live writer's, another name's, a look-alike stay.
fresh
sleep 60 &
live=$!
_bg_pids="$_bg_pids $live"
echo x >"$D/.id.$live.AbC123"
echo x >"$D/.id.999999999.AbC123"
echo x >"$D/.other.1.AbC123"
echo x >"$D/.id.1x.AbC123"
echo x >"$D/.id.2147483647.AbC12"
"$KG" -q -t ed25519 -f "$D/id" -N '' </dev/null >/dev/null 2>&1
is "a live writer's temporary and look-alikes are kept" "$(temps | LC_ALL=C sort)" \
	"$(printf '%s\n' ".id.$live.AbC123" .id.1x.AbC123 .id.2147483647.AbC12 \
		.other.1.AbC123 | LC_ALL=C sort)"
kill "$live"

done_testing
