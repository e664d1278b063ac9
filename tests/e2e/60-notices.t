#!/bin/bash
# Telling the user what happens: touch notices through --notify-cmd (who
# asked, which key and token, where to), withdrawn when the wait ends; a
# desktop notification through notify-send and gdbus (stand-ins: there is
# no desktop here); the requester's terminal; the signing record after a
# mixed session, line for line; skagent --log and --status; choosing
# among tokens (a select notice); rotation; --no-record.
. "$(dirname "$0")/lib.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
stop_token() { eval "kill \$TOK_PID_$1; wait \$TOK_PID_$1"; }
fp() { ssh-keygen -lf "$1" | cut -d' ' -f2; }
# re TEXT: TEXT as an extended regex matching itself
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }
# nv FILE NAME: the value of NAME=... in an env dump
nv() { sed -n "s/^$2=//p" "$1" | head -1; }
json() { command -v jq >/dev/null; }

# The notice command: each event's SKAGENT_* into N.EVENT; a touch's
# command keeps running (with a child of its own) until it is killed.
mkdir -p "$T/n"
cat >"$T/notify" <<'EOF'
#!/bin/sh
env | grep '^SKAGENT_' >"$NDIR/$SKAGENT_NOTICE.$SKAGENT_EVENT.tmp"
printf '%s\n' "$SKAGENT_MESSAGE" >"$NDIR/$SKAGENT_NOTICE.$SKAGENT_EVENT.msg"
mv "$NDIR/$SKAGENT_NOTICE.$SKAGENT_EVENT.tmp" "$NDIR/$SKAGENT_NOTICE.$SKAGENT_EVENT"
if [ "$SKAGENT_EVENT" = touch ]; then
	sleep 60 &
	echo $! >"$NDIR/$SKAGENT_NOTICE.sleeper"
	wait
fi
EOF
chmod +x "$T/notify"
export NDIR=$T/n
# A program named git that runs ssh-add: the chain shows both.
mkdir -p "$T/bin"
printf '#!/bin/bash\n"$@"\n' >"$T/bin/git"
chmod +x "$T/bin/git"

start_token one --touch 1500
start_agent --token "unix:$T/one.tok" --notify-cmd "$T/notify"
"$ENROLL" -d "unix:$T/one.tok" -c "ed-sk" >"$T/ed.pub" || bail enroll
ssh-keygen -q -t ed25519 -N '' -C 'mem "quoted" key' -f "$T/mem" || bail keygen
ssh-add -q "$T/mem" || bail ssh-add

ok "a signature that waits 1.5 s for a touch" "$T/bin/git" ssh-add -T "$T/ed.pub"
t=$T/n/1.touch d=$T/n/1.done
ok "the notice command ran for the touch" test -f "$t"
is "SKAGENT_KEY: the key's fingerprint" "$(nv "$t" SKAGENT_KEY)" "$(fp "$T/ed.pub")"
is "SKAGENT_KEY_TYPE" "$(nv "$t" SKAGENT_KEY_TYPE)" ED25519-SK
is "SKAGENT_COMMENT" "$(nv "$t" SKAGENT_COMMENT)" ed-sk
is "SKAGENT_TOKEN: the token that waits" "$(nv "$t" SKAGENT_TOKEN)" "unix:$T/one.tok"
like "SKAGENT_REQUESTER: ssh-add, its parent git, this script" \
	"$(nv "$t" SKAGENT_REQUESTER)" "^ssh-add \([0-9]+\) <- git \([0-9]+\) <- bash \($$\)"
like "SKAGENT_PID: ssh-add's" "$(nv "$t" SKAGENT_REQUESTER)" "^ssh-add \($(nv "$t" SKAGENT_PID)\)"
is "not session-bound: no destination" "$(nv "$t" SKAGENT_DESTINATION)/$(nv "$t" SKAGENT_FORWARDED)" /
is "SKAGENT_MESSAGE says what to do, which token, who asked" "$(cat "$T/n/1.touch.msg")" \
	"Confirm user presence for key ED25519-SK $(fp "$T/ed.pub") (ed-sk)
