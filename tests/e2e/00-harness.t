#!/bin/bash
# The harness itself: a test sshd on 127.0.0.1 accepts a key from stock
# OpenSSH's ssh-agent, so later failures are ours, not the harness's.
. "$(dirname "$0")/lib.sh"

start_sshd alpha
ssh-keygen -q -t ed25519 -N '' -f "$T/id" || bail keygen
eval "$(ssh-agent -s -a "$T/stock.sock")" >/dev/null
_bg_pids="$_bg_pids $SSH_AGENT_PID"
ok "stock ssh-add loads a key into stock ssh-agent" ssh-add -q "$T/id"
fails "login refused before the key is authorised" ssh_to alpha true
cat "$T/id.pub" >>"$T/alpha/authorized_keys"
is "login with the agent's key runs a command" "$(ssh_to alpha echo hello)" hello
done_testing
