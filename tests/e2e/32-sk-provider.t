#!/bin/bash
# Stock OpenSSH's own security-key code against softtoken, through the test
# provider tests/sk-provider/libsk-softtoken.so: ssh-keygen -w enrolls,
# signs (-Y) and downloads resident keys (-K); ssh-add -S hands keys to a
# stock ssh-agent, which signs in its ssh-sk-helper; ssh -o
# SecurityKeyProvider logs in to a stock sshd with the key file; PINs come
# from SSH_ASKPASS.  Nothing of ours runs in that part but softtoken and
# the provider, so it vouches for the oracle every other softtoken test
# leans on.  Then the cross-checks: keys made by stock ssh-keygen are signed
# by skagent's token layer, and keys made by our token layer are signed by
# OpenSSH's (ssh-agent, ssh-sk-helper, provider).
. "$(dirname "$0")/lib.sh"

PROV=$TOP/tests/sk-provider/libsk-softtoken.so
ENROLL=$TOP/tests/helpers/sk-enroll
[ -f "$PROV" ] || bail "no $PROV: run make all-tests"
[ -x /usr/lib/openssh/ssh-sk-helper ] || bail "no ssh-sk-helper: install openssh-client"

start_token one
ONE_PID=$TOK_PID
start_token pin --pin 123456

cat >"$T/askpass" <<'AP'
#!/bin/sh
echo "$1" >>"$ASKPASS_LOG"
cat "$ASKPASS_ANSWER_FILE"
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_LOG=$T/askpass.log \
	ASKPASS_ANSWER_FILE=$T/pin
echo 123456 >"$T/pin"
export SKA_SOFTTOKEN=$T/one.tok

keyfield() { cut -d' ' -f1-2 "$1"; }

# 1. Enrollment: the provider from the environment or from -w.
ok "ssh-keygen -t ed25519-sk with SSH_SK_PROVIDER" env SSH_SK_PROVIDER="$PROV" \
	ssh-keygen -q -t ed25519-sk -N '' -C ed -f "$T/ed" </dev/null
ok "ssh-keygen -w PROVIDER -t ecdsa-sk" \
	ssh-keygen -q -w "$PROV" -t ecdsa-sk -N '' -C ec -f "$T/ec" </dev/null
like "an sk-ssh-ed25519 key" "$(cat "$T/ed.pub")" "^sk-ssh-ed25519@openssh.com AAAA.* ed$"
like "an sk-ecdsa key" "$(cat "$T/ec.pub")" "^sk-ecdsa-sha2-nistp256@openssh.com AAAA.* ec$"
out=$(SKA_SOFTTOKEN='' ssh-keygen -q -w "$PROV" -t ed25519-sk -N '' -f "$T/none" </dev/null 2>&1)
like "no token: ssh-keygen says device not found" "$out" "device not found"

# 2. SSHSIG signatures (ssh-keygen hands the provider the raw message).
echo "commit 1" >"$T/msg"
for k in ed ec; do
	rm -f "$T/msg.sig"
	ok "ssh-keygen -Y sign with the $k-sk key file" \
		ssh-keygen -q -w "$PROV" -Y sign -f "$T/$k" -n git "$T/msg" </dev/null
	echo "me $(cat "$T/$k.pub")" >"$T/allowed"
	ok "ssh-keygen -Y verify accepts it" ssh-keygen -q -Y verify -f "$T/allowed" \
		-I me -n git -s "$T/msg.sig" <"$T/msg"
	fails "and refuses it for other data" ssh-keygen -q -Y verify \
		-f "$T/allowed" -I me -n git -s "$T/msg.sig" <<<"commit 2"
done

# 3. A stock ssh-agent, which runs providers in ssh-sk-helper, only from -P.
SSH_AUTH_SOCK=$T/stock-default.sock
bg ssh-agent -D -a "$SSH_AUTH_SOCK" >/dev/null 2>>"$T/stock-default.log"
wait_for 10 test -S "$SSH_AUTH_SOCK" || bail "ssh-agent"
fails "stock ssh-agent refuses a provider outside its -P list" \
	ssh-add -q -S "$PROV" "$T/ed" </dev/null