on security key unix:$T/one.tok
requested by $(nv "$t" SKAGENT_REQUESTER)"
ok "the done event followed" wait_for 5 test -f "$d"
is "done: SKAGENT_RESULT=ok" "$(nv "$d" SKAGENT_RESULT)" ok
is "done names the same key" "$(nv "$d" SKAGENT_KEY)" "$(nv "$t" SKAGENT_KEY)"
ok "the touch command (its whole process group) was killed" \
	wait_for 5 sh -c "! kill -0 $(cat "$T/n/1.sleeper") 2>/dev/null"
like "the log says who asked" "$(grep 'Confirm user presence' "$T/agent.log" | tail -1)" \
	"on security key unix:$T/one.tok requested by ssh-add \([0-9]+\) <- git"

ok "an in-memory key: no notice" ssh-add -T "$T/mem.pub"
is "no notice was shown for it" "$(ls "$T/n" | grep -c '\.touch$')" 1

# a login: the destination is the host, and what is signed is a login
start_sshd host
cat "$T/ed.pub" "$T/mem.pub" >>"$T/host/authorized_keys"
SSH_OPTS=(-o "IdentityFile=$T/ed.pub" -o IdentitiesOnly=yes)
is "ssh logs in with the sk key" "$(ssh_to host echo in)" in
SSH_OPTS=()
t=$T/n/2.touch
is "a session-bound request names the host key" "$(nv "$t" SKAGENT_DESTINATION)" \
	"$(fp "$T/host/host_ed25519.pub")"
is "not forwarded" "$(nv "$t" SKAGENT_FORWARDED)" no
is "the message says: a login, as whom, to which host" "$(sed -n 4p "$T/n/2.touch.msg")" \
	"for a login as $(id -un) to host $(fp "$T/host/host_ed25519.pub")"
like "requested by ssh" "$(nv "$t" SKAGENT_REQUESTER)" "^ssh \([0-9]+\) <- bash \($$\)"

# a forwarded login (in memory): through fwd, with the agent, on to host
start_sshd fwd "AllowAgentForwarding yes"
cat "$T/mem.pub" >>"$T/fwd/authorized_keys"
only_mem="-o IdentitiesOnly=yes -o IdentityFile=$T/mem.pub"
is "a login through a forwarded agent" \
	"$(ssh -F "$T/ssh_config" $only_mem -A fwd "ssh -F $T/ssh_config $only_mem host echo in")" in
# an SSHSIG (git commit signing) with the in-memory key
echo data >"$T/msg"
ok "ssh-keygen -Y sign" ssh-keygen -q -Y sign -f "$T/mem.pub" -n file "$T/msg"

# touch refused: done says so
kill -USR1 "$TOK_PID_one"
fails "touch refused: the signature fails" ssh-add -T "$T/ed.pub"
kill -USR1 "$TOK_PID_one"
ok "done event after the refusal" wait_for 5 test -f "$T/n/3.done"
is "SKAGENT_RESULT: touch refused" "$(nv "$T/n/3.done" SKAGENT_RESULT)" "touch refused"
ok "and a failure event, the user's to act on" wait_for 5 test -f "$T/n/0.failure"
is "failure: SKAGENT_RESULT and the line for a person" \
	"$(nv "$T/n/0.failure" SKAGENT_RESULT)|$(cat "$T/n/0.failure.msg")" \
	"touch refused|skagent: touch refused: nothing signed with ed-sk"

# the client leaves while the token waits: withdrawn at once
ssh-add -T "$T/ed.pub" & pending=$!
ok "a touch is awaited" wait_for 5 test -f "$T/n/4.touch"
kill "$pending"; wait "$pending" 2>/dev/null
ok "the client left: done at once" wait_for 3 test -f "$T/n/4.done"
is "SKAGENT_RESULT: cancelled" "$(nv "$T/n/4.done" SKAGENT_RESULT)" "operation cancelled"
ok "its touch command is gone" \
	wait_for 5 sh -c "! kill -0 $(cat "$T/n/4.sleeper") 2>/dev/null"

