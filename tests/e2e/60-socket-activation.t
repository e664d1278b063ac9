#!/bin/bash
# Socket activation as systemd does it, without systemd: the ExecStart line
# of systemd/skagent.service run with a listening socket on fd 3 and
# LISTEN_PID/LISTEN_FDS set, at the ListenStream path of skagent.socket,
# then stock ssh-add through it.  Also systemd's own systemd-socket-activate
# where it is installed, and the cases where the socket is not ours.
. "$(dirname "$0")/lib.sh"

ACTIVATE=$TOP/tests/helpers/socket-activate
[ -x "$ACTIVATE" ] || bail "no $ACTIVATE: run make all-tests"
[ -x "$SKAGENT" ] || bail "no $SKAGENT: run make"
ssh-keygen -q -t ed25519 -N '' -C activated -f "$T/id" || bail keygen

# The units as make install writes them, for this build's agent.
mkdir -p "$T/units" && chmod 700 "$T/units"
sed "s|@BINDIR@|$TOP/agent|g" "$TOP/systemd/skagent.service.in" >"$T/units/skagent.service"
cp "$TOP/systemd/skagent.socket" "$T/units/"
unit_value() {	# FILE KEY: the value of KEY= in FILE
	sed -n "s/^$2=//p" "$1"
}
exec_start=$(unit_value "$T/units/skagent.service" ExecStart)
listen=$(unit_value "$T/units/skagent.socket" ListenStream)
is "ExecStart runs this build's agent in the foreground" "$exec_start" "$TOP/agent/skagent -D"
is "the socket is %t/skagent/agent.sock" "$listen" "%t/skagent/agent.sock"

# %t is $XDG_RUNTIME_DIR for a user manager.
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
sock=${listen/\%t/$XDG_RUNTIME_DIR}
# environment.d's line, expanded as systemd-environment-d-generator does
envsock=$(sed -n 's/^SSH_AUTH_SOCK=//p' "$TOP/systemd/60-skagent.conf")
envsock=${envsock/\$\{XDG_RUNTIME_DIR\}/$XDG_RUNTIME_DIR}
is "environment.d's SSH_AUTH_SOCK is the socket's path" "$envsock" "$sock"

# shellcheck disable=SC2086
bg "$ACTIVATE" "$sock" $exec_start >"$T/act.out" 2>"$T/act.log"
AGENT_PID=$BG_PID
export SSH_AUTH_SOCK=$sock
# The socket listens before the agent runs (as under systemd): a client
# that comes early waits in the backlog.
wait_for 10 test -S "$sock" || bail "socket-activate did not listen"
is "stock ssh-add -l through the activated socket" \
	"$(timeout 20 ssh-add -l 2>&1)" "The agent has no identities."
ok "the agent names the socket it was given" \
	wait_for 10 grep -q "^SSH_AUTH_SOCK=$sock; export SSH_AUTH_SOCK;" "$T/act.out"
ok "ssh-add adds a key" timeout 20 ssh-add -q "$T/id"
is "ssh-add -l lists it" "$(timeout 20 ssh-add -l | wc -l)" 1
ok "ssh-add -T: the agent signs with it" timeout 20 ssh-add -T "$T/id.pub"
ok "no socket directory of its own" \
	test -z "$(find "$XDG_RUNTIME_DIR" -maxdepth 1 -name 'skagent-*')"

# Idle, it stays: nothing times it out.
sleep 3
ok "idle for 3 s, the agent is still running" agent_alive
is "and still holds the key" "$(timeout 20 ssh-add -l | wc -l)" 1

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
is "SIGTERM: exit status 0 (systemd stops a unit so)" "$?" 0
ok "the socket stays: it is systemd's" test -S "$sock"

# LISTEN_PID names another process: the socket is not ours.
rm -rf "$XDG_RUNTIME_DIR"/*
bg "$ACTIVATE" -p 1 "$T/other.sock" "$SKAGENT" -D >"$T/other.out" 2>"$T/other.log"
AGENT_PID=$BG_PID
ok "LISTEN_PID of another process: the agent makes its own socket" \
	wait_for 10 grep -q "^SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skagent-" "$T/other.out"
other=$(sed -n 's/^SSH_AUTH_SOCK=\([^;]*\);.*/\1/p' "$T/other.out")
is "which answers" "$(SSH_AUTH_SOCK=$other timeout 20 ssh-add -l 2>&1)" \
	"The agent has no identities."
stop_agent

# -a wins over a passed socket, as ssh-agent's -a does.
bg "$ACTIVATE" "$T/passed.sock" "$SKAGENT" -D -a "$T/own.sock" >"$T/own.out" 2>"$T/own.log"
AGENT_PID=$BG_PID
ok "with -a the agent listens where -a says" wait_for 10 test -S "$T/own.sock"
is "and answers there" "$(SSH_AUTH_SOCK=$T/own.sock timeout 20 ssh-add -l 2>&1)" \
	"The agent has no identities."
stop_agent

# fd 3 is a file, not a socket: refused with a message, own socket instead.
: >"$T/notasocket"
bg sh -c 'exec 3<"$1"; LISTEN_PID=$$ LISTEN_FDS=1 exec "$2" -D' sh \
	"$T/notasocket" "$SKAGENT" >"$T/file.out" 2>"$T/file.log"
AGENT_PID=$BG_PID
ok "fd 3 not a socket: the agent says so" \
	wait_for 10 grep -q "fd 3 is not a UNIX socket" "$T/file.log"
ok "and serves on a socket of its own" \
	wait_for 10 grep -q "^SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skagent-" "$T/file.out"
stop_agent

# systemd's own activator: the agent starts on the first connection.
if command -v systemd-socket-activate >/dev/null 2>&1; then
	bg systemd-socket-activate -l "$T/sd.sock" "$SKAGENT" -D \
		>"$T/sd.out" 2>"$T/sd.log"
	AGENT_PID=$BG_PID
	wait_for 10 test -S "$T/sd.sock" || diag_file "$T/sd.log"
	export SSH_AUTH_SOCK=$T/sd.sock
	is "systemd-socket-activate: the first client starts the agent" \
		"$(timeout 20 ssh-add -l 2>&1)" "The agent has no identities."
	ok "ssh-add adds a key" timeout 20 ssh-add -q "$T/id"
	ok "ssh-add -T signs" timeout 20 ssh-add -T "$T/id.pub"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	is "SIGTERM: exit status 0" "$?" 0
else
	skip "no systemd-socket-activate here (package systemd)"
fi

done_testing