# start_stock NAME TOKEN: a stock agent whose ssh-sk-helper (it inherits
# the agent's environment) reaches softtoken TOKEN; socket $T/NAME.sock.
start_stock() {
	SKA_SOFTTOKEN=$T/$2.tok bg ssh-agent -D -a "$T/$1.sock" -P "$PROV" \
		>/dev/null 2>>"$T/$1.log"
	wait_for 10 test -S "$T/$1.sock" || bail "ssh-agent $1"
}
start_stock stock one
SSH_AUTH_SOCK=$T/stock.sock
ok "ssh-add -S PROVIDER adds the ed25519-sk key" ssh-add -q -S "$PROV" "$T/ed" </dev/null
ok "SSH_SK_PROVIDER=PROVIDER ssh-add adds the ecdsa-sk key" \
	env SSH_SK_PROVIDER="$PROV" ssh-add -q "$T/ec" </dev/null
is "the stock agent holds both" "$(ssh-add -l | grep -c -- '-SK)$')" 2
ok "ssh-add -T: ssh-sk-helper signs with the ed25519-sk key" ssh-add -T "$T/ed.pub"
ok "ssh-add -T: and with the ecdsa-sk key" ssh-add -T "$T/ec.pub"

# 4. Logins: ssh with the key file and the provider, and through the agent.
start_sshd host
cat "$T/ed.pub" "$T/ec.pub" >>"$T/host/authorized_keys"
for k in ed ec; do
	SSH_OPTS=(-o "SecurityKeyProvider=$PROV" -i "$T/$k" -o IdentitiesOnly=yes)
	is "ssh -o SecurityKeyProvider logs in with the $k-sk key file" \
		"$(SSH_AUTH_SOCK='' ssh_to host echo in </dev/null)" in
done
SSH_OPTS=(-i "$T/ed" -o IdentitiesOnly=yes)
fails "without the provider (internal: no hidraw here) it cannot sign" \
	env -u SSH_SK_PROVIDER SSH_AUTH_SOCK='' ssh -F "$T/ssh_config" "${SSH_OPTS[@]}" host true </dev/null
SSH_OPTS=(-o "IdentityFile=$T/ec.pub" -o IdentitiesOnly=yes)
is "ssh through the stock agent logs in with the ecdsa-sk key" "$(ssh_to host echo in </dev/null)" in
like "sshd saw a security-key signature with user presence" \
	"$(grep 'Accepted publickey' "$T/host/sshd.log" | tail -n 1)" "ECDSA-SK"
SSH_OPTS=()

# 5. Resident keys on a token with a PIN: the PIN is asked, the key is
# found again by -K, and a second one for the same user is refused.
export SKA_SOFTTOKEN=$T/pin.tok
: >"$T/askpass.log"
ok "ssh-keygen -O resident on a token with a PIN (PIN from SSH_ASKPASS)" \
	ssh-keygen -q -w "$PROV" -t ed25519-sk -O resident -O application=ssh:res \
	-N '' -C res -f "$T/res" </dev/null
like "it asked for the PIN" "$(cat "$T/askpass.log")" "Enter PIN for authenticator"
out=$(ssh-keygen -q -w "$PROV" -t ed25519-sk -O resident -O application=ssh:res \
	-N '' -f "$T/res2" </dev/null 2>&1)
like "the same resident key again: already exists (CREDENTIAL_EXISTS)" "$out" \
	"already exists"
mkdir "$T/dl"
ok "ssh-keygen -K downloads it" sh -c 'cd "$1" && ssh-keygen -q -w "$2" -K -N "" </dev/null' \
	sh "$T/dl" "$PROV"
is "the downloaded key is the one made" "$(keyfield "$T/dl/id_ed25519_sk_rk_res.pub" 2>&1)" \
	"$(keyfield "$T/res.pub")"
rm -f "$T/msg.sig"
ok "and it signs" ssh-keygen -q -w "$PROV" -Y sign -f "$T/dl/id_ed25519_sk_rk_res" -n git \
	"$T/msg" </dev/null
echo "me $(cat "$T/res.pub")" >"$T/allowed"
ok "a signature ssh-keygen -Y verify accepts" ssh-keygen -q -Y verify -f "$T/allowed" \
	-I me -n git -s "$T/msg.sig" <"$T/msg"
echo 000000 >"$T/pin"
mkdir "$T/dl2"
fails "a wrong PIN: -K fails" sh -c 'cd "$1" && ssh-keygen -q -w "$2" -K -N "" </dev/null' \
	sh "$T/dl2" "$PROV"
echo 123456 >"$T/pin"

# 6. verify-required: the PIN is asked at each signature, and sshd's
# verify-required option sees the verified flag.
ok "ssh-keygen -O verify-required" ssh-keygen -q -w "$PROV" -t ecdsa-sk \
	-O verify-required -N '' -C uv -f "$T/uv" </dev/null