# The signing record of this session, line for line.
rec=$T/state/skagent/signatures.jsonl
lines_are() { test "$(cat "$rec" 2>/dev/null | wc -l)" = "$1"; }
ok "the record is written within a second" wait_for 5 lines_are 8
is "the record directory is 0700" "$(stat -c %a "$T/state/skagent")" 700
is "the record file is 0600" "$(stat -c %a "$rec")" 600
if json; then
	is "each line is JSON: result, type, comment, in order" \
		"$(jq -r '[.result, .type, .comment, (.error // "-")] | join("|")' "$rec")" \
		"ok|ED25519-SK|ed-sk|-
ok|ED25519|mem \"quoted\" key|-
ok|ED25519-SK|ed-sk|-
ok|ED25519|mem \"quoted\" key|-
ok|ED25519|mem \"quoted\" key|-
ok|ED25519|mem \"quoted\" key|-
failed|ED25519-SK|ed-sk|touch refused
failed|ED25519-SK|ed-sk|operation cancelled"
	is "the logins: destination, forwarded or not, user" \
		"$(jq -r 'select(.use == "login") | [.type, .destination, .forwarded, .user] | join("|")' "$rec")" \
		"ED25519-SK|$(fp "$T/host/host_ed25519.pub")|false|$(id -un)
ED25519|$(fp "$T/fwd/host_ed25519.pub")|false|$(id -un)
ED25519|$(fp "$T/host/host_ed25519.pub")|true|$(id -un)"
	like "the forwarded one was asked by the local ssh" \
		"$(jq -r 'select(.forwarded) | .requester' "$rec")" "^ssh \([0-9]+\) <- bash \($$\)"
	is "the SSHSIG: its namespace" "$(jq -r 'select(.use == "sshsig") | .namespace' "$rec")" file
	is "no destination where none was bound" \
		"$(jq -r 'select(.use != "login") | has("destination")' "$rec" | sort -u)" false
	is "sk lines: token, touched, a counter that grows" \
		"$(jq -r 'select(.result == "ok" and .token) | [.token, .up, .uv, (.counter > 0)] | join("|")' "$rec" | sort -u)" \
		"unix:$T/one.tok|true|false|true"
	ok "counters grow" sh -c "jq -r 'select(.counter) | .counter' '$rec' | sort -n -c"
	is "in-memory lines: no token fields" "$(jq -r 'select(.type == "ED25519") | [has("token"), has("up"), has("counter")] | join("|")' "$rec" | sort -u)" \
		"false|false|false"
	is "every line names its requester and pid" \
		"$(jq -r '(.requester | test("^(ssh-add|ssh|ssh-keygen) \\([0-9]+\\)")) and .pid > 0' "$rec" | sort -u)" true
else
	skip "jq not installed"
fi
is "the comment's quotes are escaped (grep reads it)" \
	"$(grep -c '"comment":"mem \\"quoted\\" key"' "$rec")" 4
fails "no signed data in the record" grep -q "ssh-connection\|publickey" "$rec"

log=$("$SKAGENT" --log)
is "skagent --log: a header and 8 entries" "$(printf '%s\n' "$log" | wc -l)" 9
like "--log: the refused touch" "$(printf '%s\n' "$log" | sed -n 8p)" \
	"FAILED +ED25519-SK SHA256:.{10} +ed-sk +ssh-add \([0-9]+\) <- bash .*touch refused"
like "--log: the login" "$(printf '%s\n' "$log" | sed -n 4p)" \
	"ok +ED25519-SK .*login as $(id -un), to SHA256:.*on unix:"
like "--log: the forwarded login" "$(printf '%s\n' "$log" | sed -n 6p)" \
	"ok +ED25519 .*login as $(id -un), to $(re "$(fp "$T/host/host_ed25519.pub")"), forwarded$"
is "--log -n 2 --json: the raw last lines" "$("$SKAGENT" --log -n 2 --json)" "$(tail -n 2 "$rec")"

# --status: the token, its key, the last signatures
st=$("$SKAGENT" --status)
is "--status: the token, present, what it offers, its key" \
	"$(printf '%s\n' "$st" | sed -n '/^Security keys/,/^$/p')" "Security keys (tokens)
  unix:$T/one.tok
    present, FIDO2, es256,eddsa, no PIN set
    ED25519-SK $(fp "$T/ed.pub")  ed-sk"
