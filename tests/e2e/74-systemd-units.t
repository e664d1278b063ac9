#!/bin/bash
# systemd/: the user units and the environment.d snippet.  systemd-analyze
# verifies the units (strictly: any message fails) and rates their sandbox;
# systemd's own environment.d generator reads the snippet; and the agent,
# traced through a busy session, makes no system call that the unit's
# SystemCallFilter= would refuse.  Without systemd-analyze a structural
# check of our own stands in, and the test says so.
. "$(dirname "$0")/lib.sh"

[ -x "$SKAGENT" ] || bail "no $SKAGENT: run make"
U=$T/units
mkdir -m 700 "$U" "$T/run"
export XDG_RUNTIME_DIR=$T/run
sed "s|@BINDIR@|$TOP/agent|g" "$TOP/systemd/skagent.service.in" >"$U/skagent.service"
cp "$TOP/systemd/skagent.socket" "$U/"
SERVICE=$U/skagent.service
SOCKET=$U/skagent.socket

has() {	# FILE LINE: FILE has exactly this line
	grep -qxF -- "$2" "$1"
}

# What the units promise, line by line.
ok "socket: %t/skagent/agent.sock" has "$SOCKET" "ListenStream=%t/skagent/agent.sock"
ok "socket: mode 0600" has "$SOCKET" "SocketMode=0600"
ok "socket: directory 0700" has "$SOCKET" "DirectoryMode=0700"
ok "socket: enabled with sockets.target" has "$SOCKET" "WantedBy=sockets.target"
ok "service: ExecStart is @BINDIR@/skagent -D" \
	has "$TOP/systemd/skagent.service.in" "ExecStart=@BINDIR@/skagent -D"
for l in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=read-only \
	PrivateTmp=yes PrivateUsers=yes MemoryDenyWriteExecute=yes \
	LockPersonality=yes RestrictRealtime=yes RestrictNamespaces=yes \
	SystemCallArchitectures=native "RestrictAddressFamilies=AF_UNIX AF_NETLINK" \
	SystemCallFilter=@system-service "ReadWritePaths=-%h/.local/state/skagent"; do
	ok "service: $l" has "$SERVICE" "$l"
done
fails "service: no PrivateDevices= or DevicePolicy= (the agent needs /dev/hidraw*)" \
	grep -Eq '^(PrivateDevices|DevicePolicy|DeviceAllow)=' "$SERVICE"
ok "the generated unit in the tree has no @VAR@ left" \
	sh -c '! grep -q "@[A-Z]*@" "$1"' sh "$TOP/systemd/skagent.service"

