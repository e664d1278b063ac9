#!/bin/bash
# The agent's lock under attack (issue 15): a lock takes effect promptly
# under load; a LOCK from a client that closes at once still locks;
# nothing that waited signs after a lock, a remove-all, or the removal or
# expiry of its key (prompts withdrawn, token waits cancelled); unlock
# attempts from any number of clients follow OpenSSH's global back-off.
. "$(dirname "$0")/lib.sh"
valgrind_skip "signing load and back-off schedules measured in milliseconds"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
hexblob() { cut -d' ' -f2 "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }
sign_req() {	# PUBFILE FLAGS: a sign request for that key over 32 bytes
	local blob len
	blob=$(hexblob "$1")
	len=$(printf '%08x' $((${#blob} / 2)))
	echo "f:0d${len}${blob}00000020$(printf '%064d' 0)$2"
}
lock_req() {	# TYPE(16 lock, 17 unlock) PASSWORD: the frame
	local pw len
	pw=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')
	len=$(printf '%08x' $((${#pw} / 2)))
	echo "f:$1${len}${pw}"
}
locked() { [ "$(ssh-add -l 2>&1)" = "The agent has no identities." ] &&
	! ssh-add -T "$T/ed.pub" 2>/dev/null; }

# One askpass for everything: ssh-add -x/-X read $PW (or $T/pw); a confirm
# prompt (SSH_ASKPASS_PROMPT=confirm, from the agent) records its pid and
# waits until $T/release exists, then allows.
cat >"$T/askpass" <<'AP'
#!/bin/sh
if [ "$SSH_ASKPASS_PROMPT" = confirm ]; then
	echo $$ >>"$ASKPASS_DIR/confirm.pids"
	n=0
	while [ ! -e "$ASKPASS_DIR/release" ] && [ $n -lt 600 ]; do
		sleep 0.05; n=$((n + 1))
	done
	echo yes
	exit 0
fi
if [ -n "${PW:-}" ]; then echo "$PW"; else cat "$ASKPASS_DIR/pw"; fi
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_DIR=$T
echo right >"$T/pw"
xadd() { setsid ssh-add "$@" </dev/null >/dev/null 2>&1; }

ssh-keygen -q -t ed25519 -N '' -f "$T/ed" &&
	ssh-keygen -q -t rsa -b 4096 -N '' -f "$T/rsa" || bail keygen

# 1. A lock under load: six clients sign with RSA 4096 in a loop.  From
# the moment the lock is read no new signature starts (the debug log
# shows none between the lock and "agent locked"); it waits only for the
# ones already running, at most one per client.
# -d (debug log) is -D too
SSH_AUTH_SOCK=$T/agent.sock
bg "$SKAGENT" -d -a "$SSH_AUTH_SOCK" >"$T/agent.out" 2>"$T/agent.log"
AGENT_PID=$BG_PID
wait_for 10 test -S "$SSH_AUTH_SOCK" || bail "agent -d did not start"
ssh-add -q "$T/ed" "$T/rsa" || bail ssh-add
req=$(sign_req "$T/rsa.pub" 00000004)
reqs=()
for i in $(seq 1 40); do reqs+=("$req"); done
for c in 1 2 3 4 5 6; do
	bg sh -c 'while :; do "$0" -w 20000 -n 40 "$@" >/dev/null || exit; done' \
		"$RAW" "${reqs[@]}"
done
wait_for 10 sh -c "[ \$(grep -c 'sign with RSA' '$T/agent.log') -gt 60 ]" ||
	diag "the load did not start"
t0=$(now_ms)
timeout 60 setsid ssh-add -x </dev/null >/dev/null 2>&1	# a lock that never comes fails
rc=$?
t1=$(now_ms)
ok "under load (6 clients, RSA 4096): ssh-add -x locks" test "$rc" -eq 0
diag "lock answered in $((t1 - t0)) ms under load"
started=$(sed -n '/message 22 /,/agent locked/p' "$T/agent.log" | grep -c 'sign with')
is "no signature started once the lock was read" "$started" 0
running=$(sed -n 's/.*cancelled, \([0-9]*\) running to finish.*/\1/p' "$T/agent.log" | tail -1)
ok "it waited for the running ones only, at most one per client (${running:-none})" \
	test -n "$running" -a "${running:-99}" -le 6
ok "  and in seconds, not the 15 s and more of a lock that waits for an idle moment" \
	test $((t1 - t0)) -lt 10000
ok "the agent is locked" locked
for p in $_bg_pids; do [ "$p" = "$AGENT_PID" ] || kill "$p" 2>/dev/null; done
xadd -X
stop_agent

# 2. A LOCK from a client that closes (or half-closes) at once.
start_agent
ssh-add -q "$T/ed" || bail ssh-add
"$RAW" -n 0 "$(lock_req 16 right)" >/dev/null
ok "LOCK then close at once: the agent locks" wait_for 10 locked
ok "unlock" xadd -X
is "LOCK then shutdown(SHUT_WR): the agent locks, and answers (nc -N)" \
	"$("$RAW" -S -n 1 -w 10000 "$(lock_req 16 right)")" "06"
ok "  locked" locked
"$RAW" -S -n 0 "$(lock_req 17 right)" >/dev/null
ok "UNLOCK then close at once: unlocked too (OpenSSH reads it all)" \
	wait_for 10 sh -c "ssh-add -T '$T/ed.pub'"
stop_agent

# 3. Nothing that waits signs after a lock, a remove-all, a removal or an
# expiry: confirm prompts are withdrawn (the askpass is killed), a
# security key's wait for a touch is cancelled on the token.
start_token one --touch 20000
start_agent --token "unix:$T/one.tok"
"$KEYGEN" -q -f "$T/sk" -N '' --token "unix:$T/one.tok" </dev/null ||
	bail "sk enroll"
touches() { grep -c "waiting for touch" "$T/one.log"; }
confirm_open() {	# N: the Nth confirm prompt is up
	wait_for 10 sh -c "[ \$(wc -l <'$T/confirm.pids' 2>/dev/null || echo 0) -ge $1 ]"
}
prompt_gone() { ! kill -0 "$(sed -n "${1}p" "$T/confirm.pids")" 2>/dev/null; }

# a touch pending, then a lock
ssh-add -q "$T/sk" || bail "ssh-add sk"
n0=$(touches)
ssh-add -T "$T/sk.pub" 2>/dev/null & pending=$!
wait_for 10 sh -c "[ \$(grep -c 'waiting for touch' '$T/one.log') -gt $n0 ]" ||
	bail "no touch awaited"
ok "a touch pending (20 s): ssh-add -x locks" xadd -x
ok "  the signature fails at once, not when the 20 s touch is over" \
	wait_for 5 sh -c "! kill -0 $pending 2>/dev/null"
wait "$pending"
ok "  with a failure" test $? -ne 0
like "  the token's wait was cancelled" \
	"$(grep 'security key sk.*cancelled\|cancelled:.*locked' "$T/agent.log" | tail -1)" \
	"cancelled"
ok "unlock" xadd -X

# a confirm prompt open, then a lock: the prompt goes, nothing is signed,
# and releasing it afterwards starts no touch
rm -f "$T/confirm.pids" "$T/release"
ssh-add -q -c "$T/sk" || bail "ssh-add -c sk"
n0=$(touches)
ssh-add -T "$T/sk.pub" 2>/dev/null & pending=$!
confirm_open 1 || bail "no confirm prompt"
ok "a confirm prompt open: ssh-add -x locks" xadd -x
ok "  the signature fails" wait_for 5 sh -c "! kill -0 $pending 2>/dev/null"
wait "$pending"
ok "  with a failure" test $? -ne 0
ok "  the prompt was withdrawn (askpass killed)" wait_for 5 prompt_gone 1
touch "$T/release"
sleep 0.5
is "  no touch was ever started for it" "$(touches)" "$n0"
ok "unlock" xadd -X

# remove-all, removal, expiry with a confirm prompt open (in-memory key)
for how in remove-all remove expire; do
	rm -f "$T/release"
	n=$(($(wc -l <"$T/confirm.pids") + 1))
	if [ "$how" = expire ]; then
		ssh-add -q -c -t 3 "$T/ed" || bail "ssh-add -c -t"
	else
		ssh-add -q -c "$T/ed" || bail "ssh-add -c"
	fi
	ssh-add -T "$T/ed.pub" 2>/dev/null & pending=$!
	confirm_open "$n" || bail "no confirm prompt ($how)"
	case $how in
	remove-all) ssh-add -q -D ;;
	remove) ssh-add -q -d "$T/ed.pub" ;;
	expire) ;;	# its 3 s run out while the prompt waits
	esac
	ok "$how with a confirm prompt open: the signature fails" \
		wait_for 10 sh -c "! kill -0 $pending 2>/dev/null"
	wait "$pending"
	ok "  with a failure (OpenSSH signs here)" test $? -ne 0
	ok "  the prompt was withdrawn" wait_for 5 prompt_gone "$n"
done
touch "$T/release"

# a touch pending, then remove-all
ssh-add -q "$T/sk" || bail "ssh-add sk"
n0=$(touches)
ssh-add -T "$T/sk.pub" 2>/dev/null & pending=$!
wait_for 10 sh -c "[ \$(grep -c 'waiting for touch' '$T/one.log') -gt $n0 ]" ||
	bail "no touch awaited"
ssh-add -q -D
ok "a touch pending, then ssh-add -D: the signature fails at once" \
	wait_for 5 sh -c "! kill -0 $pending 2>/dev/null"
wait "$pending"
ok "  with a failure" test $? -ne 0
stop_agent

# 4. Unlock guessing: every client waits for the same back-off, and no
# attempt (right or wrong) is evaluated before it has passed.  OpenSSH's
# schedule: after failure n, n x 100 ms (up to 10 s) before the next.
# 4a: the real step, six wrong guesses from three clients at once, each
# a fresh connection: at least 100+200+...+600 ms = 2.1 s in all.
start_agent
ssh-add -q "$T/ed" || bail ssh-add
xadd -x || bail lock
guess() { PW=$1 setsid ssh-add -X </dev/null >/dev/null 2>&1; }
# each reply's time; the agent answers failure n at the end of its n x 100 ms
timed() { guess "$1"; now_ms >>"$T/replies"; }
: >"$T/replies"
t0=$(now_ms)
pids=()
for c in 1 2 3; do
	(timed "wrong$c.1"; timed "wrong$c.2") & pids+=($!)
done
wait "${pids[@]}"
t1=$(now_ms)
ok "6 wrong guesses, 3 clients in parallel: at least 2100 ms ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -ge 2100
# failure n+1 is weighed only after failure n's n x 100 ms, and answered
# (n+1) x 100 ms later: replies n and n+1 are (n+1) x 100 ms apart and more
# (less 50 ms for the time a client takes to exit after its reply)
gaps=$(sort -n "$T/replies" | awk 'NR > 1 { printf "%d ", $1 - prev } { prev = $1 }')
ok "  one at a time: the replies' gaps ($gaps ms) are at least 200, 300, ... 600 ms" \
	awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); if (n != 5) exit 1
		for (i = 1; i <= n; i++) if (a[i] < (i + 1) * 100 - 50) exit 1 }'
like "  six failures counted, one after the other" \
	"$(grep 'unlock failed' "$T/agent.log" | tail -1)" "6 in a row.* in 600 ms"
# a 7th wrong guess; while its 700 ms run, the right password from another
# client waits too, and others are served
guess wrong7 & pending=$!
wait_for 10 grep -q "unlock failed (7 in a row)" "$T/agent.log" ||
	bail "7th guess"
tf=$(now_ms)
is "while the back-off runs, the agent answers others" \
	"$(ssh-add -l 2>&1)" "The agent has no identities."
guess right
rc=$?
tok=$(now_ms)
ok "the right password unlocks" test "$rc" -eq 0
ok "  but not before the 700 ms back-off has passed ($((tok - tf)) ms after the failure)" \
	test $((tok - tf)) -ge 600
wait "$pending"
ok "  the 7th guess failed" test $? -ne 0
stop_agent

# 4b: the whole schedule, 80 wrong guesses from 4 clients with a fresh
# connection each, the step scaled to 1 ms (SKAGENT_TEST_FAST_UNLOCK, a
# test-only knob): every failure waits n steps after the last, one at a
# time, so the total is at least 1+2+...+80 = 3240 steps (OpenSSH: 324 s).
SKAGENT_TEST_FAST_UNLOCK=1 start_agent
ssh-add -q "$T/ed" || bail ssh-add
xadd -x || bail lock
t0=$(now_ms)
pids=()
for c in 1 2 3 4; do
	(for i in $(seq 1 20); do guess "w$c.$i"; done) & pids+=($!)
done
wait "${pids[@]}"
t1=$(now_ms)
ok "80 wrong guesses from 4 parallel clients: at least 3240 steps of 1 ms ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -ge 3240
is "  each failure waited one step more than the last: 1, 2, ... 80 ms" \
	"$(sed -n 's/.*unlock failed (\([0-9]*\) in a row).* in \([0-9]*\) ms.*/\1:\2/p' "$T/agent.log" | tr '\n' ' ')" \
	"$(for i in $(seq 1 80); do printf '%d:%d ' "$i" "$i"; done)"
ok "the right password still unlocks" guess right
like "the test knob says so in the log" "$(grep 'TEST MODE' "$T/agent.log")" "step 1 ms"
ok "the agent survived it all" agent_alive
done_testing
