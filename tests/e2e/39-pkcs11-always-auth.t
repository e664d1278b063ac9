#!/bin/bash
# A PKCS#11 key that needs the PIN for every signature
# (CKA_ALWAYS_AUTHENTICATE, as a YubiKey's PIV slot 9c): SoftHSMv2 holds
# one (made by tests/helpers/p11-always-auth; first checked to be enforced
# by the module), stock ssh-add -s lists it, and each signature asks the
# PIN: through SSH_ASKPASS, or on the requester's terminal (a tmux pane,
# the PIN not shown).  A wrong PIN fails, told, never tried again; no way
# to ask fails with the reason; a lock withdraws the question; the PIN is
# never in the agent's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux.sh"

MK=$TOP/tests/helpers/p11-always-auth
PIN=314159
[ -f "$P11MOD" ] || bail "no $P11MOD: install softhsm2"
d=$T/softhsm
mkdir -p "$d/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$d/tokens" >"$d/softhsm2.conf"
export SOFTHSM2_CONF=$d/softhsm2.conf
softhsm2-util --init-token --free --label card --pin $PIN --so-pin 12345678 \
	>/dev/null || bail "softhsm2-util --init-token"
"$MK" "$P11MOD" $PIN sig9c || bail "no always-authenticate key made"

# without the context-specific login SoftHSMv2 refuses the signature
# (CKR_USER_NOT_LOGGED_IN, 0x101): what follows proves something
is "SoftHSMv2 enforces CKA_ALWAYS_AUTHENTICATE" \
	"$("$MK" -c "$P11MOD" $PIN sig9c 2>/dev/null | tr '\n' ' ')" \
	"without: 0x101 wrong: 0x101 with: 0x0 "
ssh-keygen -D "$P11MOD" 2>/dev/null | cut -d' ' -f1-2 >"$T/card.pub"
[ -s "$T/card.pub" ] || bail "stock ssh-keygen -D sees no key"

start_sshd host
cat "$T/card.pub" >>"$T/host/authorized_keys"
me=$(id -un)
LOGIN="ssh -F $T/ssh_config -o IdentitiesOnly=yes -o IdentityFile=$T/card.pub host echo logged-in"
add_card() { answers $PIN; with_askpass ssh-add -q -s "$P11MOD"; }

# 1. askpass: the agent runs with SSH_ASKPASS, forced
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force start_agent
ok "ssh-add -s adds the token" add_card
is "ssh-add -L lists the key, as stock ssh-keygen -D reads it" \
	"$(ssh-add -L | cut -d' ' -f1-2)" "$(cat "$T/card.pub")"
like "ssh-add -l: its label is the comment" "$(ssh-add -l)" " sig9c \(ECDSA\)$"
answers $PIN $PIN
is "ssh logs in, the PIN given through askpass" "$($LOGIN </dev/null)" logged-in
like "askpass asked for the smartcard's PIN" "$(cat "$T/askpass.log")" \
	"^Enter PIN for smartcard key sig9c \(ECDSA SHA256:"
ok "and ssh-add -T signs, the PIN asked again" ssh-add -T "$T/card.pub"
is "one question for each signature" "$(wc -l <"$T/askpass.log")" 2

answers 000000 $PIN
fails "a wrong PIN: no login" $LOGIN </dev/null
is "asked once: nothing is tried again" "$(wc -l <"$T/askpass.log")" 1
like "the agent says why" "$(cat "$T/agent.log")" "sig9c.*failed: .*PIN"
like "the helper says the card refused the login" "$(cat "$T/agent.log")" \
	"context-specific login failed: 0xa0"

answers ""
fails "no PIN given (askpass answers nothing): no signature" \
	ssh-add -T "$T/card.pub"
like "the log says so" "$(cat "$T/agent.log")" "no PIN given for smartcard key sig9c"
answers "$(printf '%0300d' 7)"
fails "a PIN of 300 digits: no signature" ssh-add -T "$T/card.pub"
like "refused before it reaches the helper" "$(cat "$T/agent.log")" \
	"PIN for smartcard key sig9c: longer than 256 bytes"
answers $PIN
ok "the helper still serves the next signature" ssh-add -T "$T/card.pub"
fails "the PIN is never in the agent's log" grep -q $PIN "$T/agent.log"
stop_agent

# 2. no display, no askpass: no terminal either (setsid) fails with why
start_agent
ok "ssh-add -s (its own PIN through ssh-add's askpass)" add_card
fails "no way to ask: the signature fails" setsid ssh-add -T "$T/card.pub" </dev/null
like "with the reason" "$(cat "$T/agent.log")" \
	"sig9c is needed for each signature but cannot be asked: no display for askpass, and no terminal"

# 3. the requester's terminal
tmux_start one
before=$(tmux_stty one)
tmux_run one "$LOGIN"
ok "the PIN is asked on the requester's terminal" tmux_wait one 20 "^PIN: ?$"
like "in a smartcard's words: the key, the destination as typed" \
	"$(tmux_screen one)" \
	"^Enter the PIN of your smartcard \(sig9c\) to log in to $me@host port $SSHD_PORT$"
tmux_type one "$PIN"
tmux_keys one Enter
ok "ssh logs in with the PIN typed" tmux_wait one 20 "^logged-in$"
tmux_prompt one
fails "the PIN never appears in the pane" grep -q $PIN <<<"$(tmux_screen one)"
is "the terminal's modes are as before" "$(tmux_stty one)" "$before"

tmux_clear one
tmux_run one "$LOGIN"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
tmux_type one 000000
tmux_keys one Enter
ok "a wrong PIN: the pane says so" tmux_wait one 20 "^skagent: wrong PIN for sig9c$"
ok "and ssh goes on without the key" tmux_wait one 20 "Permission denied"
tmux_prompt one
is "the PIN was asked once" "$(tmux_screen one | grep -c '^PIN:')" 1

# a lock while the question is open withdraws it
tmux_clear one
tmux_run one "$LOGIN"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
answers lockpw lockpw
ok "ssh-add -x while the PIN is asked" with_askpass ssh-add -x
ok "the question is withdrawn, the pane says why" \
	tmux_wait one 10 "^skagent: question withdrawn: the agent was locked$"
ok "ssh goes on without the key" tmux_wait one 20 "Permission denied"
tmux_prompt one
is "the terminal's modes are as before (lock)" "$(tmux_stty one)" "$before"
answers lockpw
ok "ssh-add -X unlocks" with_askpass ssh-add -X
fails "the PIN is never in the agent's log" grep -q $PIN "$T/agent.log"
ok "the agent survived it all" agent_alive
done_testing
