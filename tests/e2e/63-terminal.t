#!/bin/bash
# Terminal first: with no display and no SSH_ASKPASS, stock ssh in a tmux
# pane logs in with a verify-required security key held by the agent, the
# PIN asked on that pane's terminal (read with capture-pane, typed with
# send-keys), never echoed, the terminal's modes (stty -a) the same before
# and after on every path: the answer, a wrong PIN (the tries left shown),
# Ctrl-C, the client leaving.  A refused touch says why in the pane.  Two
# panes asking at once each get their own question.  The agent has two
# tokens, one without a PIN (which could not hold the key): the one with
# the PIN is used with no touch to choose.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux.sh"

ENROLL=$TOP/tests/helpers/sk-enroll
PIN=271828

start_token pin --pin $PIN
start_token nopin --touch deny	# a touch to choose a token would fail here
start_sshd host
start_agent --token "unix:$T/nopin.tok" --token "unix:$T/pin.tok"
"$ENROLL" -d "unix:$T/pin.tok" -v -p $PIN -c vr >"$T/vr.pub" || bail "enroll vr"
cat "$T/vr.pub" >>"$T/host/authorized_keys"
me=$(id -un)
LOGIN="ssh -F $T/ssh_config host echo logged-in"

tmux_start one
before=$(tmux_stty one)
tmux_run one "$LOGIN"
ok "the PIN is asked on the requester's terminal" \
	tmux_wait one 20 "^PIN: ?$"
like "it says what for: the key, the destination as typed, confirmed" \
	"$(tmux_screen one)" \
	"^Enter the PIN of your security key \(vr\) to log in to $me@host port $SSHD_PORT$"
during=$(tmux_stty_now one)
like "while it asks: no echo, no signals from the keyboard" "$during" "-echo .*-icanon|-icanon .*-echo"
like "(isig off)" "$during" "-isig"
tmux_type one "$PIN"
tmux_keys one Enter
ok "ssh logs in with the PIN typed" tmux_wait one 20 "^logged-in$"
tmux_prompt one
fails "the PIN never appears in the pane" grep -q "$PIN" <<<"$(tmux_screen one)"
is "the terminal's modes are as before (answer)" "$(tmux_stty one)" "$before"
fails "nor in the agent's log" grep -q "$PIN" "$T/agent.log"
fails "no touch was asked to choose a token (the other one refuses touches)" \
	grep -q "Several security keys" <<<"$(tmux_screen one)"

# a wrong PIN: the tries left, where the user looks
tmux_clear one
tmux_run one "$LOGIN"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
tmux_type one 000000
tmux_keys one Enter
ok "a wrong PIN: the pane says so, with the tries left" \
	tmux_wait one 20 "^skagent: wrong PIN for vr, 7 tries left$"
ok "and ssh goes on without the key" tmux_wait one 20 "Permission denied"
tmux_prompt one
is "the terminal's modes are as before (wrong PIN)" "$(tmux_stty one)" "$before"

# Ctrl-C cancels the question, not ssh's whole run
tmux_clear one
tmux_run one "$LOGIN"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
tmux_type one 12
tmux_keys one C-c
ok "Ctrl-C: the question is cancelled, shown as ^C" tmux_wait one 10 "^PIN: \^C$"
ok "the pane says no PIN was given" \
	tmux_wait one 10 "^skagent: no PIN given: nothing signed with vr$"
ok "ssh itself was not interrupted: it goes on to its own end" \
	tmux_wait one 20 "Permission denied"
tmux_prompt one
is "the terminal's modes are as before (Ctrl-C)" "$(tmux_stty one)" "$before"
like "the log says no PIN was given" "$(cat "$T/agent.log")" "no PIN given for key vr"

# the client leaves while it asks (killed; its parent goes on): the
# question is withdrawn, the modes restored before the parent is back
tmux_clear one
tmux_run one "$LOGIN; sleep 1; echo parent-goes-on"
tmux_wait one 20 "^PIN: ?$" || bail "no PIN prompt"
pkill -TERM -f "^ssh -F $T/ssh_config host" || true
ok "the client gone: the question is withdrawn" \
	tmux_wait one 10 "^skagent: question withdrawn: the program that asked has gone$"
ok "its parent goes on" tmux_wait one 10 "^parent-goes-on$"
tmux_prompt one
is "the terminal's modes are as before (client gone)" "$(tmux_stty one)" "$before"
tmux_run one "echo typed-after"
ok "and the keyboard is the shell's again" tmux_wait one 10 "^typed-after$"

# two panes at once: each its own question, answered in either order
tmux_start two
before2=$(tmux_stty two)
tmux_clear one
tmux_run one "$LOGIN one"
tmux_run two "$LOGIN two"
ok "pane one asks" tmux_wait one 20 "^PIN: ?$"
ok "pane two asks too, at the same time" tmux_wait two 20 "^PIN: ?$"
tmux_type two "$PIN"
tmux_keys two Enter
ok "pane two answered first logs in" tmux_wait two 20 "^logged-in two$"
tmux_type one "$PIN"
tmux_keys one Enter
ok "then pane one" tmux_wait one 20 "^logged-in one$"
tmux_prompt one
tmux_prompt two
is "pane one's modes as before" "$(tmux_stty one)" "$before"
is "pane two's modes as before" "$(tmux_stty two)" "$before2"

# a refused touch (a key that needs no PIN): the reason in the pane
stop_agent
start_token deny
start_agent --token "unix:$T/deny.tok"
"$ENROLL" -d "unix:$T/deny.tok" -c touchy >"$T/touchy.pub" || bail "enroll touchy"
cat "$T/touchy.pub" >>"$T/host/authorized_keys"
kill -USR1 "$TOK_PID_deny"	# now it refuses every touch
tmux_clear one
tmux_run one "ssh -F $T/ssh_config -o IdentitiesOnly=yes -o IdentityFile=$T/touchy.pub host echo logged-in"
ok "a refused touch: the pane says why" \
	tmux_wait one 20 "^skagent: touch refused: nothing signed with touchy$"
like "and the touch notice came first, in two lines at most" \
	"$(tmux_screen one)" "^Touch your security key \(touchy\) to log in to $me@host port $SSHD_PORT$"
tmux_prompt one
ok "the agent survived it all" agent_alive
done_testing
