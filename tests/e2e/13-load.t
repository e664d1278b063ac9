#!/bin/bash
# Load and faults: a thousand clients at once, clients that vanish in the
# middle of a request, signals while busy, and the file descriptor limit.
. "$(dirname "$0")/lib.sh"
valgrind_skip "1000 clients at once and deadlines of seconds measure speed (make check SANITIZE=1 runs it under ASan)"

ssh-keygen -q -t ed25519 -N '' -f "$T/ed" && ssh-keygen -q -t rsa -b 4096 -N '' -f "$T/rsa" ||
	bail keygen
sign_req() {	# PUBFILE FLAGS: a sign request for that key over 32 bytes
	local blob len
	blob=$(cut -d' ' -f2 "$1" | base64 -d | od -An -tx1 | tr -d ' \n')
	len=$(printf '%08x' $((${#blob} / 2)))
	echo "f:0d${len}${blob}00000020$(printf '%064d' 0)$2"
}

(ulimit -n 4096; exec "$SKAGENT" -D -a "$T/agent.sock" >"$T/agent.out" 2>"$T/agent.log") &
AGENT_PID=$!
_bg_pids="$_bg_pids $AGENT_PID"
export SSH_AUTH_SOCK=$T/agent.sock
wait_for 10 test -S "$SSH_AUTH_SOCK" || bail "agent did not start"
ssh-add -q "$T/ed" "$T/rsa"

is "1000 clients at once, each listing keys: all answered" \
	"$("$RAW" -w 10000 -C 1000 f:0b)" "1000 answered"
is "1000 clients at once, each signing with ed25519: all answered" \
	"$("$RAW" -w 20000 -C 1000 "$(sign_req "$T/ed.pub" 00000000)")" "1000 answered"
ok "then ssh-add still works" ssh-add -T "$T/ed.pub"

# clients that leave before their answer is ready
for i in $(seq 1 20); do
	"$RAW" -w 1 -n 0 "$(sign_req "$T/rsa.pub" 00000004)" >/dev/null
done
"$RAW" -w 1 -n 0 h:1000 r:0b >/dev/null
ok "clients gone mid-request (slow RSA signatures, half frames): alive" \
	ssh-add -T "$T/rsa.pub"

# SIGUSR1 while busy: keys dropped, the agent goes on
"$RAW" -w 10000 -C 50 "$(sign_req "$T/rsa.pub" 00000004)" >/dev/null &
sleep 0.2
kill -USR1 "$AGENT_PID"
ok "SIGUSR1 while busy: keys dropped" wait_for 5 sh -c '! ssh-add -l >/dev/null 2>&1'
ok "and the agent goes on" ssh-add -q "$T/ed"
wait $!

# SIGTERM while busy: socket removed, exit at once
ssh-add -q "$T/rsa"
"$RAW" -w 10000 -C 50 "$(sign_req "$T/rsa.pub" 00000004)" >/dev/null &
sleep 0.2
kill -TERM "$AGENT_PID"
ok "SIGTERM while fifty RSA signatures are queued: gone within 3 s" \
	wait_for 3 sh -c "! kill -0 $AGENT_PID"
ok "socket removed" test ! -e "$SSH_AUTH_SOCK"
wait $! 2>/dev/null

# the file descriptor limit: refuse while full, recover after
(ulimit -n 40; exec "$SKAGENT" -D -a "$T/agent.sock" >"$T/agent.out" 2>"$T/agent2.log") &
AGENT_PID=$!
_bg_pids="$_bg_pids $AGENT_PID"
wait_for 10 test -S "$SSH_AUTH_SOCK" || bail "agent did not start"
ssh-add -q "$T/ed"
"$RAW" -H 3 -w 6000 -C 60 f:0b >"$T/held.out" &
held=$!
sleep 1
like "at the limit the agent says so" "$(cat "$T/agent2.log")" "refusing new clients"
ok "the agent is still alive" kill -0 "$AGENT_PID"
wait $held
like "the held clients are answered as room frees" "$(cat "$T/held.out")" "answered"
ok "afterwards it serves new clients again" ssh-add -T "$T/ed.pub"
ok "still alive" kill -0 "$AGENT_PID"
done_testing
