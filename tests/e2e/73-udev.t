#!/bin/bash
# udev/70-skagent-fido.rules: parses as udev parses it, never opens a device
# to everyone, sorts before the rules that act on "uaccess", and tags the
# devices it should, and only those.  The checker is tested on bad rules.
. "$(dirname "$0")/lib.sh"

RULES=$TOP/udev/70-skagent-fido.rules
LINT=$TOP/tests/lint/udev-rules.pl

ok "our rules pass the checker" "$LINT" "$RULES"
if command -v udevadm >/dev/null 2>&1 &&
	udevadm verify --help >/dev/null 2>&1; then
	ok "udevadm verify accepts them" \
		udevadm verify --resolve-names=never "$RULES"
else
	skip "no udevadm verify here (it arrived in systemd 254)"
fi
n=0
for f in /usr/lib/udev/rules.d/*.rules /lib/udev/rules.d/*.rules; do
	[ -f "$f" ] || continue
	"$LINT" "$f" 2>"$T/sys.err" || { diag_file "$T/sys.err"; n=$((n + 1)); }
done
is "the checker accepts this system's own rules files" "$n" 0

name=$(basename "$RULES")
ok "$name sorts before 71-seat.rules" \
	test "$(printf '%s\n' 71-seat.rules "$name" | LC_ALL=C sort | head -n 1)" = "$name"
fails "no MODE, GROUP or OWNER: only the uaccess tag" \
	grep -Eq '^[^#]*(MODE|GROUP|OWNER)' "$RULES"

# bad NAME LINE: the checker must refuse the rule and say why
bad() {
	local name=$1 rule=$2 why=$3
	printf '%s\n' "$rule" 'LABEL="end"' >"$T/bad.rules"
	if "$LINT" "$T/bad.rules" 2>"$T/bad.err"; then
		_tap_result 1 "checker refuses $name"
		diag "accepted: $rule"
	else
		like "checker refuses $name" "$(cat "$T/bad.err")" "$why"
	fi
}
bad "an unknown key" 'SUBSYTEM=="hidraw", GOTO="end"' "unknown key SUBSYTEM"
bad "== on an assignment key" 'SUBSYSTEM=="hidraw", TAG+="uaccess", MODE=="0600", GOTO="end"' "MODE does not take =="
bad "= on a match key" 'KERNEL="hidraw*", TAG+="uaccess", GOTO="end"' "KERNEL does not take ="
bad "assigning to ATTRS" 'ATTRS{idVendor}="1050", GOTO="end"' "ATTRS does not take ="
bad "ENV without an attribute" 'ENV=="1", GOTO="end"' "ENV needs an \{attribute\}"
bad "an attribute on KERNEL" 'KERNEL{x}=="hidraw*", GOTO="end"' "KERNEL takes no"
bad "an unquoted value" 'KERNEL==hidraw*, GOTO="end"' "double quotes"
bad "an unterminated quote" 'KERNEL=="hidraw*, GOTO="end"' "separated by a comma|double quotes"
bad "a missing comma" 'KERNEL=="hidraw*" GOTO="end"' "separated by a comma"
bad "a missing space after a comma" 'KERNEL=="hidraw*",GOTO="end"' "separated by a comma"
bad "a stray trailing comma" 'KERNEL=="hidraw*", GOTO="end",' "trailing comma"
bad "a missing operator" 'KERNEL "hidraw*", GOTO="end"' "KEY\[\{attr\}\]OP"
bad "a value prefix old udev lacks" 'KERNEL==i"HIDRAW*", GOTO="end"' "value prefixes"
bad "a GOTO without its LABEL" 'KERNEL=="x", GOTO="nowhere"' 'GOTO "nowhere" has no LABEL'
bad "a backward GOTO" 'LABEL="back"
KERNEL=="x", GOTO="back"' "jumps back"
bad "an unused LABEL" 'LABEL="lonely"
KERNEL=="x", GOTO="end"' 'LABEL "lonely" is unused'
bad "two GOTOs on a line" 'KERNEL=="x", GOTO="end", GOTO="end"' "more than one GOTO"
bad "a line that only matches" 'KERNEL=="hidraw*", SUBSYSTEM=="hidraw"
KERNEL=="x", GOTO="end"' "does nothing"
bad 'MODE="0666"' 'SUBSYSTEM=="hidraw", MODE="0666", GOTO="end"' "o\+w"
bad 'MODE:="0662"' 'SUBSYSTEM=="hidraw", MODE:="0662", GOTO="end"' "o\+w"
bad 'MODE="0664" (world-readable)' 'SUBSYSTEM=="hidraw", MODE="0664", GOTO="end"' "everyone"
bad 'a symbolic MODE' 'SUBSYSTEM=="hidraw", MODE="a+rw", GOTO="end"' "not an octal mode"
bad "MODE+=" 'SUBSYSTEM=="hidraw", MODE+="0600", GOTO="end"' "MODE does not take \+="
bad "an empty TAG" 'SUBSYSTEM=="hidraw", TAG+="", GOTO="end"' "empty value"
bad "an unknown IMPORT type" 'IMPORT{prog}="fido_id", GOTO="end"' "bad attribute"
bad "an unknown OPTIONS value" 'SUBSYSTEM=="hidraw", OPTIONS+="frobnicate", GOTO="end"' "OPTIONS: unknown"
printf 'KERNEL=="x", TAG+="uaccess", \\\n' >"$T/bad.rules"
out=$("$LINT" "$T/bad.rules" 2>&1)
is "checker refuses a continuation at the end of the file" "$?" 1
like "and says so" "$out" "continued past the end"
printf 'KERNEL=="x", \\\n  TAG+="uaccess"\n' >"$T/good.rules"
ok "a continued line is one rule" "$LINT" "$T/good.rules"

# What the rules do, run for made-up devices.  "modern" has fido_id (udev
# 244+), "old" has not.
mkdir -p "$T/modern/usr/lib/udev" "$T/old"
touch "$T/modern/usr/lib/udev/fido_id"
tags() {	# ROOT PROPS...: the rules' output for that device, one line
	"$LINT" --eval --root "$T/$1" "$RULES" "${@:2}" | tr '\n' ' ' | sed 's/ $//'
}
hid="ACTION=add SUBSYSTEM=hidraw KERNEL=hidraw3"	# word-split on purpose
is "fido_id's FIDO key gets uaccess" "$(tags modern $hid ENV:ID_FIDO_TOKEN=1)" "TAG uaccess"
is "on change events too" "$(tags modern ACTION=change SUBSYSTEM=hidraw ENV:ID_FIDO_TOKEN=1)" "TAG uaccess"
is "modern udev: fido_id's no stands, even for a listed vendor" \
	"$(tags modern $hid ATTRS:idVendor=1050 ATTRS:idProduct=0407)" ""
is "old udev: a listed YubiKey gets uaccess" \
	"$(tags old $hid ATTRS:idVendor=1050 ATTRS:idProduct=0407)" "TAG uaccess"
is "old udev: a listed Solo 2 gets uaccess" \
	"$(tags old $hid ATTRS:idVendor=1209 ATTRS:idProduct=beee)" "TAG uaccess"
is "old udev: another product of a listed vendor does not" \
	"$(tags old $hid ATTRS:idVendor=1050 ATTRS:idProduct=0010)" ""
is "old udev: a mouse does not" \
	"$(tags old $hid ATTRS:idVendor=046d ATTRS:idProduct=c52b)" ""
is "the USB device itself is not tagged, only hidraw" \
	"$(tags old ACTION=add SUBSYSTEM=usb ATTRS:idVendor=1050 ATTRS:idProduct=0407)" ""
is "nothing on remove" \
	"$(tags old ACTION=remove SUBSYSTEM=hidraw ENV:ID_FIDO_TOKEN=1 ATTRS:idVendor=1050 ATTRS:idProduct=0407)" ""
is "tags from earlier rules are kept" \
	"$(tags modern $hid ENV:ID_FIDO_TOKEN=1 TAG:security-device)" "TAG security-device TAG uaccess"
# Every listed vendor:product is tagged on an old udev.
n=0 total=0
while read -r v p; do
	for prod in ${p//|/ }; do
		total=$((total + 1))
		[ "$(tags old $hid "ATTRS:idVendor=$v" "ATTRS:idProduct=$prod")" = "TAG uaccess" ] ||
			{ diag "$v:$prod not tagged"; n=$((n + 1)); }
	done
done < <(sed -n 's/^ATTRS{idVendor}=="\([0-9a-f]*\)", ATTRS{idProduct}=="\([0-9a-f|]*\)", TAG+="uaccess"$/\1 \2/p' "$RULES")
ok "the list has entries ($total)" test "$total" -gt 20
is "each of them is tagged" "$n" 0
# libfido2's udev/fidodevs (from which its 70-u2f.rules is made): every
# device it lists is tagged on an old udev.
missing=
for d in \
	0483:a2ac 0483:a2ca 0483:cdab 058b:022d 06cb:0088 \
	096e:0850 096e:0852 096e:0853 096e:0854 096e:0856 096e:0858 096e:085a \
	096e:085b 096e:085d 096e:0866 096e:0867 096e:0880 \
	1050:0113 1050:0114 1050:0115 1050:0116 1050:0120 1050:0121 1050:0200 \
	1050:0402 1050:0403 1050:0406 1050:0407 1050:0410 \
	10c4:8acf 1209:5070 1209:50b0 1209:53c1 1209:beee 18d1:5026 1a44:00bb \
	1d50:60fc 1e0d:f1ae 1e0d:f1d0 1ea8:f025 1ea8:fc25 1fc9:f143 \
	20a0:4287 20a0:42b1 20a0:42b2 20a0:42b3 20a0:42d4 24dc:0101 24dc:0501 \
	2581:f1d0 2abe:1002 \
	2c97:0000 2c97:0001 2c97:0004 2c97:0011 2c97:0015 2c97:1005 2c97:1011 \
	2c97:1015 2c97:4005 2c97:4011 2c97:4015 2c97:5005 2c97:5011 2c97:5015 \
	2c97:6005 2c97:6011 2c97:6015 2ccf:0880 \
	311f:4a1a 311f:4a2a 311f:4c2a 311f:5c2f 311f:a6e9 311f:a7f9 311f:f47c \
	32a3:3201 \
	349e:0010 349e:0011 349e:0012 349e:0013 349e:0014 349e:0015 349e:0016 \
	349e:0020 349e:0021 349e:0022 349e:0023 349e:0024 349e:0025 349e:0026 \
	349e:0200 349e:0201 349e:0202 349e:0203 349e:0204 349e:0205 349e:0206 \
	4c4d:f703 534c:0001; do
	[ "$(tags old $hid "ATTRS:idVendor=${d%:*}" "ATTRS:idProduct=${d#*:}")" = "TAG uaccess" ] ||
		missing="$missing $d"
done
is "every device libfido2's 70-u2f.rules lists is tagged" "$missing" ""

done_testing
