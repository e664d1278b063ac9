#!/bin/bash
# Hostile and clumsy clients: truncated, oversized, random, slow, many,
# pipelined and malformed requests.  The agent answers failure or closes
# the connection, and always goes on serving.  Also: a locked agent's
# memory holds no private key, and a failed unlock delays only its client.
. "$(dirname "$0")/lib.sh"

start_agent
ssh-keygen -q -t ed25519 -N '' -C robust -f "$T/id" || bail keygen
ssh-add -q "$T/id"
alive() { ssh-add -l >/dev/null 2>&1; }
raw() { "$RAW" -w 3000 "$@"; }

is "request identities by hand" "$(raw -n 1 f:0b | cut -c1-10)" 0c00000001
is "an empty frame gets failure" "$(raw -n 1 f:)" 05
for t in 01 03 07 08 18 14 15 1a 63 ff; do
	is "message type 0x$t gets failure" "$(raw -n 1 f:$t)" 05
done
is "legacy remove-all (9) works as 19" "$(raw -n 1 f:09)" 06
ssh-add -q "$T/id"
is "three pipelined requests, three replies in order" \
	"$(raw -n 3 f:0b f:01 f:0b | cut -c1-2 | tr '\n' ,)" "0c,05,0c,"
is "a frame of 256 KiB is read and refused" "$(raw -n 1 F:262144)" 05
is "a frame announced over 256 KiB closes the connection" "$(raw h:262145)" EOF
is "a 4 GiB announcement closes it too" "$(raw h:4294967295)" EOF
ok "alive after oversized frames" alive
raw -w 300 h:100 r:0b0000 >/dev/null
ok "a truncated frame, then hang-up: alive" alive
for i in 1 2 3 4 5 6 7 8; do raw -w 200 R:$((i * 700)) >/dev/null; done
ok "random bytes from eight clients: alive" alive
is "malformed lock (no password) gets failure, not an exit" "$(raw -n 1 f:16)" 05
is "lock with a truncated password gets failure" "$(raw -n 1 f:1600000010616263)" 05
is "sign with a key it does not hold gets failure" \
	"$(raw -n 1 f:0d0000000400000000000000000000000000)" 05
is "sign request cut short gets failure" "$(raw -n 1 f:0d000000)" 05
is "add identity of garbage gets failure" "$(raw -n 1 f:11000000036162630000)" 05
is "an unknown extension gets failure" \
	"$(raw -n 1 f:1b000000076e6f2d73756368)" 05
like "query lists the extensions" "$(raw -n 1 f:1b000000057175657279)" \
	"^1d0000000571756572790000000571756572790000001873657373696f6e2d62696e64"
is "a malformed session-bind gets SSH_AGENT_EXTENSION_FAILURE" \
	"$(raw -n 1 f:1b0000001873657373696f6e2d62696e64406f70656e7373682e636f6d00)" 1c
ok "alive after malformed requests" alive

# slow and silent clients do not hold others up
idle=
for i in $(seq 1 200); do "$RAW" -H 2 -n 0 f: >/dev/null & idle="$idle $!"; done
bg "$RAW" -d 400 -n 1 f:0b >"$T/slow.out"
slow=$BG_PID
sleep 0.3
ok "with a slow client and 200 idle ones, ssh-add still works" ssh-add -T "$T/id.pub"
ok "the slow client is still trickling" kill -0 "$slow"
wait "$slow"
like "and is answered in the end" "$(cat "$T/slow.out")" "^0c00000001"
wait $idle

# a client that sends requests and never reads the answers
"$RAW" -w 1 -n 0 $(for i in $(seq 1 2000); do echo f:0b; done) >/dev/null
ok "a client that never reads: alive" alive

# a locked agent's memory holds no private key
seed=$(sed -e '1d' -e '$d' "$T/id" | base64 -d | tail -c +162 | head -c 32 | od -An -tx1 | tr -d ' \n')
if [ "$(id -u)" = 0 ] && [ ${#seed} = 64 ]; then
	ok "the private key is in the agent's memory (the scan works)" "$MEMSCAN" "$AGENT_PID" "$seed"
	cat >"$T/askpass" <<-'AP'
	#!/bin/sh
	cat "$ASKPASS_ANSWER_FILE"
	AP
	chmod +x "$T/askpass"
	echo sekrit >"$T/answer"
	askpass() { ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass \
		SSH_ASKPASS_REQUIRE=force setsid "$@" </dev/null >/dev/null 2>&1; }
	ok "lock" askpass ssh-add -x
	"$MEMSCAN" "$AGENT_PID" "$seed"
	is "locked: the private key is nowhere in the agent's memory" $? 1
	ok "unlock" askpass ssh-add -X
	ok "unlocked: it signs again" ssh-add -T "$T/id.pub"
	ssh-add -q -D
	"$MEMSCAN" "$AGENT_PID" "$seed"
	is "after ssh-add -D the key is wiped from memory" $? 1
else
	skip "memory scan needs root (to read a non-dumpable process)"
fi

# a failed unlock delays its own client only
ssh-add -q "$T/id"
echo right >"$T/answer"
ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	setsid ssh-add -x </dev/null >/dev/null 2>&1
echo wrong >"$T/answer"
for i in 1 2 3 4 5 6 7 8 9; do
	ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
		setsid ssh-add -X </dev/null >/dev/null 2>&1
done
ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	setsid ssh-add -X </dev/null >/dev/null 2>&1 &
pending=$!
sleep 0.3
is "while a failed unlock waits out its delay, others are answered" \
	"$(ssh-add -l 2>&1)" "The agent has no identities."
ok "the failed unlock is still waiting" kill -0 "$pending"
wait "$pending"
is "and it failed" $? 1
ok "the agent survived everything" agent_alive
done_testing
