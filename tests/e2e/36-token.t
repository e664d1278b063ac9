#!/bin/bash
# agent-token info, pin, list, delete on software tokens, the prompts
# typed in a tmux pane as a person types them (tests/e2e/pane.sh) or
# answered by SSH_ASKPASS; what the token holds afterwards is read back by
# an independent CTAP2 client (Yubico's python-fido2,
# tests/helpers/fido2-client.py).  Wrong, blocked, too short and forced
# PINs; a full resident-key store; deleting the last resident key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pane.sh"

TOKEN=$AGENT_TOKEN
PY=$TOP/tests/helpers/fido2-client.py
[ -x "$TOP/tools/agent-token" ] || bail "no agent-token: run make"
command -v tmux >/dev/null || bail "no tmux: run make check (scripts/deps)"
/usr/bin/python3 -c 'import fido2' 2>/dev/null || bail "no python3-fido2: run make check"
cd "$T" || bail cd
export HOME=$T/home
mkdir -p "$HOME"

# py TOKEN ARGS...: python-fido2's view (PINs through FIDO2_PIN)
py() { local t=$1; shift; /usr/bin/python3 "$PY" "$T/$t.tok" "$@"; }
pyj() { py "$1" "${@:3}" | jq -r "$2"; }	# TOKEN JQ-FILTER ARGS...
tk() { local t=$1; shift; "$TOKEN" --token "unix:$T/$t.tok" "$@"; }
quiet() { with_askpass "$@" >/dev/null; }
fp() { ssh-keygen -lf "$1" | cut -d' ' -f2; }
row() { printf '%s\n' "$1" | sed -n "s/^  $2: *//p"; }	# TEXT LABEL
not_shown() { ! pane_text "$1" | grep -qF -- "$2"; }	# PANE TEXT
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }	# a regex for TEXT

start_token a --min-pin-length 6 --rk-slots 3
start_token b --pin 123456

# 1. info: no PIN needed, no touch
out=$(tk a info)
is "info: exit 0" "$?" 0
is "  the token's spec first" "$(printf '%s\n' "$out" | head -n 1)" "unix:$T/a.tok"
is "  PIN: not set" "$(row "$out" PIN)" "not set"
is "  minimum PIN length, as python-fido2 reads it" "$(row "$out" "minimum PIN length")" \
	"$(pyj a .minPINLength info)"
is "  resident key slots free, as python-fido2 reads them" "$(row "$out" "resident keys")" \
	"$(pyj a .remainingDiscoverableCredentials info) slots free (agent-token list shows the keys)"
g=$(pyj a .aaguid info)
is "  the AAGUID" "$(row "$out" AAGUID)" "${g:0:8}-${g:8:4}-${g:12:4}-${g:16:4}-${g:20}"
is "  versions, firmware, algorithms" "$(row "$out" versions) / $(row "$out" firmware) / $(row "$out" algorithms)" \
	"FIDO_2_0 FIDO_2_1 / 1.2.3 / ES256 EdDSA"
is "  no built-in UV shown (the token has none)" "$(row "$out" "built-in UV")" ""
is "token b: PIN: set, 8 tries left" "$(row "$(tk b info)" PIN)" "set, 8 tries left"
FIDO2_PIN=000000 py b pin-ok - 2>/dev/null
is "  after a wrong PIN given by python-fido2: 7 tries left" "$(row "$(tk b info)" PIN)" \
	"set, $(py b retries) tries left"
FIDO2_PIN=123456 py b pin-ok - >/dev/null
out=$("$TOKEN" --token "unix:$T/a.tok" --token "unix:$T/b.tok" info)
is "two tokens: both shown" "$(printf '%s\n' "$out" | grep -c '^unix:')" 2
out=$(tk none info)
is "a token that is not there: exit 1" "$?" 1
is "  said so" "$(row "$out" state)" "not present"

# 2. pin on a token without one, typed in a pane: too short, a mismatch,
#    then set; python-fido2 gets a token with it
pane_start pin "'$TOKEN' --token 'unix:$T/a.tok' pin"
pane_wait pin 'Enter new PIN for authenticator: $'
pane_type pin 12345
ok "too short for this token (6): said before anything is sent" \
	pane_wait pin 'PIN too short: this security key takes 6 to 63 characters.'
pane_wait pin 'Enter new PIN for authenticator: $'
pane_type pin 111111
pane_wait pin 'Enter same PIN again: $'
pane_type pin 222222
ok "two that differ: said" pane_wait pin 'PINs do not match.  Try again.'
pane_wait pin 'Enter new PIN for authenticator: $'
pane_type pin 654321
pane_wait pin 'Enter same PIN again: $'
pane_type pin 654321
ok "  PIN set" pane_wait pin "unix:$T/a.tok: PIN set."
is "  exit 0" "$(pane_exit pin)" 0
ok "  nothing typed is shown" not_shown pin 654321
is "  python-fido2: the PIN is 654321" "$(FIDO2_PIN=654321 py a pin-ok -)" ok
is "  8 tries" "$(py a retries)" 8