: >"$T/askpass.log"
rm -f "$T/msg.sig"
ok "ssh-keygen -Y sign asks the PIN and signs" ssh-keygen -q -w "$PROV" -Y sign \
	-f "$T/uv" -n git "$T/msg" </dev/null
like "the PIN prompt names the key" "$(cat "$T/askpass.log")" "^Enter PIN for ECDSA-SK key"
echo "me $(cat "$T/uv.pub")" >"$T/allowed"
ok "verified" ssh-keygen -q -Y verify -f "$T/allowed" -I me -n git -s "$T/msg.sig" <"$T/msg"
echo "verify-required $(cat "$T/uv.pub")" >>"$T/host/authorized_keys"
SSH_OPTS=(-o "SecurityKeyProvider=$PROV" -i "$T/uv" -o IdentitiesOnly=yes)
is "ssh logs in where authorized_keys says verify-required" \
	"$(SSH_AUTH_SOCK='' ssh_to host echo in </dev/null)" in
SSH_OPTS=()
start_stock stockpin pin
SSH_AUTH_SOCK=$T/stockpin.sock
ok "ssh-add -S: a stock agent takes it" ssh-add -q -S "$PROV" "$T/uv" </dev/null
: >"$T/askpass.log"
ok "ssh-add -T: ssh-agent asks the PIN (PIN_REQUIRED from the provider) and signs" \
	ssh-add -T "$T/uv.pub"
like "ssh-agent's PIN prompt" "$(cat "$T/askpass.log")" "Enter PIN"
echo 000000 >"$T/pin"
fails "a wrong PIN: no signature" ssh-add -T "$T/uv.pub"
echo 123456 >"$T/pin"

# 7. Keys made by stock ssh-keygen, signed by skagent's token layer: ssh-add
# of the file without a provider sends "internal", which is ours.
export -n SKA_SOFTTOKEN
start_agent --token "unix:$T/one.tok" --token "unix:$T/pin.tok"
ok "skagent takes the key files ssh-keygen made through the provider" \
	env -u SSH_SK_PROVIDER ssh-add -q "$T/ed" "$T/ec" "$T/dl/id_ed25519_sk_rk_res" </dev/null
for k in ed ec; do
	ok "skagent signs with the $k-sk key on the token, OpenSSH verifies" ssh-add -T "$T/$k.pub"
done
ok "and with the resident key downloaded by ssh-keygen -K (on the other token)" \
	ssh-add -T "$T/res.pub"
stop_agent
# A verify-required key hides from silent probes (credProtect 3): with
# several tokens the user touches the right one, so here skagent sees one.
start_agent --token "unix:$T/pin.tok"
ok "skagent takes the verify-required key file" \
	env -u SSH_SK_PROVIDER ssh-add -q "$T/uv" </dev/null
: >"$T/askpass.log"
ok "and signs with it, asking the PIN" ssh-add -T "$T/uv.pub"
like "skagent asked it" "$(cat "$T/askpass.log")" "Enter PIN"
SSH_OPTS=(-o "IdentityFile=$T/uv.pub" -o IdentitiesOnly=yes)
is "sshd's verify-required accepts skagent's signature" "$(ssh_to host echo in </dev/null)" in
SSH_OPTS=()
stop_agent

# 8. Keys made by our token layer, signed by OpenSSH through the provider:
# handed to the stock agent with the provider as ssh-add -S would.
SSH_AUTH_SOCK=$T/stock.sock
"$ENROLL" -d "unix:$T/one.tok" -S "$PROV" -c ours-ed >"$T/ours-ed.pub" ||
	bail "sk-enroll"
"$ENROLL" -d "unix:$T/one.tok" -t ecdsa-sk -S "$PROV" -c ours-ec >"$T/ours-ec.pub" ||
	bail "sk-enroll"
ok "the stock agent signs our ed25519-sk key through ssh-sk-helper and the provider" \
	ssh-add -T "$T/ours-ed.pub"
ok "and our ecdsa-sk key" ssh-add -T "$T/ours-ec.pub"
SSH_AUTH_SOCK=$T/stockpin.sock
"$ENROLL" -d "unix:$T/pin.tok" -v -p 123456 -S "$PROV" -c ours-uv >"$T/ours-uv.pub" ||
	bail "sk-enroll"
: >"$T/askpass.log"
ok "and our verify-required key, with the PIN it asks" ssh-add -T "$T/ours-uv.pub"
echo "verify-required $(cat "$T/ours-uv.pub")" >>"$T/host/authorized_keys"
SSH_OPTS=(-o "IdentityFile=$T/ours-uv.pub" -o IdentitiesOnly=yes)
is "sshd's verify-required accepts that signature" "$(ssh_to host echo in </dev/null)" in
SSH_OPTS=()

