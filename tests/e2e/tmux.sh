# Sourced after lib.sh by tests that drive programs as a person does: in
# panes of a private tmux server (its own socket under $T, no config
# file), read with capture-pane, typed with send-keys.  Each pane runs a
# plain bash (no rc files) with the test's environment: SSH_AUTH_SOCK and
# no DISPLAY, WAYLAND_DISPLAY or SSH_ASKPASS (lib.sh unset them).  The
# server is killed when the test exits.
#
#   tmux_start NAME [COLS ROWS]   a pane named NAME (80x24 by default)
#   tmux_run NAME COMMAND...      types the command line and Enter
#   tmux_keys NAME KEY...         send-keys (C-c, Enter, ...)
#   tmux_type NAME TEXT           types TEXT literally (no Enter)
#   tmux_screen NAME              what the pane shows, its history too
#   tmux_wait NAME SECONDS REGEX  waits until the screen matches
#   tmux_prompt NAME [SECONDS]    waits for the shell's prompt again
#   tmux_tty NAME                 the pane's terminal (/dev/pts/N)
#   tmux_stty NAME                its modes as a command run there gets them
#                                 (stty -a typed at the shell's prompt)
#   tmux_stty_now NAME            its modes now (stty -a, read from outside)

command -v tmux >/dev/null 2>&1 || bail "no tmux: install tmux (scripts/deps)"
TMUX_SOCK=$T/tmux.sock
unset TMUX TMUX_PANE
_tmux() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
_tmux_cleanup() { _tmux kill-server 2>/dev/null; }
trap '_tmux_cleanup; _cleanup' EXIT

# A prompt no program prints: "tmux_prompt" waits for it.
TMUX_PS1='ska$ '

tmux_start() {
	local name=$1 cols=${2:-80} rows=${3:-24}
	if ! _tmux has-session 2>/dev/null; then
		_tmux new-session -d -s "$name" -x "$cols" -y "$rows" \
			"env PS1='$TMUX_PS1' bash --norc --noprofile -i" || bail "tmux new-session"
		_tmux set-option -g history-limit 5000 >/dev/null
		_tmux set-option -g remain-on-exit on >/dev/null
	else
		_tmux new-session -d -s "$name" -x "$cols" -y "$rows" \
			"env PS1='$TMUX_PS1' bash --norc --noprofile -i" || bail "tmux new-session"
	fi
	tmux_prompt "$name" 10 || bail "no shell prompt in pane $name"
}

tmux_keys() { local name=$1; shift; _tmux send-keys -t "$name" "$@"; }
tmux_type() { _tmux send-keys -t "$1" -l -- "$2"; }
tmux_run() {
	local name=$1
	shift
	_tmux send-keys -t "$name" -l -- "$*"
	_tmux send-keys -t "$name" Enter
}
tmux_screen() { _tmux capture-pane -p -t "$1" -S - -E -; }
# _tmux_until NAME SECONDS WHAT COMMAND...: polls the command; on time out
# says what was awaited and shows the pane's last lines.
_tmux_until() {
	local name=$1 n=$(($2 * 20)) what=$3
	shift 3
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	diag "pane $name, waiting for $what:"
	tmux_screen "$name" | grep -v '^$' | tail -n 15 | _tap_comment
	return 1
}
_tmux_matches() { tmux_screen "$1" | grep -Eq -- "$2"; }
_tmux_at_prompt() {
	[ "$(tmux_screen "$1" | grep -v '^$' | tail -n 1)" = "${TMUX_PS1% }" ]
}
tmux_wait() { _tmux_until "$1" "$2" "/$3/" _tmux_matches "$1" "$3"; }
# The prompt on the last non-empty line, after what was typed last.
tmux_prompt() {
	_tmux_until "$1" "${2:-30}" "the shell's prompt" _tmux_at_prompt "$1"
}
tmux_tty() { _tmux display-message -p -t "$1" '#{pane_tty}'; }
tmux_stty_now() { stty -a -F "$(tmux_tty "$1")"; }
_tmux_n=0
tmux_stty() {
	local f=$T/stty.$1.$((_tmux_n += 1))
	tmux_run "$1" "stty -a >$f.tmp && mv $f.tmp $f"
	wait_for 10 test -s "$f" && tmux_prompt "$1" 10 && cat "$f"
}
# Clears the pane's screen and history (what the next command shows).
tmux_clear() {
	_tmux send-keys -t "$1" -l -- "clear"
	_tmux send-keys -t "$1" Enter
	tmux_prompt "$1" 10
	_tmux clear-history -t "$1"
}
