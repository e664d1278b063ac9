#!/bin/bash
# agent-copy-id with security-key keys held by skagent: the flags come from
# the key-info@skagent.org extension, so keys made no-touch-required or
# verify-required get the authorized_keys option sshd needs, and the user
# logs in with them right after.  ssh-copy-id installs them bare.
. "$(dirname "$0")/lib.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
R=$T/rhome
AK=$R/.ssh/authorized_keys
mkdir -p "$R"
chmod 755 "$R"
SSHD_MORE_AUTHKEYS="$AK" start_sshd host "SetEnv HOME=$R"
ssh-keygen -q -t ed25519 -N '' -C bootstrap -f "$T/boot" || bail keygen
cat "$T/boot.pub" >>"$T/host/authorized_keys"
cat >>"$T/ssh_config" <<CONF
Host boot
  HostName 127.0.0.1
  Port $SSHD_PORT
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  IdentityFile $T/boot
  IdentitiesOnly yes
  ConnectTimeout 10
  LogLevel ERROR
CONF

bg "$SOFTTOKEN" --socket "$T/tok" --pin 123456 2>"$T/tok.log"
wait_for 10 test -S "$T/tok" || bail softtoken
cat >"$T/askpass" <<'AP'
#!/bin/sh
echo 123456
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force
start_agent --token "unix:$T/tok"
"$ENROLL" -d "unix:$T/tok" -c plain-sk >"$T/plain.pub" || bail enroll
"$ENROLL" -d "unix:$T/tok" -n -c notouch-sk >"$T/nt.pub" || bail enroll
"$ENROLL" -d "unix:$T/tok" -v -p 123456 -c uv-sk >"$T/uv.pub" || bail enroll
is "the agent holds three sk keys" "$(ssh-add -l | wc -l)" 3

out=$(HOME=$T/lhome "$COPYID" -F "$T/ssh_config" boot 2>&1)
is "agent-copy-id installs them (exit 0)" "$?" 0
like "the plain key goes in bare" "$out" "added: sk-ssh-ed25519@openssh.com .* plain-sk$"
like "the no-touch key gets no-touch-required" "$out" "notouch-sk \(with no-touch-required\)"
like "the verify-required key gets verify-required" "$out" "uv-sk \(with verify-required\)"
like "authorized_keys: no-touch-required line" "$(cat "$AK")" "^no-touch-required sk-ssh-ed25519@openssh.com "
like "authorized_keys: verify-required line" "$(cat "$AK")" "^verify-required sk-ssh-ed25519@openssh.com "
for k in plain nt uv; do
	SSH_OPTS=(-o "IdentityFile=$T/$k.pub" -o IdentitiesOnly=yes)
	is "then ssh logs in with the $k key through the agent" "$(ssh_to host echo in)" in
done
SSH_OPTS=()
out=$(HOME=$T/lhome "$COPYID" -F "$T/ssh_config" boot 2>&1)
like "a second run adds nothing" "$out" "0 keys added, 3 already installed"

# the same keys through stock ssh-copy-id: installed bare, so sshd refuses
# the no-touch key's signatures
rm -f "$AK"
mkdir -p "$T/lhome/.ssh"	# ssh-copy-id needs one for its temporary files
HOME=$T/lhome ssh-copy-id -f -F "$T/ssh_config" boot >"$T/sci.out" 2>&1 || diag_file "$T/sci.out"
is "ssh-copy-id installs the keys too" "$(grep -c sk-ssh "$AK")" 3
fails "but without no-touch-required, which it cannot know" grep -q "^no-touch-required" "$AK"
SSH_OPTS=(-o "IdentityFile=$T/nt.pub" -o IdentitiesOnly=yes)
fails "so the no-touch key cannot log in after ssh-copy-id" ssh_to host true
SSH_OPTS=()
ok "the agent is fine" agent_alive
done_testing
