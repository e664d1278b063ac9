#!/bin/bash
# Security-key keys held by skagent, signed on software tokens, verified by
# stock OpenSSH: ssh-add -T, ssh-keygen -Y and sshd logins; PINs asked once;
# touch refused, token gone and back, a client that leaves cancels its
# touch, and in-memory keys are served while a touch is pending.
. "$(dirname "$0")/lib.sh"

# mk_sk TOKEN NAME [agent-keygen args...]: a key made by agent-keygen on
# token TOKEN in $T/NAME, loaded into the agent by stock ssh-add
mk_sk() {
	local tok=$1 name=$2
	shift 2
	rm -f "$T/$name" "$T/$name.pub"
	"$KEYGEN" -q -f "$T/$name" -N '' --token "unix:$T/$tok.tok" "$@" \
		</dev/null && ssh-add -q "$T/$name" 2>/dev/null
}
start_token one
start_token two --pin 123456
start_agent --token "unix:$T/one.tok" --token "unix:$T/two.tok"

mk_sk one ed -C ed-sk || bail enroll
mk_sk two ec -t ecdsa-sk -C ec-sk || bail enroll
is "the agent holds both sk keys" "$(ssh-add -l | grep -c -- '-SK)')" 2
ok "ed25519-sk: the agent signs on token one, OpenSSH verifies" ssh-add -T "$T/ed.pub"
ok "ecdsa-sk: on token two, found without being told which" ssh-add -T "$T/ec.pub"
like "the log names the token that signed" "$(grep 'signed with\|User presence' "$T/agent.log" | tail -1)" "confirmed|two.tok"

# git-style signatures with an sk key
echo commit >"$T/msg"
ok "ssh-keygen -Y sign with the sk key in the agent" \
	ssh-keygen -q -Y sign -f "$T/ed.pub" -n git "$T/msg"
echo "me@example $(cat "$T/ed.pub")" >"$T/allowed"
ok "ssh-keygen -Y verify accepts it" ssh-keygen -q -Y verify -f "$T/allowed" \
	-I me@example -n git -s "$T/msg.sig" <"$T/msg"

# logins: sshd checks the user-presence flag itself
start_sshd host
cat "$T/ed.pub" "$T/ec.pub" >>"$T/host/authorized_keys"
for k in ed ec; do
	SSH_OPTS=(-o "IdentityFile=$T/$k.pub" -o IdentitiesOnly=yes)
	is "ssh logs in with the agent's $k-sk key" "$(ssh_to host echo in)" in
done
mk_sk one nt -O no-touch-required -C notouch || bail enroll
SSH_OPTS=(-o "IdentityFile=$T/nt.pub" -o IdentitiesOnly=yes)
cp "$T/host/authorized_keys" "$T/ak.orig"
cat "$T/nt.pub" >>"$T/host/authorized_keys"
fails "no-touch key: sshd refuses it without no-touch-required" ssh_to host true
{ cat "$T/ak.orig"; echo "no-touch-required $(cat "$T/nt.pub")"; } >"$T/host/authorized_keys"
is "with no-touch-required it logs in" "$(ssh_to host echo in)" in
SSH_OPTS=()

# verify-required: the agent asks the PIN once through SSH_ASKPASS.  Such
# a key hides from silent probes (credProtect 3), so with several tokens
# the user touches the right one; here the agent sees only token two.
stop_agent
cat >"$T/askpass" <<'AP'
#!/bin/sh
echo "$1" >>"$ASKPASS_LOG"
cat "$ASKPASS_ANSWER_FILE"
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_LOG=$T/askpass.log \
	ASKPASS_ANSWER_FILE=$T/pin
echo 123456 >"$T/pin"
start_agent --token "unix:$T/two.tok"
mk_sk two uv -O verify-required -C uv-sk || bail enroll uv
ok "verify-required: signs with the PIN from SSH_ASKPASS" ssh-add -T "$T/uv.pub"
like "the PIN prompt names the key" "$(grep PIN "$T/askpass.log" | tail -1)" \
	"^Enter PIN and confirm user presence for ED25519-SK key SHA256:"
