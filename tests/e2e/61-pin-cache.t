#!/bin/bash
# --pin-cache: the second signature with a verify-required key is not
# asked for the PIN; the PIN is forgotten when its time is up, on lock,
# ssh-add -D, SIGUSR1 and when the token goes away; a cached PIN the token
# refuses costs exactly one retry and the user is asked instead.  PIN
# prompts are counted through an SSH_ASKPASS that logs.
. "$(dirname "$0")/lib.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
TOKPIN=$TOP/tests/helpers/token-pin
stop_token() { eval "kill \$TOK_PID_$1; wait \$TOK_PID_$1"; }

cat >"$T/askpass" <<'AP'
#!/bin/sh
echo "$1" >>"$ASKPASS_LOG"
case $1 in *PIN*) ;; *) exit 0 ;; esac	# a touch notice
[ -s "$ASKPASS_ANSWER_FILE" ] || exit 1
cat "$ASKPASS_ANSWER_FILE"
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	ASKPASS_LOG=$T/askpass.log ASKPASS_ANSWER_FILE=$T/pin
: >"$T/askpass.log"
asked() { grep -c 'Enter PIN' "$T/askpass.log"; }
echo 123456 >"$T/pin"
n=0
enroll() {	# NAME: a new verify-required key on token two, in the agent
	"$ENROLL" -d "unix:$T/two.tok" -v -p 123456 -c "$1" >"$T/$1.pub" ||
		bail "enroll $1"
}
forgotten() {	# REASON: the log says the PIN was forgotten for it
	wait_for 5 grep -q "PIN of security key unix:$T/two.tok forgotten: $1" \
		"$T/agent.log"
}
retries() { "$TOKPIN" -d "unix:$T/two.tok" -r; }
lock() {	# LOCK (22) or UNLOCK (23) with the password "pw"; unlock runs
	# Argon2id, seconds under valgrind: wait up to 30 s for the answer
	"$RAW" -w 30000 "f:$1000000027077" | grep -qx 06
}

start_token two --pin 123456
start_agent --token "unix:$T/two.tok" --pin-cache 600
enroll uv1
ok "verify-required: signs with the PIN from SSH_ASKPASS" ssh-add -T "$T/uv1.pub"
is "asked once" "$(asked)" 1
ok "the second signature" ssh-add -T "$T/uv1.pub"
is "is not asked: the PIN came from the cache" "$(asked)" 1
like "--status: the PIN is cached, with the time left" "$("$SKAGENT" --status)" \
	"present, FIDO2, es256,eddsa, PIN set \(8 tries left\); PIN cached \((5[0-9][0-9]|600) s left\)"
enroll uv2
ok "another key on the same token" ssh-add -T "$T/uv2.pub"
is "uses the token's cached PIN too" "$(asked)" 1
fails "the PIN is in no file" grep -rq 123456 "$T/state" "$T/agent.log"

ok "lock" lock 16
forgotten "the agent was locked"
ok "unlock" lock 17
ok "after a lock" ssh-add -T "$T/uv1.pub"
is "the PIN is asked again" "$(asked)" 2

ok "ssh-add -D" ssh-add -qD
forgotten "all keys were removed"
enroll uv3
ok "after ssh-add -D" ssh-add -T "$T/uv3.pub"
is "asked again" "$(asked)" 3
ok "and cached again" ssh-add -T "$T/uv3.pub"
is "not asked" "$(asked)" 3

kill -USR1 "$AGENT_PID"
ok "SIGUSR1" forgotten "all keys were removed" 
is "SIGUSR1 removed the keys" "$(ssh-add -l >/dev/null; echo $?)" 1
enroll uv4
ok "after SIGUSR1" ssh-add -T "$T/uv4.pub"
is "asked again" "$(asked)" 4
ok "cached" ssh-add -T "$T/uv4.pub"
is "not asked" "$(asked)" 4

# unplugged and plugged in again, nothing asked of it in between
stop_token two
start_token two
ok "the token went away: its PIN is forgotten" forgotten "the security key went away"
like "--status says it is no longer cached" "$("$SKAGENT" --status)" \
	"PIN set \(8 tries left\)$"
ok "the token back: signs" ssh-add -T "$T/uv4.pub"
is "asked again" "$(asked)" 5
ok "cached" ssh-add -T "$T/uv4.pub"
is "not asked" "$(asked)" 5

# the PIN changed behind the agent's back: the cached one is wrong
is "8 retries on the token" "$(retries)" 8
ok "the PIN changed on the token" "$TOKPIN" -d "unix:$T/two.tok" -c 123456 654321
: >"$T/pin"
fails "the cached PIN is refused, the user gives none: fails" ssh-add -T "$T/uv4.pub"
is "the user was asked once" "$(asked)" 6
ok "the cached PIN was dropped at once" forgotten "the security key refused it"
is "exactly one retry spent" "$(retries)" 7
echo 654321 >"$T/pin"
ok "with the new PIN from the user" ssh-add -T "$T/uv4.pub"
is "asked" "$(asked)" 7
is "the retries are back" "$(retries)" 8
ok "the new PIN is cached" ssh-add -T "$T/uv4.pub"
is "not asked" "$(asked)" 7
hex=$(printf 654321 | od -An -tx1 | tr -d ' \n')
ok "the cached PIN is in the agent's memory (the scan works)" \
	"$MEMSCAN" "$AGENT_PID" "$hex"
ok "lock" lock 16
ok "unlock" lock 17
fails "a forgotten PIN leaves nothing in the agent's memory" \
	"$MEMSCAN" "$AGENT_PID" "$hex"
stop_agent

# time is up
start_agent --token "unix:$T/two.tok" --pin-cache 3
"$ENROLL" -d "unix:$T/two.tok" -v -p 654321 -c uv5 >"$T/uv5.pub" || bail enroll
ok "--pin-cache 3: signs" ssh-add -T "$T/uv5.pub"
is "asked" "$(asked)" 8
ok "at once again" ssh-add -T "$T/uv5.pub"
is "not asked" "$(asked)" 8
ok "3 s later the PIN is forgotten" forgotten "time is up"
ok "signs" ssh-add -T "$T/uv5.pub"
is "asked again" "$(asked)" 9
stop_agent

# without --pin-cache nothing is kept
start_agent --token "unix:$T/two.tok"
"$ENROLL" -d "unix:$T/two.tok" -v -p 654321 -c uv6 >"$T/uv6.pub" || bail enroll
ok "no cache: signs" ssh-add -T "$T/uv6.pub"
ok "twice" ssh-add -T "$T/uv6.pub"
is "asked both times" "$(asked)" 11
like "--status: PIN cache off" "$("$SKAGENT" --status)" "^PIN cache: off"
ok "the agent survived it all" agent_alive
done_testing