# 9. skagent with ssh-add -S: the agent signs through skagent-sk-helper
# (installed beside it, found through /proc/self/exe) and the provider.
SKA_SOFTTOKEN=$T/one.tok start_agent -P "$PROV"
ok "skagent takes a key with ssh-add -S (provider in its -P list)" \
	ssh-add -q -S "$PROV" "$T/ed" </dev/null
fails "and refuses a provider outside it" env SSH_SK_PROVIDER="$SOFTTOKEN" \
	ssh-add -q "$T/ec" </dev/null
ok "skagent signs through skagent-sk-helper and the provider" ssh-add -T "$T/ed.pub"
SSH_OPTS=(-o "IdentityFile=$T/ed.pub" -o IdentitiesOnly=yes)
ok "and ssh logs in with it" sh -c '[ "$(ssh -F "$1" "$2" "$3" "$4" "$5" host echo in </dev/null)" = in ]' \
	sh "$T/ssh_config" "${SSH_OPTS[@]}"
# A provider added through a forwarded agent (a session-bound client): as
# ssh-agent, refused unless -O allow-remote-pkcs11.
SSH_OPTS=(-A -o "IdentityFile=$T/ed.pub" -o IdentitiesOnly=yes)
fails "a forwarded client may not add a provider's key" \
	ssh_to host "ssh-add -q -S '$PROV' '$T/ec' </dev/null"
like "the agent says why" "$(cat "$T/agent.log")" "allow-remote-pkcs11"
fails "  it is not there" sh -c 'ssh-add -L | grep -q ecdsa-sk'
stop_agent
SKA_SOFTTOKEN=$T/one.tok start_agent -P "$PROV" -O allow-remote-pkcs11
ssh-add -q -S "$PROV" "$T/ed" </dev/null || bail "ssh-add -S"
ok "with -O allow-remote-pkcs11 it may" \
	ssh_to host "ssh-add -q -S '$PROV' '$T/ec' </dev/null"
ok "  and the key signs" ssh-add -T "$T/ec.pub"
SSH_OPTS=()
stop_agent
SKA_SOFTTOKEN=$T/pin.tok start_agent -P "$PROV"
ok "skagent takes the verify-required key with ssh-add -S" \
	ssh-add -q -S "$PROV" "$T/uv" </dev/null
: >"$T/askpass.log"
ok "it signs with the PIN it asks (PIN_REQUIRED from the provider first)" \
	ssh-add -T "$T/uv.pub"
ok "asking once" test "$(grep -c PIN "$T/askpass.log")" = 1
# A wrong PIN costs the token one retry, never a loop of them.
TOKPIN=$TOP/tests/helpers/token-pin
before=$("$TOKPIN" -d "unix:$T/pin.tok" -r)
echo 999999 >"$T/pin"
: >"$T/askpass.log"
fails "a wrong PIN: no signature" ssh-add -T "$T/uv.pub"
is "  one retry spent" "$("$TOKPIN" -d "unix:$T/pin.tok" -r)" $((before - 1))
is "  one question asked" "$(grep -c PIN "$T/askpass.log")" 1
echo 123456 >"$T/pin"
ok "  the right one works again" ssh-add -T "$T/uv.pub"
stop_agent
# A client that leaves during the touch: the helper is killed (the token
# drops the request) and the agent goes on.  Same state: the same token.
kill "$ONE_PID"
wait "$ONE_PID" 2>/dev/null
: >"$T/one.log"
start_token one --touch 10000
SKA_SOFTTOKEN=$T/one.tok start_agent -P "$PROV"
ssh-add -q -S "$PROV" "$T/ed" </dev/null || bail "ssh-add -S"
blob=$(cut -d' ' -f2 "$T/ed.pub" | base64 -d | od -An -tx1 | tr -d ' \n')
len=$(printf '%08x' $((${#blob} / 2)))
bg "$RAW" -n 1 "f:0d${len}${blob}0000000474657374""00000000" >/dev/null
# it leaves once the token waits, however long the way there took
wait_for 60 grep -q "waiting for touch" "$T/one.log"
kill "$BG_PID"
ok "a client that leaves: the helper's token request is dropped" \
	wait_for 30 grep -q "request dropped" "$T/one.log"
ok "the agent goes on" agent_alive
stop_agent
done_testing