# Structure, checked here whether or not systemd is installed: known
# sections, Key=value lines, one ExecStart.
structure() {	# FILE...
	awk '
	/^[ \t]*([#;].*)?$/ { next }
	/^\[(Unit|Service|Socket|Install)\]$/ { sec = $0; next }
	/^\[/ { print FILENAME ":" FNR ": unknown section " $0; bad = 1; next }
	sec == "" { print FILENAME ":" FNR ": outside any section"; bad = 1; next }
	!/^[A-Z][A-Za-z0-9]*=/ { print FILENAME ":" FNR ": not Key=value: " $0; bad = 1; next }
	/^ExecStart=/ { if (++exec[FILENAME] > 1) { print FILENAME ": two ExecStart="; bad = 1 } }
	END { exit bad }' "$@"
}
ok "units: sections and Key=value lines" structure "$SOCKET" "$SERVICE"
printf '[Service]\nExecStart=/bin/true\nExecStart=/bin/false\nProtect System=yes\n[Servce]\n' >"$T/bad-structure.service"
out=$(structure "$T/bad-structure.service")
like "structure check catches a key with a space" "$out" "not Key=value: Protect System"
like "structure check catches a misspelt section" "$out" "unknown section \[Servce\]"
like "structure check catches two ExecStart=" "$out" "two ExecStart="

if command -v systemd-analyze >/dev/null 2>&1; then
	verify() {	# UNIT...: systemd-analyze verify, and no message at all
		local out
		out=$(systemd-analyze --user verify --man=no "$@" 2>&1)
		local st=$?
		[ -n "$out" ] && printf '#   %s\n' "$out"
		[ "$st" -eq 0 ] && [ -z "$out" ]
	}
	ok "systemd-analyze --user verify: not a word" verify "$SOCKET" "$SERVICE"
	mkdir -m 700 "$T/bad"
	cp "$SOCKET" "$T/bad/"
	sed 's/^ProtectSystem=/ProtectSytem=/' "$SERVICE" >"$T/bad/skagent.service"
	fails "verify catches a misspelt key" verify "$T/bad/skagent.socket" "$T/bad/skagent.service"
	sed "s|^ExecStart=.*|ExecStart=$T/no-such-skagent -D|" "$SERVICE" >"$T/bad/skagent.service"
	fails "verify catches a missing program" verify "$T/bad/skagent.socket" "$T/bad/skagent.service"
	rated() {	# UNIT: exposure 3.0 or less by systemd's own rating
		systemd-analyze --user security --offline=yes --threshold=30 "$1" >/dev/null 2>&1
	}
	ok "systemd-analyze security: exposure 3.0 or less" rated "$SERVICE"
	diag "$(systemd-analyze --user security --offline=yes "$SERVICE" 2>&1 | tail -n 1)"
	grep -Ev '^(NoNewPrivileges|Protect[A-Za-z]*|Private[A-Za-z]*|Restrict[A-Za-z]*|MemoryDenyWriteExecute|LockPersonality|SystemCall[A-Za-z]*|CapabilityBoundingSet|UMask)=' \
		"$SERVICE" >"$T/bad/skagent.service"
	fails "and the rating fails a unit without the sandbox" rated "$T/bad/skagent.service"
else
	skip "no systemd-analyze here: the structure check above stands in for verify"
	skip "no systemd-analyze here: sandbox not rated"
fi

# systemd's environment.d generator reads the snippet.
gen=/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator
if [ -x "$gen" ]; then
	mkdir -p "$T/config/environment.d"
	cp "$TOP/systemd/60-skagent.conf" "$T/config/environment.d/"
	like "environment.d generator sets SSH_AUTH_SOCK to the socket" \
		"$(env -i HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_RUNTIME_DIR=/run/user/4242 "$gen")" \
		"^SSH_AUTH_SOCK=/run/user/4242/skagent/agent.sock$"
else
	skip "no systemd environment.d generator here"
fi

# SystemCallFilter=@system-service against what the agent really calls:
# a security-key key made and used on the software token, keys of each type
# added, listed, used, confirmed through askpass, locked, unlocked,
# expired, removed, a PKCS#11 module's key (SoftHSM) through
# skagent-pkcs11-helper, and a SIGTERM.  Every call, the askpass child's
# and the helpers' included (the filter is inherited), must be in the set.
expand_set() {	# @GROUP: every system call in it, groups expanded
	systemd-analyze syscall-filter "$1" | sed -n 's/^    //p' | while read -r s; do
		case $s in
		@*) expand_set "$s" ;;
		*) echo "$s" ;;
		esac
	done
}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "no systemd-analyze here: SystemCallFilter not checked"
elif ! command -v strace >/dev/null 2>&1 || ! strace -f -o /dev/null true 2>/dev/null; then
	skip "strace missing or not allowed here: SystemCallFilter not checked"
else
	expand_set @system-service | sort -u >"$T/allowed"
	for k in ed25519 ecdsa rsa; do
		ssh-keygen -q -t "$k" -N '' -C "$k" -f "$T/$k" || bail keygen
	done
	# confirm prompts: an empty answer allows; the lock's password (and the
	# PKCS#11 PIN) otherwise
	start_softhsm lockpass
	softhsm_pub ecdsa256 >"$T/p11.pub"
	printf '#!/bin/sh\n[ "$SSH_ASKPASS_PROMPT" = confirm ] || echo lockpass\n' >"$T/askpass"
	chmod 755 "$T/askpass"
	export SSH_AUTH_SOCK=$T/traced.sock SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force
	# a security key too: libfido2 through the token layer, on the softtoken
	bg "$SOFTTOKEN" --socket "$T/tok" --state "$T/tok.state" 2>"$T/tok.log"
	wait_for 10 test -S "$T/tok" || bail "softtoken did not start"
	bg strace -f -qq -o "$T/strace.out" "$SKAGENT" -D -a "$SSH_AUTH_SOCK" \
		--token "unix:$T/tok" >"$T/traced.out" 2>"$T/traced.log"
	STRACE_PID=$BG_PID
	# The agent, strace's child, gets the signals (strace waits for it),
	# at the end and from the cleanup too.  Its pid is the one it prints:
	# strace's other short-lived children must not be mistaken for it.
	wait_for 20 grep -q '^echo Agent pid' "$T/traced.out" ||
		bail "traced agent did not start"
	AGENT_PID=$(sed -n 's/^echo Agent pid \([0-9]*\);$/\1/p' "$T/traced.out")
	[ -n "$AGENT_PID" ] || bail "no agent pid in its output"
	_bg_pids="$_bg_pids $AGENT_PID"
	{
		"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -c sk >"$T/sk.pub" &&
		ssh-add -T "$T/sk.pub" &&
		ssh-add -q "$T/ed25519" "$T/ecdsa" &&
		ssh-add -q -c "$T/rsa" &&
		ssh-add -l &&
		ssh-add -T "$T/ed25519.pub" "$T/ecdsa.pub" "$T/rsa.pub" &&
		ssh-add -x && ssh-add -X &&
		ssh-add -q -t 1 "$T/ed25519" &&
		wait_for 10 sh -c '! ssh-add -l | grep -q "(ED25519)$"' &&
		ssh-add -q -d "$T/ecdsa" && ssh-add -D &&
		ssh-add -q -s "$P11MOD" </dev/null &&
		ssh-add -T "$T/p11.pub" &&
		ssh-add -q -e "$P11MOD"
	} >"$T/session.log" 2>&1
	ok "the traced session ran" test $? -eq 0 || diag_file "$T/session.log"
	kill -TERM "$AGENT_PID"
	wait "$STRACE_PID"
	sed -n 's/^[0-9]* *\(<\.\.\. \)\{0,1\}\([a-z0-9_]*\)[( ].*/\2/p' "$T/strace.out" |
		grep -v '^$' | sort -u >"$T/used"
	ok "the trace saw the agent work ($(wc -l <"$T/used") distinct calls)" \
		test "$(wc -l <"$T/used")" -gt 30
	ok "and the PKCS#11 helper load its module" grep -q softhsm2 "$T/strace.out"
	outside=$(comm -23 "$T/used" "$T/allowed" | tr '\n' ' ')
	is "every call is in @system-service" "$outside" ""
	# the check itself: a call the set lacks is reported
	echo "mount" >>"$T/used"
	is "and the comparison would see one outside it" \
		"$(sort -u "$T/used" | comm -23 - "$T/allowed" | tr '\n' ' ')" "mount "
fi

done_testing