# 3. changing it: a wrong current PIN is said with the tries left, once
pane_start chg "'$TOKEN' --token 'unix:$T/a.tok' pin"
pane_wait chg 'Enter current PIN for authenticator: $'
pane_type chg 000000
pane_wait chg 'Enter new PIN for authenticator: $'
pane_type chg 7777777
pane_wait chg 'Enter same PIN again: $'
pane_type chg 7777777
ok "a wrong current PIN: the tries left" \
	pane_wait chg "agent-token: unix:$T/a.tok: wrong PIN, 7 tries left"
is "  exit 1, no second try" "$(pane_exit chg)" 1
is "  python-fido2: 7 tries left" "$(py a retries)" 7
is "  and the PIN unchanged" "$(FIDO2_PIN=654321 py a pin-ok -)" ok
pane_start chg2 "'$TOKEN' --token 'unix:$T/a.tok' pin"
pane_wait chg2 'Enter current PIN for authenticator: $'
pane_type chg2 654321
pane_wait chg2 'Enter new PIN for authenticator: $'
pane_type chg2 7777777
pane_wait chg2 'Enter same PIN again: $'
pane_type chg2 7777777
ok "the right one: PIN changed" pane_wait chg2 "unix:$T/a.tok: PIN changed."
is "  exit 0" "$(pane_exit chg2)" 0
is "  python-fido2: the new PIN works" "$(FIDO2_PIN=7777777 py a pin-ok -)" ok

# 4. no terminal: SSH_ASKPASS, as ssh-keygen asks; too short every time:
#    nothing reaches the token
start_token c --min-pin-length 8
before=$(grep -c clientPIN "$T/c.log")
answers 1234567 1234567 1234567
out=$(with_askpass tk c pin 2>&1)
is "askpass, three PINs too short: exit 1" "$?" 1
like "  said" "$out" "agent-token: unix:$T/c.tok: PIN not set: no acceptable PIN given"
is "  the token was sent no clientPIN request" "$(grep -c clientPIN "$T/c.log")" "$before"
is "  python-fido2: still no PIN" "$(pyj c .clientPin info)" false
answers 12345678 12345678
ok "askpass: set" quiet tk c pin
is "  asked as ssh-keygen asks" "$(cat "$T/askpass.log")" "Enter new PIN for authenticator: 
Enter same PIN again: "
is "  python-fido2: the PIN is set" "$(FIDO2_PIN=12345678 py c pin-ok -)" ok

# 5. list and delete: resident keys made with agent-keygen on token a
mk() {	# NAME ARGS...: a resident key on token a (its PIN by askpass)
	local n=$1
	shift
	answers 7777777
	with_askpass "$KEYGEN" -q -f "$T/$n" -N '' -O resident --token "unix:$T/a.tok" "$@"
}
mk work -t ecdsa-sk -O application=ssh:work -O user=alice || bail "agent-keygen work"
mk plain || bail "agent-keygen plain"
mk uv -O verify-required -O application=ssh:uv || bail "agent-keygen uv"
out=$(mk full -O application=ssh:full 2>&1)
is "a fourth resident key on a 3-slot token: refused" "$?" 1
like "  saying why" "$out" "Key enrollment failed: "
pane_start list "'$TOKEN' --token 'unix:$T/a.tok' list"
pane_wait list 'Enter PIN for authenticator: $'
pane_type list 7777777
pane_wait list 'resident SSH keys'
is "list: exit 0" "$(pane_exit list)" 0
listed=$(pane_text list | grep '^SHA256:' | sort)
is "  one line per key: fingerprint, type, application, user, credProtect" "$listed" \
	"$(printf '%s\n' "$(fp work.pub) ECDSA-SK ssh:work alice credProtect=2" \
		"$(fp plain.pub) ED25519-SK ssh: - credProtect=2" \
		"$(fp uv.pub) ED25519-SK ssh:uv - credProtect=3" | sort)"
is "  python-fido2 lists the same rp ids and credProtect levels" \
	"$(FIDO2_PIN=7777777 pyj a '.credentials[] | "\(.rp) \(.credProtect)"' creds - | sort)" \
	"$(printf '%s\n' "ssh: 2" "ssh:uv 3" "ssh:work 2" | sort)"
like "  and the slots: none free" "$(pane_text list)" \
	"unix:$T/a.tok: 3 resident SSH keys, 3 resident keys in all, 0 slots free"
answers 0000000
out=$(with_askpass tk a list 2>&1)
is "list with a wrong PIN: exit 1" "$?" 1
is "  the tries left, nothing more" "$out" "agent-token: unix:$T/a.tok: wrong PIN, 7 tries left"

