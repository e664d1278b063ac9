#!/bin/bash
# One-command enrollment: agent-keygen on a new security key (no PIN) with
# -O verify-required -O resident asks for the new PIN there and then
# (typed in a tmux pane as a person types it; held to the key's minimum
# length before it is sent), sets it, makes the key with it, and says
# what to do next; the agent then signs with it.  With SSH_ASKPASS the
# same; a key that makes resident keys only behind a PIN gets one on the
# way; with nobody to ask it stops before the touch and names agent-token
# pin.  The token's state is read back by python-fido2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pane.sh"

PY=$TOP/tests/helpers/fido2-client.py
command -v tmux >/dev/null || bail "no tmux: run make check (scripts/deps)"
/usr/bin/python3 -c 'import fido2' 2>/dev/null || bail "no python3-fido2: run make check"
export HOME=$T/home
mkdir -p "$HOME"
cd "$T" || bail cd
py() { local t=$1; shift; /usr/bin/python3 "$PY" "$T/$t.tok" "$@"; }
makecreds() { grep -c "makeCredential" "$T/$1.log"; }

# 1. A new key, a person at the terminal
start_token new --min-pin-length 6
pane_start kg "'$KEYGEN' -f '$T/id' -N '' -O verify-required -O resident --token 'unix:$T/new.tok'"
ok "the offer, before any touch" pane_wait kg \
	"The security key unix:$T/new.tok has no PIN, and a verify-required key signs only after it is given."
ok "  with the key's minimum length" pane_wait kg "Choose its PIN now \(6 to 63 characters\):"
pane_wait kg 'Enter new PIN for authenticator: $'
is "  nothing made yet" "$(makecreds new)" 0
pane_type kg 12345
ok "a PIN too short: refused on the spot" \
	pane_wait kg "PIN too short: this security key takes 6 to 63 characters."
pane_wait kg 'Enter new PIN for authenticator: $'
pane_type kg 246810
pane_wait kg 'Enter same PIN again: $'
pane_type kg 246810
ok "PIN set" pane_wait kg "^PIN set.$"
ok "then the touch" pane_wait kg "You may need to touch your authenticator to authorize key generation."
ok "the next steps" pane_wait kg \
	"Next: \"ssh-add $T/id\" loads it into the agent, \"agent-copy-id user@host\" installs it on a server."
is "exit 0" "$(pane_exit kg)" 0
ok "  no PIN shown" sh -c '! grep -q 246810 "$1"' sh <(pane_text kg)
is "python-fido2: the PIN is the one typed" "$(FIDO2_PIN=246810 py new pin-ok -)" ok
is "  one resident key, credProtect 3 (verify-required)" \
	"$(FIDO2_PIN=246810 py new creds - | jq -r '.credentials[] | "\(.rp) \(.credProtect)"')" "ssh: 3"
# the agent signs with it, asking the PIN as ssh-agent does
printf '#!/bin/sh\necho "$1" >>"%s"\necho 246810\n' "$T/agent-askpass.log" >"$T/agent-askpass"
chmod 755 "$T/agent-askpass"
SSH_ASKPASS=$T/agent-askpass SSH_ASKPASS_REQUIRE=force start_agent --token "unix:$T/new.tok"
ssh-add -q id 2>/dev/null
ok "the agent signs with it" ssh-add -T id.pub
like "  asking its PIN: the key file says verify-required" "$(cat "$T/agent-askpass.log")" \
	"Enter PIN and confirm user presence for ED25519-SK key"

# 2. An empty PIN at the offer stops there
start_token empty
pane_start e "'$KEYGEN' -f '$T/e' -N '' -O verify-required --token 'unix:$T/empty.tok'"
pane_wait e 'Enter new PIN for authenticator: $'
pane_type e ""
ok "an empty PIN: stops" pane_wait e "No PIN set: no PIN given"
is "  exit 1" "$(pane_exit e)" 1
ok "  no file" test ! -e e -a ! -e e.pub
is "  nothing made on the token" "$(makecreds empty)" 0

# 3. No terminal: SSH_ASKPASS asks the same
start_token ap
answers 1357 1357
out=$(with_askpass "$KEYGEN" -q -f "$T/ap" -N '' -O verify-required --token "unix:$T/ap.tok" 2>&1)
is "askpass: exit 0" "$?" 0 || diag "$out"
is "  asked twice, as ssh-keygen asks" "$(cat "$T/askpass.log")" "Enter new PIN for authenticator: 
Enter same PIN again: "
is "  python-fido2: PIN set" "$(FIDO2_PIN=1357 py ap pin-ok -)" ok

# 4. A key that makes resident keys only behind a PIN: one is set on the way
start_token rk --rk-needs-pin
answers 8642 8642
out=$(with_askpass "$KEYGEN" -f "$T/rk" -N '' -O resident --token "unix:$T/rk.tok" --add 2>&1)
is "resident on a key that wants a PIN: exit 0" "$?" 0 || diag "$out"
like "  saying why it asks" "$out" "has no PIN, and it makes resident keys only behind one."
is "  the new PIN asked twice, not the PIN again" "$(cat "$T/askpass.log")" \
	"Enter new PIN for authenticator: 
Enter same PIN again: "
like "  with --add, the next step is agent-copy-id" "$out" \
	"Next: \"agent-copy-id user@host\" installs it on a server."
is "  python-fido2: one resident key behind PIN 8642" \
	"$(FIDO2_PIN=8642 py rk creds - | jq -r .existing)" 1

# 5. Nobody to ask (no terminal, no askpass): stop before the touch
start_token none
before=$(makecreds none)
out=$(setsid -w "$KEYGEN" -f "$T/none" -N '' -O verify-required -O resident \
	--token "unix:$T/none.tok" </dev/null 2>&1)
is "nobody to ask: exit 1" "$?" 1
like "  naming the command that sets a PIN" "$out" \
	"set one with \"agent-token --token unix:$T/none.tok pin\", then run agent-keygen again.$"
is "  before any touch" "$(makecreds none)" "$before"
ok "  no file" test ! -e none -a ! -e none.pub
is "  python-fido2: still no PIN" "$(py none info | jq -r .clientPin)" false
# a key that has a PIN: nothing offered, the PIN asked as before
answers 8642
out=$(with_askpass "$KEYGEN" -q -f "$T/rk2" -N '' -O resident -O application=ssh:two \
	--token "unix:$T/rk.tok" 2>&1)
is "a key with a PIN: exit 0" "$?" 0 || diag "$out"
is "  its PIN asked once, nothing offered" "$(cat "$T/askpass.log")" "Enter PIN for authenticator: "

done_testing