is "--status: the in-memory key" "$(printf '%s\n' "$st" | sed -n '/^Keys in memory/,/^$/p')" "Keys in memory
    ED25519 $(fp "$T/mem.pub")  mem \"quoted\" key"
like "--status: the last signatures" "$(printf '%s\n' "$st" | sed -n '/^Last signatures/,$p' | sed -n 2p)" \
	"^  TIME +RESULT +KEY +COMMENT +REQUESTER +DETAILS"
is "--status: all 8 of them" "$(printf '%s\n' "$st" | sed -n '/^Last signatures/,$p' | grep -c '^  20')" 8
like "--status: the options in force" "$st" "^PIN cache: off; signing record: on; -O hide-absent: off"

# on an 80-column terminal: every line fits, folded between words only
widest() { awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'; }
log80=$(COLUMNS=80 "$SKAGENT" --log)
st80=$(COLUMNS=80 "$SKAGENT" --status)
ok "--log, 80 columns: no line is wider" test "$(widest <<<"$log80")" -le 80
ok "--status, 80 columns: no line is wider" test "$(widest <<<"$st80")" -le 80
ok "--log: a record a block, its time first" \
	test "$(grep -c '^20[0-9-]* [0-9:]*  \(ok\|FAILED\)  ' <<<"$log80")" -eq 8
like "--log: the forwarded login's host key whole, on one line" "$log80" \
	"(^| )to $(re "$(fp "$T/host/host_ed25519.pub")"),"
like "--log: the token's name whole" "$log80" "(^| )on unix:$T/one\.tok,"
like "--status: the key's fingerprint whole" "$st80" "^    ED25519-SK $(re "$(fp "$T/ed.pub")")  ed-sk$"
like "--status: a requester whole" "$st80" "^    ssh-add \([0-9]+\) <- bash \([0-9]+\)"

# a comment with control characters cannot drive the terminal
ssh-keygen -q -t ed25519 -N '' -C "$(printf 'evil\033[2J\x9b31m')" -f "$T/evil"
ssh-add -q "$T/evil" && ssh-add -T "$T/evil.pub"
fails "--status shows no escape character" sh -c "'$SKAGENT' --status | grep -q \"\$(printf '\\033')\""
ok "nor --log" wait_for 5 sh -c "'$SKAGENT' --log | grep -q 'evil?\[2J'"
fails "--log shows no escape character" sh -c "'$SKAGENT' --log | grep -q \"\$(printf '\\033')\""
stop_agent

# several tokens, a verify-required key never used: only a token with a
# PIN can hold it, so of one without and one with, no touch to choose
start_token two --pin 123456
cat >"$T/askpass" <<'AP'
#!/bin/sh
echo 123456
AP
chmod +x "$T/askpass"
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	start_agent --token "unix:$T/one.tok" --token "unix:$T/two.tok" \
	--notify-cmd "$T/notify"
"$ENROLL" -d "unix:$T/two.tok" -v -p 123456 -c uv-sk >"$T/uv.pub" || bail enroll
rm -f "$T"/n/*
ok "a verify-required key on the one token of two with a PIN signs" \
	ssh-add -T "$T/uv.pub"
ok "with a touch notice" wait_for 5 test -f "$T/n/1.done"
is "on token two, straight away" "$(nv "$T/n/1.done" SKAGENT_EVENT)/$(nv "$T/n/1.done" SKAGENT_TOKEN)" \
	"done/unix:$T/two.tok"
fails "no notice to choose a token" grep -q '^SKAGENT_EVENT=select' "$T"/n/*.touch "$T"/n/*.select
stop_agent

# two tokens with PINs: touch the right one first (select), then the PIN,
# then the touch on the chosen token
start_token three --pin 123456 --touch deny
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	start_agent --token "unix:$T/three.tok" --token "unix:$T/two.tok" \
	--notify-cmd "$T/notify"
"$ENROLL" -d "unix:$T/two.tok" -v -p 123456 -c uv-sk >"$T/uv.pub" || bail enroll
rm -f "$T"/n/*
ok "a verify-required key on one of two tokens with PINs signs" ssh-add -T "$T/uv.pub"
# (a notice's command may be killed before it writes: done always runs)
ok "first a notice to choose the token, withdrawn" wait_for 5 test -f "$T/n/1.done"
is "no token named yet" "$(nv "$T/n/1.done" SKAGENT_TOKEN)" ""
like "touch the key that holds it" "$(head -1 "$T/n/1.done.msg")" \
	"^Touch the security key that holds key ED25519-SK $(re "$(fp "$T/uv.pub")") \(uv-sk\)$"
ok "then a touch notice, withdrawn when it came" wait_for 5 test -f "$T/n/2.done"
is "on token two" "$(nv "$T/n/2.done" SKAGENT_TOKEN)" "unix:$T/two.tok"
like "asking for user presence" "$(head -1 "$T/n/2.done.msg")" "^Confirm user presence for key ED25519-SK"
is "ok" "$(nv "$T/n/2.done" SKAGENT_RESULT)" ok
stop_agent
stop_token one
start_token one

# rotation: a small record size keeps the file small, the rest in .1
rm -rf "$T/state"
start_agent --record-size 4K
ssh-add -q "$T/mem"
ok "24 in-memory signatures" sh -c "for i in \$(seq 24); do ssh-add -T '$T/mem.pub' || exit 1; done"
ok "rotated to .1" wait_for 5 test -f "$rec.1"
# the record is written in batches: wait for the last one
ok "no line lost across the two" \
	wait_for 10 sh -c '[ "$(cat "$1.1" "$1" | wc -l)" = 24 ]' sh "$rec"
ok "the file stays under 4 KiB" test "$(stat -c %s "$rec")" -le 4096
is "--log -n 24 reads both" "$("$SKAGENT" --log -n 24 --json | wc -l)" 24
stop_agent

# --no-record: no file, and the status says so
rm -rf "$T/state"
start_agent --no-record
ssh-add -q "$T/mem" && ssh-add -T "$T/mem.pub"
like "--status: record off" "$("$SKAGENT" --status)" "signing record: off"
sleep 1
fails "--no-record: nothing written" test -e "$rec"
stop_agent

# No --notify-cmd: a desktop notification when there is a session bus and
# notify-send.  Stand-ins log what the agent asks of them.
cat >"$T/bin/notify-send" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$NDIR/notify-send.args"
echo 42
EOF
cat >"$T/bin/gdbus" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$NDIR/gdbus.args"
EOF
chmod +x "$T/bin/notify-send" "$T/bin/gdbus"
PATH=$T/bin:$PATH DBUS_SESSION_BUS_ADDRESS=unix:path=$T/no-bus \
	start_agent --token "unix:$T/one.tok"
"$ENROLL" -d "unix:$T/one.tok" -c "ed-sk" >"$T/ed.pub" || bail enroll
ok "a signature with a desktop" ssh-add -T "$T/ed.pub"
a=$(cat "$T/n/notify-send.args" 2>/dev/null)
like "notify-send was asked for the id of its notification" "$a" "^--print-id$"
like "the body names key and token" "$a" "^Confirm user presence for key ED25519-SK $(re "$(fp "$T/ed.pub")")"
like "and the requester (markup escaped)" "$a" "^requested by ssh-add \([0-9]+\) &lt;- bash"
ok "gdbus withdrew notification 42" wait_for 5 grep -qx "uint32 42" "$T/n/gdbus.args"
like "through org.freedesktop.Notifications.CloseNotification" "$(tr '\n' ' ' <"$T/n/gdbus.args")" \
	"^call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications --method org.freedesktop.Notifications.CloseNotification uint32 42 $"
stop_agent

# Neither: the notice on the requester's controlling terminal (ssh-add
# under a pty), in the two short lines of an 80-column terminal.
start_agent --token "unix:$T/one.tok"
"$ENROLL" -d "unix:$T/one.tok" -c "ed-sk" >"$T/ed.pub" || bail enroll
out=$(script -qec "ssh-add -T '$T/ed.pub' 2>/dev/null" /dev/null)
like "no desktop, no askpass: the notice on the requester's terminal" "$out" \
	"^Touch your security key \(ed-sk\)"
fails "not when the requester has no terminal" sh -c "ssh-add -T '$T/ed.pub' 2>&1 | grep -q 'Touch your'"
ok "the agent survived it all" agent_alive
done_testing