pane_start del "'$TOKEN' --token 'unix:$T/a.tok' delete $(fp work.pub)"
pane_wait del 'Enter PIN for authenticator: $'
pane_type del 7777777
ok "delete asks first" pane_wait del "$(re "Delete $(fp work.pub) ECDSA-SK ssh:work alice credProtect=2 from unix:$T/a.tok? This cannot be undone (y/n)") ?$"
pane_type del n
is "  'n': exit 1" "$(pane_exit del)" 1
is "  still 3 (python-fido2)" "$(FIDO2_PIN=7777777 pyj a .existing creds -)" 3
pane_start del2 "'$TOKEN' --token 'unix:$T/a.tok' delete $(fp work.pub)"
pane_wait del2 'Enter PIN for authenticator: $'
pane_type del2 7777777
pane_wait del2 '\(y/n\) ?$'
pane_type del2 y
ok "  'y': deleted" pane_wait del2 "$(re "Deleted $(fp work.pub) ECDSA-SK ssh:work alice")"
is "  exit 0" "$(pane_exit del2)" 0
is "  python-fido2: the other two are left" \
	"$(FIDO2_PIN=7777777 pyj a '.credentials[].rp' creds - | sort | tr '\n' ' ')" "ssh: ssh:uv "
answers 7777777
out=$(with_askpass tk a delete "$T/work.pub" 2>&1)
is "deleting it again: exit 1" "$?" 1
is "  none such" "$out" "agent-token: unix:$T/a.tok: no resident SSH key $T/work.pub"
answers 7777777
out=$(with_askpass tk a delete "$T/plain.pub" 2>&1)
is "no terminal and no -y: exit 1" "$?" 1
like "  refused, saying -y" "$out" "no terminal to ask \(-y deletes without asking\)"
answers 7777777
ok "delete -y FILE.pub, askpass" quiet tk a delete -y "$T/plain.pub"
answers 7777777
ok "delete -y the last one, by fingerprint" quiet tk a delete -y "$(fp uv.pub)"
is "  python-fido2: no resident key left, 3 slots" \
	"$(FIDO2_PIN=7777777 pyj a '"\(.existing) \(.remaining)"' creds -)" "0 3"
answers 7777777
out=$(with_askpass tk a list)
is "  list: none" "$out" "unix:$T/a.tok: 0 resident SSH keys, 0 resident keys in all, 3 slots free"
ok "  a new one fits again" mk again -O application=ssh:again

# 6. A PIN change the token insists on (forcePINChange)
start_token f --pin 1234 --force-pin-change
like "info: the change is forced" "$(tk f info)" "PIN change forced: +yes: the key wants a new PIN \(agent-token pin\)"
answers 1234
out=$(with_askpass tk f list 2>&1)
is "list with the right PIN: exit 1" "$?" 1
is "  the key wants a new PIN first" "$out" \
	"agent-token: unix:$T/f.tok: the security key wants its PIN changed first (agent-token pin)"
is "  no try spent" "$(py f retries)" 8
answers 1234 1234 1234
out=$(with_askpass tk f pin 2>&1)
is "pin: changing it to itself: exit 1" "$?" 1
like "  refused by the token" "$out" "the security key refused the new PIN"
answers 1234 4321 4321
ok "pin: changed" quiet tk f pin
is "  python-fido2: no longer forced" "$(pyj f .forcePINChange info)" false
answers 4321
ok "  list works" quiet tk f list

# 7. Too many wrong PINs: in a row (replug), then blocked (reset)
for i in 1 2 3; do
	answers 0000
	out=$(with_askpass tk f list 2>&1)
done
like "the third wrong PIN in a row: replug" "$out" "too many wrong PINs: unplug and replug the security key"
eval "kill \$TOK_PID_f; wait \$TOK_PID_f" 2>/dev/null
sed -i 's/^pin-retries .*/pin-retries 0/' "$T/f.state"
start_token f
is "a blocked PIN: info says so" "$(row "$(tk f info)" PIN)" \
	"blocked (0 tries left): only a reset makes the key usable again"
answers 4321 5555 5555
out=$(with_askpass tk f pin 2>&1)
is "  pin: exit 1" "$?" 1
like "  nothing asked, the way out said" "$out" \
	"the PIN is blocked: only a reset, which erases every key on it, makes the security key usable again"
is "  nothing asked" "$(cat "$T/askpass.log")" ""

# 8. Several tokens and no --token: the commands that need one say so
out=$("$TOKEN" --token "unix:$T/a.tok" --token "unix:$T/b.tok" list 2>&1 </dev/null)
is "list with two tokens: exit 1" "$?" 1
like "  name one with --token" "$out" "several security keys are present: name one with --token"
is "delete with no key named: usage, exit 2" "$(tk a delete >/dev/null 2>&1; echo $?)" 2
like "completion offers the commands" \
	"$(bash --norc --noprofile -c '. "$1"; COMP_WORDS=(agent-token ""); COMP_CWORD=1; _agent_token; echo "${COMPREPLY[*]}"' sh "$TOP/completion/agent-token")" \
	"^attest delete help info list pin$"

done_testing
