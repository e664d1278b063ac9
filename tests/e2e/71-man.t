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

# The checker itself: each kind of disagreement must fail it.
"$SKAGENT" --help >"$T/help"
cp "$TOP/agent/skagent.1" "$T/page"
ok "checker: agreeing pair passes" "$CHECK" "$T/help" "$T/page"
mismatch() {	# DESCRIPTION HELP PAGE MESSAGE-REGEX
	local out
	if out=$("$CHECK" "$2" "$3" 2>&1); then
		_tap_result 1 "checker fails when $1"
	else
		like "checker fails when $1" "$out" "$4"
	fi
}
{ cat "$T/help"; echo "  -Z               a new option"; } >"$T/help-Z"
mismatch "--help gains -Z" "$T/help-Z" "$T/page" "no entry for -Z"
{ cat "$T/help"; echo "  --frobnicate     a new long option"; } >"$T/help-long"
mismatch "--help gains --frobnicate" "$T/help-long" "$T/page" "no entry for --frobnicate"
sed 's/^\.It Fl V$/.It Fl V\nPrint the version.\n.It Fl Y\nA new option./' "$T/page" >"$T/page-Y"
mismatch "the page gains -Y in its list" "$T/help" "$T/page-Y" "names -Y"
sed 's/^\.Op Fl t Ar life$/.Op Fl t Ar life\n.Op Fl -gone/' "$T/page" >"$T/page-syn"
mismatch "the page's synopsis gains --gone" "$T/help" "$T/page-syn" "names --gone"
sed '/^\.It Fl k$/d' "$T/page" >"$T/page-nok"
mismatch "the page describes -k nowhere but the synopsis" "$T/help" "$T/page-nok" "no entry for -k"
sed 's/\[-Dd\]/[-D]/; /^  -d /d' "$T/help" >"$T/help-nod"
mismatch "--help loses -d from a cluster" "$T/help-nod" "$T/page" "names -d"
"$COPYID" --help >"$T/copyid-help" 2>&1
mismatch "the pair is another program's" "$T/copyid-help" "$T/page" "no entry for .*-i"
: >"$T/empty-help"
mismatch "--help says nothing" "$T/empty-help" "$T/page" "names|no options"

done_testing
