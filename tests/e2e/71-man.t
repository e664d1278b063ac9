#!/bin/bash
# Man pages: every program has one, mandoc -Tlint finds nothing at warning
# level, and the page and the program's --help name the same options
# (tests/lint/man-options.pl, itself tested on pages and help texts made to
# disagree).  A program not on this branch yet is skipped, and says so.
. "$(dirname "$0")/lib.sh"

CHECK=$TOP/tests/lint/man-options.pl
command -v mandoc >/dev/null 2>&1 || bail "no mandoc: run make check (scripts/deps)"

for page in "$TOP"/agent/*.1 "$TOP"/tools/*.1; do
	[ -f "$page" ] || continue
	name=$(basename "$page" .1)
	ok "$name.1: mandoc -Tlint clean" mandoc -Tlint -Wwarning "$page"
	upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
	ok "$name.1: .Dt $upper 1 and .Nm $name" \
		sh -c 'grep -qx ".Dt $1 1" "$3" && grep -qx ".Nm $2" "$3"' sh "$upper" "$name" "$page"
done

# Every program make builds, and the ones due on other branches.
progs="$TOP/agent/skagent"
for c in "$TOP"/tools/*.c; do
	progs="$progs ${c%.c}"
done
case " $progs " in
*/agent-keygen" "*) ;;
*) progs="$progs $TOP/tools/agent-keygen" ;;
esac
for prog in $progs; do
	name=$(basename "$prog")
	if [ ! -f "$prog.c" ] && [ "$name" != skagent ]; then
		skip "$name is not on this branch yet: its page is checked once it is"
		continue
	fi
	[ -x "$prog" ] || bail "no $prog: run make"
	ok "$name has a man page" test -f "$prog.1" || continue
	"$prog" --help >"$T/$name.help" 2>&1
	is "$name --help exits 0" "$?" 0
	ok "$name: --help and $name.1 name the same options" \
		"$CHECK" "$T/$name.help" "$prog.1"
done

# The checker itself, on a made-up program whose help and page agree (so a
# real program drifting fails above, not here): each kind of disagreement
# must fail it.
cat >"$T/help" <<'EOF'
usage: demo [-c | -s] [-Dd] [-a path] [--token spec] file
       demo -k | --help
  -a path   where
  -c, -s    shells
  -D, -d    foreground, debug
  -k        kill (see -a); values: ed25519-sk, no-touch-required
  --token   a key
  -h, --help  this help
EOF
cat >"$T/demo.1" <<'EOF'
.Dd November 26, 2025
.Dt DEMO 1
.Os
.Sh NAME
.Nm demo
.Nd a made-up program
.Sh SYNOPSIS
.Nm
.Op Fl c | Fl s
.Op Fl \&Dd
.Op Fl a Ar path
.Op Fl -token Ar spec
.Ar file
.Nm
.Fl k | Fl -help
.Sh DESCRIPTION
Without
.Fl a ,
here.
.Bl -tag -width Ds
.It Fl a Ar path
Where.
.It Fl c , Fl s
Shells.
.It Fl D
Foreground.
.It Fl d
Debug.
.It Fl h , Fl -help
Help.
.It Fl k
Kill.
.It Fl -token Ar spec
A key.
.El
EOF
ok "checker: the made-up page is good mdoc" mandoc -Tlint -Wwarning "$T/demo.1"
ok "checker: agreeing pair passes" "$CHECK" "$T/help" "$T/demo.1"
is "checker: reads clusters, long options, | and , lists; not ed25519-sk" \
	"$("$CHECK" --list "$T/help" | tr '\n' ' ')" "--help --token -D -a -c -d -h -k -s "
mismatch() {	# DESCRIPTION HELP PAGE MESSAGE-REGEX
	local out
	if out=$("$CHECK" "$2" "$3" 2>&1); then
		_tap_result 1 "checker fails when $1"
	else
		like "checker fails when $1" "$out" "$4"
	fi
}
{ cat "$T/help"; echo "  -Z        a new option"; } >"$T/help-Z"
mismatch "--help gains -Z" "$T/help-Z" "$T/demo.1" "no entry for -Z "
{ cat "$T/help"; echo "  --frobnicate  a new long option"; } >"$T/help-long"
mismatch "--help gains --frobnicate" "$T/help-long" "$T/demo.1" "no entry for --frobnicate "
sed 's/^\.It Fl k$/.It Fl k\nKill.\n.It Fl Y\nA new option./' "$T/demo.1" >"$T/demo-Y.1"
mismatch "the page gains -Y in its list" "$T/help" "$T/demo-Y.1" "names -Y "
sed 's/^\.Ar file$/.Op Fl -gone\n.Ar file/' "$T/demo.1" >"$T/demo-syn.1"
mismatch "the page's synopsis gains --gone" "$T/help" "$T/demo-syn.1" "names --gone "
sed 's/^Without$/Without\n.Fl q/' "$T/demo.1" >"$T/demo-prose.1"
mismatch "the page's prose names -q" "$T/help" "$T/demo-prose.1" "names -q "
sed '/^\.It Fl k$/d' "$T/demo.1" >"$T/demo-nok.1"
mismatch "the page describes -k nowhere but the synopsis" "$T/help" "$T/demo-nok.1" "no entry for -k "
sed 's/\[-Dd\]/[-D]/; s/-D, -d /-D     /' "$T/help" >"$T/help-nod"
mismatch "--help loses -d from a cluster" "$T/help-nod" "$T/demo.1" "names -d "
"$COPYID" --help >"$T/copyid-help" 2>&1
mismatch "the pair is another program's" "$T/copyid-help" "$T/demo.1" "no entry for .*-i"
: >"$T/empty-help"
mismatch "--help says nothing" "$T/empty-help" "$T/demo.1" "names|no options"

done_testing