echo "verify-required $(cat "$T/uv.pub")" >>"$T/host/authorized_keys"
SSH_OPTS=(-o "IdentityFile=$T/uv.pub" -o IdentitiesOnly=yes)
is "sshd accepts the verified signature (verify-required)" "$(ssh_to host echo in)" in
SSH_OPTS=()
echo 000000 >"$T/pin"
fails "a wrong PIN fails the signature" ssh-add -T "$T/uv.pub"
like "the log says so, with the tries left" "$(grep -i 'wrong PIN' "$T/agent.log" | tail -1)" \
	"wrong PIN, 7 tries left"
is "one PIN prompt per request: never a loop" "$(grep -c 'Enter PIN' "$T/askpass.log")" 3
echo 123456 >"$T/pin"
ok "the right PIN works again (one retry spent, not more)" ssh-add -T "$T/uv.pub"
stop_agent
start_agent --token "unix:$T/one.tok" --token "unix:$T/two.tok"
ssh-add -q "$T/ed" 2>/dev/null || bail ssh-add

# touch refused (SIGUSR1 toggles softtoken to deny), then allowed again
eval "kill -USR1 \$TOK_PID_one"
fails "touch refused: the signature fails" ssh-add -T "$T/ed.pub"
like "the log says touch refused" "$(grep -i 'failed' "$T/agent.log" | tail -1)" "touch refused"
eval "kill -USR1 \$TOK_PID_one"
ok "touch allowed again: it signs" ssh-add -T "$T/ed.pub"

# the token goes away and comes back (same state file: the same token)
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
fails "token gone: the signature fails" ssh-add -T "$T/ed.pub"
ok "and the agent goes on" ssh-add -l
start_token one
ok "token back: the same key signs again" ssh-add -T "$T/ed.pub"

# a pending touch does not hold up in-memory keys
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
start_token one --touch 3000
ssh-keygen -q -t ed25519 -N '' -f "$T/mem" && ssh-add -q "$T/mem"
ssh-add -T "$T/ed.pub" & pending=$!
sleep 0.3
ok "while a touch is pending, in-memory keys sign" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do ssh-add -T '$T/mem.pub' || exit 1; done"
ok "and the sk signature is still waiting for its touch" kill -0 $pending
wait $pending
is "then it completes" $? 0

# the token vanishes in the middle of a signature (while it waits for the
# touch): the client gets a failure at once, the agent goes on
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
: >"$T/one.log"
start_token one --touch 20000
ssh-add -T "$T/ed.pub" 2>/dev/null & pending=$!
wait_for 5 grep -q "waiting for touch" "$T/one.log" || bail "no touch awaited"
eval "kill -KILL \$TOK_PID_one; wait \$TOK_PID_one" 2>/dev/null
ok "token gone mid-signature: the client hears within 10 s" \
	wait_for 10 sh -c "! kill -0 $pending 2>/dev/null"
wait "$pending"; rc=$?
ok "  with a failure" test "$rc" -ne 0
ok "  and the agent goes on" agent_alive
start_token one
ok "  token back: it signs again" ssh-add -T "$T/ed.pub"

# a client that leaves cancels its touch; the token is free at once after
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
start_token one --touch 5000
blob=$(cut -d' ' -f2 "$T/ed.pub" | base64 -d | od -An -tx1 | tr -d ' \n')
len=$(printf '%08x' $((${#blob} / 2)))
timeout 1 "$RAW" -n 1 "f:0d${len}${blob}0000000474657374""00000000" >/dev/null
ok "the client left: the token operation was cancelled, not waited out" \
	wait_for 3 grep -q "cancelled: the client left (operation cancelled)" "$T/agent.log"
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
start_token one
ok "the token serves the next request" ssh-add -T "$T/ed.pub"
ok "the agent survived it all" agent_alive

# SIGTERM while a touch is pending: the agent cancels and leaves at once
eval "kill \$TOK_PID_one; wait \$TOK_PID_one"
start_token one --touch 20000
ssh-add -T "$T/ed.pub" 2>/dev/null & pending=$!
sleep 0.5
kill -TERM "$AGENT_PID"
ok "SIGTERM during a 20 s touch: the agent exits within 3 s" \
	wait_for 3 sh -c "! kill -0 $AGENT_PID"
ok "its socket is gone" test ! -e "$SSH_AUTH_SOCK"
wait $pending
done_testing
