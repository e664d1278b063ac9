#!/bin/bash
# Whose terminal, and when: stock ssh in tmux panes, no display, no
# askpass.  A confirmation (ssh-add -c) asked on the terminal; a request
# through a forwarded agent never reads the local terminal and fails with
# the reason shown there; a terminal owned by another uid is never opened
# (the agent runs under strace); a lock withdraws a question and says so;
# a background job is not asked; two
# questions on one terminal wait their turn; the agent stopping while it
# asks puts the terminal back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
PIN=314159
me=$(id -un)

start_token pin --pin $PIN
start_sshd host
start_sshd A "AllowAgentForwarding yes"
start_sshd B
PORT_B=$SSHD_PORT

# The agent under strace when it can run (the other-uid check below reads
# its file opens); plainly otherwise.
TRACED=
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null &&
	[ -z "${SKA_VALGRIND:-}" ]; then
	TRACED=1
	SSH_AUTH_SOCK=$T/agent.sock
	export SSH_AUTH_SOCK
	bg strace -f -qq -e trace=open,openat -o "$T/strace.out" \
		"$SKAGENT" -D -a "$SSH_AUTH_SOCK" --token "unix:$T/pin.tok" \
		>"$T/agent.out" 2>"$T/agent.log"
	wait_for 20 grep -q '^echo Agent pid' "$T/agent.out" || bail "traced agent"
	AGENT_PID=$(sed -n 's/^echo Agent pid \([0-9]*\);$/\1/p' "$T/agent.out")
	_bg_pids="$_bg_pids $AGENT_PID"
else
	start_agent --token "unix:$T/pin.tok"
fi
"$ENROLL" -d "unix:$T/pin.tok" -v -p $PIN -c vr >"$T/vr.pub" || bail "enroll vr"
ssh-keygen -q -t ed25519 -N '' -C ck -f "$T/ck" || bail keygen
ssh-keygen -q -t ed25519 -N '' -C hop -f "$T/hop" || bail keygen
ssh-add -q -c "$T/ck" && ssh-add -q "$T/hop" || bail ssh-add
cat "$T/vr.pub" "$T/ck.pub" >>"$T/host/authorized_keys"
cat "$T/hop.pub" >>"$T/A/authorized_keys"
cat "$T/vr.pub" >>"$T/B/authorized_keys"
S="ssh -F $T/ssh_config -o IdentitiesOnly=yes"

tmux_start one
before=$(tmux_stty one)

# ssh-add -c: the confirmation on the terminal, "yes" allows
tmux_run one "$S -o IdentityFile=$T/ck.pub host echo logged-in"
ok "a confirmation is asked on the terminal" tmux_wait one 20 "^Type yes to allow it: ?$"
like "it names the key and the destination" "$(tmux_screen one)" \
	"^Allow use of key ck to log in to $me@host port [0-9]+\?$"
tmux_type one yes
tmux_keys one Enter
ok "yes: ssh logs in" tmux_wait one 20 "^logged-in$"
tmux_prompt one
tmux_clear one
tmux_run one "$S -o IdentityFile=$T/ck.pub host echo logged-in"
tmux_wait one 20 "^Type yes to allow it: ?$" || bail "no confirmation"
tmux_type one no
tmux_keys one Enter
ok "anything else: declined, and the pane says so" \
	tmux_wait one 20 "^skagent: use declined: nothing signed with ck$"
tmux_prompt one
is "the terminal's modes as before (confirmations)" "$(tmux_stty one)" "$before"

# a lock while the terminal asks: the question is withdrawn, nothing signed
tmux_clear one
tmux_run one "$S -o IdentityFile=$T/vr.pub host echo logged-in"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
answers lockpw lockpw
ok "ssh-add -x while a PIN is asked: locked" with_askpass setsid -w ssh-add -x
tmux_prompt one
fails "  the question was withdrawn, nothing logged in" \
	grep -q "^logged-in$" <<<"$(tmux_screen one)"
like "  the pane says why" "$(tmux_screen one)" "^skagent: question withdrawn: the agent was locked$"
is "the terminal's modes as before (lock)" "$(tmux_stty one)" "$before"
answers lockpw
with_askpass setsid -w ssh-add -X >/dev/null 2>&1 || bail unlock

# through a forwarded agent: never the local terminal
tmux_clear one
tmux_run one "$S -A -o IdentityFile=$T/hop.pub A '$S -o IdentityFile=$T/vr.pub B echo logged-in-B'"
ok "a forwarded request: the reason is shown locally" tmux_wait one 30 \
	"^skagent: cannot ask \(vr\): no display for askpass, and a forwarded request"
tmux_prompt one
fails "no question was put on the local terminal" grep -q "PIN" <<<"$(tmux_screen one)"
fails "and nothing logged in to B" grep -q "^logged-in-B" <<<"$(tmux_screen one)"
is "the terminal's modes as before (forwarded)" "$(tmux_stty one)" "$before"

# a background job is not asked (the shell has the keyboard)
tmux_clear one
tmux_run one "$S -o IdentityFile=$T/vr.pub host echo logged-in & wait"
ok "a background job: not asked, and told why" tmux_wait one 20 \
	"^skagent: cannot ask \(vr\): the requesting program is not in the foreground"
tmux_prompt one
is "the terminal's modes as before (background)" "$(tmux_stty one)" "$before"

# two questions on one terminal: one at a time
tmux_clear one
tmux_run one "($S -o IdentityFile=$T/vr.pub host echo first-in & sleep 0.5; $S -o IdentityFile=$T/vr.pub host echo second-in; wait)"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
sleep 1	# time for the second to ask, were it to
is "one question shown, the other waits" "$(tmux_screen one | grep -c '^PIN:')" 1
tmux_type one "$PIN"
tmux_keys one Enter
two_asked() { [ "$(tmux_screen one | grep -c '^PIN:')" -ge 2 ]; }
ok "answered: the second question comes" wait_for 20 two_asked
tmux_type one "$PIN"
tmux_keys one Enter
ok "both log in" tmux_wait one 20 "^second-in$"
ok "(the first too)" tmux_wait one 5 "^first-in$"
tmux_prompt one
is "the terminal's modes as before (queued)" "$(tmux_stty one)" "$before"

# another uid's terminal: never opened, not even to write to it
tmux_start other
ptty=$(tmux_tty other)
chown nobody "$ptty" || bail "chown $ptty"
tmux_run other "$S -o IdentityFile=$T/vr.pub host echo logged-in"
ok "another user's terminal: the agent says so in its log" \
	wait_for 20 grep -q "the terminal belongs to another user" "$T/agent.log"
tmux_prompt other
fails "nothing was asked there" grep -q "PIN" <<<"$(tmux_screen other)"
if [ -n "$TRACED" ]; then
	fails "the agent never opened it (strace)" grep -q "\"$ptty\"" "$T/strace.out"
	ok "(the trace does see the agent open terminals it may use)" \
		grep -q "\"$(tmux_tty one)\"" "$T/strace.out"
else
	skip "no strace here: file opens not checked"
	skip "no strace here"
fi

# the agent stopping while it asks: the terminal back as it was
tmux_clear one
tmux_run one "$S -o IdentityFile=$T/vr.pub host echo logged-in"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
kill -TERM "$AGENT_PID"
ok "the agent stopping: the question is withdrawn" \
	tmux_wait one 10 "^skagent: question withdrawn: the agent is stopping$"
tmux_prompt one
is "the terminal's modes as before (agent stopped)" "$(tmux_stty one)" "$before"
done_testing
