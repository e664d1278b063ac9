#!/bin/bash
# Tokens come and go: a key never used is found on its token by a silent
# probe in the background; a token that goes away releases its handle and
# is found again when it is back (softtoken stopped and started with the
# same state); -O hide-absent leaves the keys of absent tokens out of
# listings, so that sshd's MaxAuthTries is not spent on keys that cannot
# sign, and lists them again when their token is back.
. "$(dirname "$0")/lib.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
stop_token() { eval "kill \$TOK_PID_$1; wait \$TOK_PID_$1"; }
fp() { ssh-keygen -lf "$1" | cut -d' ' -f2; }
listed() { ssh-add -l | grep -qw -- "$1"; }
unlisted() { ! listed "$1"; }
sockets() { ls -l "/proc/$AGENT_PID/fd" | grep -c 'socket:'; }
probed() { test "$(status_token_keys "$1")" = "$2"; }
sockets_are() { test "$(sockets)" -eq "$1"; }
only_listed() { test "$(ssh-add -l | cut -d' ' -f3)" = "$1"; }
status_token_keys() {	# TOKEN: the keys --status shows under it
	"$SKAGENT" --status | sed -n "\\#^  unix:$T/$1.tok#,/^  [^ ]/p" |
		sed -n 's/^    ED25519-SK [^ ]*  //p; s/^    ECDSA-SK [^ ]*  //p'
}

start_token one
start_token two
start_agent -O hide-absent --token "unix:$T/one.tok" --token "unix:$T/two.tok"
"$ENROLL" -d "unix:$T/one.tok" -c ed-sk >"$T/ed.pub" || bail enroll
"$ENROLL" -d "unix:$T/two.tok" -t ecdsa-sk -c ec-sk >"$T/ec.pub" || bail enroll
ssh-keygen -q -t ed25519 -N '' -C mem -f "$T/mem" && ssh-add -q "$T/mem" || bail mem

is "never used keys are listed at first" "$(ssh-add -l | wc -l)" 3
ok "a silent probe in the background found ed-sk on token one" \
	wait_for 10 probed one ed-sk
is "and ec-sk on token two" "$(status_token_keys two)" ec-sk
is "the probe asked for no touch (none was needed)" \
	"$(grep -c 'Confirm user presence' "$T/agent.log")" 0

# the agent's sockets once no client is connected (the fewest seen)
before=$(for i in 1 2 3 4 5; do sockets; sleep 0.1; done | sort -n | head -1)
stop_token one
ok "token one gone: its key is no longer listed" wait_for 5 unlisted ed-sk
ok "the other token's key still is" listed ec-sk
ok "and the in-memory key" listed mem
like "--status: token one absent, its key there" "$("$SKAGENT" --status)" \
	"unix:$T/one.tok
    absent
    ED25519-SK $(fp "$T/ed.pub")  ed-sk  \(token absent\) \(not listed: -O hide-absent\)"
fails "a signature with it fails" ssh-add -T "$T/ed.pub"
ok "the vanished token's handle was released" wait_for 5 sockets_are $((before - 1))
start_token one
ok "token one back: its key is listed again" wait_for 5 listed ed-sk
ok "and the next request finds the token" ssh-add -T "$T/ed.pub"
ok "the agent opened it again" wait_for 5 sockets_are "$before"

# a key whose token is absent before it was ever used
"$ENROLL" -d "unix:$T/one.tok" -c fresh-sk >"$T/fresh.pub" || bail enroll
stop_token one
ok "unknown at first: listed" listed fresh-sk
ok "the probe finds no token holding it: hidden" wait_for 5 unlisted fresh-sk
start_token one
ok "its token plugged in: listed again (probed again within 5 s)" \
	wait_for 15 listed fresh-sk
ok "it signs" ssh-add -T "$T/fresh.pub"

# MaxAuthTries: keys that cannot sign are not offered
start_sshd host "MaxAuthTries 2"
cat "$T/mem.pub" >>"$T/host/authorized_keys"
stop_token one
stop_token two
ok "both tokens gone: only the in-memory key listed" \
	wait_for 5 only_listed mem
is "ssh logs in: the absent tokens' keys were not offered" \
	"$(ssh_to host -o IdentitiesOnly=no echo in)" in
stop_agent
start_token one
start_agent --token "unix:$T/one.tok"
"$ENROLL" -d "unix:$T/one.tok" -c a-sk >"$T/a.pub" || bail enroll
"$ENROLL" -d "unix:$T/one.tok" -c b-sk >"$T/b.pub" || bail enroll
ssh-add -q "$T/mem"
stop_token one
is "without -O hide-absent every key is listed" "$(ssh-add -l | wc -l)" 3
fails "and ssh runs out of tries on keys that cannot sign" \
	ssh_to host -o IdentitiesOnly=no true
like "sshd says so" "$(cat "$T/host/sshd.log")" "[Tt]oo many authentication failures"
ok "the agent survived it all" agent_alive
done_testing
