# A program in a tmux pane, driven as a person drives it: what it shows is
# read with capture-pane, keys are typed with send-keys.  Sourced by e2e
# tests after lib.sh.  Each pane has its own tmux server (socket in $T), so
# it runs with the environment the test has when it starts it; the server
# goes when the test ends.  (A small harness for agent-token's and
# agent-keygen's prompts; a shared one may replace it.)
#
#   pane_start NAME 'shell command'   start it (80x24, sh -c)
#   pane_wait NAME REGEX [SECONDS]    until the screen matches (default 20 s)
#   pane_type NAME TEXT               type TEXT, then Enter
#   pane_keys NAME KEY...             tmux key names: C-c, Enter ...
#   pane_exit NAME [SECONDS]          wait for the command to end; prints
#                                     its exit status ("timeout" if not)
#
# The command runs under a shell that shows "[exit N]" when it ends: tmux
# 3.3 does not always reap a pane's own process once that process has
# used the terminal as /dev/tty (a program that asks a PIN), so the status
# is taken from the shell, not from #{pane_dead_status}.
#   pane_text NAME                    the whole screen and history

_pane() { local n=$1; shift; tmux -S "$T/pane-$n.sock" -f /dev/null "$@"; }

pane_start() {
	local n=$1
	rm -f "$T/pane-$n.sock"
	_pane "$n" new-session -d -s "$n" -x 80 -y 24 \; \
		set-option -t "$n" remain-on-exit on \; \
		set-option -t "$n" history-limit 2000 \; \
		respawn-pane -k -t "$n" "$2; echo \"[exit \$?]\"" ||
		bail "tmux: cannot start pane $n"
	_bg_pids="$_bg_pids $(_pane "$n" display -p -t "$n" '#{pid}')"
}

pane_text() {
	_pane "$1" capture-pane -p -J -S - -t "$1" 2>/dev/null |
		awk '/^Pane is dead \(/ { next }
		    /^ *$/ { blank = blank $0 "\n"; next }
		    { printf "%s%s\n", blank, $0; blank = "" }'
}

_pane_matches() { pane_text "$1" | grep -Eq -- "$2"; }

pane_wait() {
	if wait_for "${3:-20}" _pane_matches "$1" "$2"; then
		return 0
	fi
	diag "pane $1 never showed /$2/; it shows:"
	pane_text "$1" | _tap_comment
	return 1
}

pane_type() {
	_pane "$1" send-keys -t "$1" -l -- "$2" && _pane "$1" send-keys -t "$1" Enter
}

pane_keys() { local n=$1; shift; _pane "$n" send-keys -t "$n" "$@"; }

_pane_ended() { pane_text "$1" | grep -Eq '^\[exit [0-9]+\]$'; }

pane_exit() {
	if wait_for "${2:-20}" _pane_ended "$1"; then
		pane_text "$1" | sed -n 's/^\[exit \([0-9]*\)\]$/\1/p' | tail -n 1
	else
		echo timeout
	fi
}
