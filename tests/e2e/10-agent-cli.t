#!/bin/bash
# skagent's command line and life as ssh-agent's: the eval lines, -k, a
# command run under the agent, the socket's place and modes, signals.
. "$(dirname "$0")/lib.sh"

ssh-keygen -q -t ed25519 -N '' -C cli -f "$T/id" || bail keygen

# -s: the lines eval reads; the agent daemonises
out=$("$SKAGENT" -s -a "$T/s1.sock")
like "-s prints SSH_AUTH_SOCK as ssh-agent does" "$out" \
	"^SSH_AUTH_SOCK=$T/s1.sock; export SSH_AUTH_SOCK;"
like "-s prints SSH_AGENT_PID" "$out" "SSH_AGENT_PID=[0-9]+; export SSH_AGENT_PID;"
like "-s prints the echo line" "$out" "echo Agent pid [0-9]+;"
eval "$out" >/dev/null
_bg_pids="$_bg_pids $SSH_AGENT_PID"
ok "eval'd agent is running" kill -0 "$SSH_AGENT_PID"
ok "stock ssh-add talks to it" ssh-add -q "$T/id"
is "one key listed" "$(ssh-add -l | wc -l)" 1
is "socket mode 0600" "$(stat -c %a "$T/s1.sock")" 600
out=$("$SKAGENT" -k)
like "-k prints the unset lines" "$out" "^unset SSH_AUTH_SOCK;"
like "-k names the pid" "$out" "echo Agent pid $SSH_AGENT_PID killed;"
ok "the agent is gone after -k" wait_for 5 sh -c "! kill -0 $SSH_AGENT_PID"
ok "the socket is removed" wait_for 5 test ! -e "$T/s1.sock"

# -c: csh syntax
out=$("$SKAGENT" -c -a "$T/s2.sock")
like "-c prints setenv lines" "$out" "^setenv SSH_AUTH_SOCK $T/s2.sock;"
pid=$(printf '%s\n' "$out" | sed -n 's/^setenv SSH_AGENT_PID \([0-9]*\);$/\1/p')
_bg_pids="$_bg_pids $pid"
out=$(SSH_AGENT_PID=$pid "$SKAGENT" -c -k)
like "-c -k prints unsetenv" "$out" "^unsetenv SSH_AUTH_SOCK;"
fails "-k without SSH_AGENT_PID fails" env -u SSH_AGENT_PID "$SKAGENT" -k

# the default socket: a private directory under XDG_RUNTIME_DIR
mkdir -m 700 "$T/xdg"
out=$(XDG_RUNTIME_DIR=$T/xdg "$SKAGENT" -s)
eval "$out" >/dev/null
_bg_pids="$_bg_pids $SSH_AGENT_PID"
like "default socket under \$XDG_RUNTIME_DIR" "$SSH_AUTH_SOCK" "^$T/xdg/skagent-[A-Za-z0-9]+/agent\.[0-9]+$"
is "its directory is 0700" "$(stat -c %a "$(dirname "$SSH_AUTH_SOCK")")" 700
is "it answers" "$(ssh-add -l 2>&1)" "The agent has no identities."
sock=$SSH_AUTH_SOCK
kill -TERM "$SSH_AGENT_PID"
ok "SIGTERM removes the socket and its directory" wait_for 5 test ! -e "$(dirname "$sock")"
out=$(env -u XDG_RUNTIME_DIR TMPDIR=$T "$SKAGENT" -s)
eval "$out" >/dev/null
_bg_pids="$_bg_pids $SSH_AGENT_PID"
like "without XDG_RUNTIME_DIR: under TMPDIR" "$SSH_AUTH_SOCK" "^$T/skagent-[A-Za-z0-9]+/agent\.[0-9]+$"
kill -HUP "$SSH_AGENT_PID"
ok "SIGHUP removes the socket" wait_for 5 test ! -e "$SSH_AUTH_SOCK"

# a command under the agent: it sees the agent, and its status is ours
out=$("$SKAGENT" -a "$T/s3.sock" sh -c 'ssh-add -q "$1" && ssh-add -l | wc -l; echo "sock=$SSH_AUTH_SOCK"; exit 7' sh "$T/id")
is "command mode exits with the command's status" "$?" 7
like "the command sees its agent" "$out" "sock=$T/s3.sock"
like "the command can use it" "$out" "^1"
ok "the agent leaves at once after its command" wait_for 3 test ! -e "$T/s3.sock"

# -D: foreground, only the socket line
start_agent
wait_for 10 test -s "$T/agent.out"	# printed after the socket is made
like "-D prints the socket line" "$(cat "$T/agent.out")" "^SSH_AUTH_SOCK=$T/agent.sock; export SSH_AUTH_SOCK;"
fails "-D does not print SSH_AGENT_PID" grep -q SSH_AGENT_PID "$T/agent.out"
ssh-add -q "$T/id"
kill -USR1 "$AGENT_PID"
ok "SIGUSR1 drops every key" wait_for 5 sh -c '! ssh-add -l >/dev/null 2>&1'
ok "and the agent goes on" ssh-add -q "$T/id"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
is "SIGTERM exits 2, as ssh-agent" "$?" 2
ok "socket removed" test ! -e "$T/agent.sock"

# the odd corners of the command line
fails "-a on an existing path fails" "$SKAGENT" -D -a "$T/id"
fails "-c and -s together fail" "$SKAGENT" -c -s
fails "-t with a bad lifetime fails" "$SKAGENT" -D -t 5x -a "$T/x.sock"
fails "a command with -D fails (as ssh-agent)" "$SKAGENT" -D true
fails "unknown -O fails" "$SKAGENT" -D -O frobnicate -a "$T/x.sock"
like "--help shows usage" "$("$SKAGENT" --help)" "usage: skagent"
like "-V prints the version" "$("$SKAGENT" -V)" "^skagent [0-9]"
done_testing
