# Sourced by every tests/e2e/*.t: TAP output, a private scratch directory,
# and the real programs under test (our agent, stock OpenSSH's sshd).
# Every process a test starts is stopped when the test exits.

set -u

# No test reaches the terminal make check was started from: the agent asks
# for PINs and confirmations on its requesters' controlling terminal, and
# a test's requesters would otherwise have this one.  A session of its own
# has none (tests that want a terminal make one: tests/e2e/tmux.sh).
if [ -z "${SKA_NO_CTTY:-}" ] && (: </dev/tty) 2>/dev/null &&
	command -v setsid >/dev/null 2>&1; then
	SKA_NO_CTTY=1 exec setsid -w "$0" "$@"
fi

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SKAGENT=$TOP/agent/skagent
KEYGEN=$TOP/tools/agent-keygen
COPYID=$TOP/tools/agent-copy-id
AGENT_TOKEN=$TOP/tools/agent-token
SOFTTOKEN=$TOP/tests/softtoken/softtoken
RAW=$TOP/tests/helpers/agent-raw
MEMSCAN=$TOP/tests/helpers/memscan
SSHD=${SSHD:-/usr/sbin/sshd}

T=$(mktemp -d "${TMPDIR:-/tmp}/skagent-e2e.XXXXXX")
chmod 700 "$T"

# make check-valgrind: our programs run under valgrind's memcheck, through
# wrappers that keep their names and pids.  SKA_VALGRIND is the directory
# (mode 1777: tests run programs as nobody too) for the wrappers and one
# log per process; tests/e2e/valgrind-check reads the logs afterwards.
# Not -q: the ERROR SUMMARY at the end of a log shows the leak check ran.
# The agent starts its helpers through SKAGENT_SK_HELPER and
# SKAGENT_PKCS11_HELPER.
SKHELPER=$TOP/agent/skagent-sk-helper
P11HELPER=$TOP/agent/skagent-pkcs11-helper
if [ -n "${SKA_VALGRIND:-}" ]; then
	_vg=$SKA_VALGRIND/bin.$(basename "$0" .t)
	mkdir -p -m 755 "$_vg"
	for _p in "$SKAGENT" "$KEYGEN" "$COPYID" "$AGENT_TOKEN" "$SKHELPER" "$P11HELPER"; do
		_log=$SKA_VALGRIND/$(basename "$0" .t).${_p##*/}
		cat >"$_vg/${_p##*/}" <<-WRAP
		#!/bin/bash
		vg=(valgrind --error-exitcode=99 --leak-check=full
			--show-leak-kinds=definite,indirect
			--errors-for-leak-kinds=definite,indirect --track-origins=yes
			--suppressions="$TOP/tests/e2e/valgrind.supp")
		if [ "\$(ulimit -S -f)" = unlimited ]; then
			exec "\${vg[@]}" --log-file="$_log.%p.log" "$_p" "\$@"
		fi
		# A file size limit (a test of a failing write) would cut the log
		# short: it goes through a pipe to a cat that has no such limit.
		exec 9> >(ulimit -S -f unlimited && exec cat >"$_log.\$\$.log")
		exec "\${vg[@]}" --log-fd=9 "$_p" "\$@"
		WRAP
		chmod 755 "$_vg/${_p##*/}"
	done
	SKAGENT=$_vg/skagent
	KEYGEN=$_vg/agent-keygen
	COPYID=$_vg/agent-copy-id
	AGENT_TOKEN=$_vg/agent-token
	SKHELPER=$_vg/skagent-sk-helper
	P11HELPER=$_vg/skagent-pkcs11-helper
	export SKAGENT_SK_HELPER=$SKHELPER SKAGENT_PKCS11_HELPER=$P11HELPER
fi
# valgrind_skip REASON: the whole test is skipped under make check-valgrind.
valgrind_skip() {
	if [ -n "${SKA_VALGRIND:-}" ]; then
		echo "1..0 # skip under valgrind: $*"
		exit 0
	fi
}
# The programs' chatter goes to a file (kept with KEEP_T=1 when a test
# fails); TAP goes to stdout.  VERBOSE=1 keeps stderr on the terminal.
[ -n "${VERBOSE:-}" ] || exec 2>>"$T/stderr.log"
export HOME_ORIG=${HOME:-/}
# Nothing from the user's own setup leaks in (nor out: the agent's signing
# record goes to the scratch directory, no notice to the user's desktop).
unset SSH_AGENT_PID DISPLAY WAYLAND_DISPLAY SSH_ASKPASS SSH_ASKPASS_REQUIRE COLUMNS \
	DBUS_SESSION_BUS_ADDRESS
export SSH_AUTH_SOCK= XDG_STATE_HOME=$T/state

_tap_n=0
_tap_fail=0
_tap_planned=
_bg_pids=

_cleanup() {
	local p
	for p in $_bg_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_bg_pids; do
		wait "$p" 2>/dev/null
	done
	if [ "$_tap_fail" -ne 0 ] && [ -n "${KEEP_T:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

plan() { _tap_planned=$1; echo "1..$1"; }
diag() { printf '%s\n' "$*" | sed -e 's/^/# /'; }
# Prints a file as TAP comments (for a failing test's context).
diag_file() { [ -f "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-30}"; }

# Every line as a TAP comment: a multi-line "got" must not look like a test
# line to prove (a record line starting "ok|" did).
_tap_comment() { sed -e 's/^/#   /'; }

_tap_result() {	# status description
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_fail=$((_tap_fail + 1))
	fi
	return "$1"
}

# ok DESCRIPTION COMMAND [ARG...]: passes when the command succeeds.
ok() {
	local d=$1
	shift
	"$@"
	_tap_result $? "$d"
}

# fails DESCRIPTION COMMAND [ARG...]: passes when the command fails.
fails() {
	local d=$1
	shift
	if "$@"; then _tap_result 1 "$d"; else _tap_result 0 "$d"; fi
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		_tap_result 0 "$1"
	else
		_tap_result 1 "$1"
		printf 'got:  %s\nwant: %s\n' "$2" "$3" | _tap_comment
		return 1
	fi
}

# like DESCRIPTION TEXT EXTENDED-REGEX
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		_tap_result 0 "$1"
	else
		_tap_result 1 "$1"
		printf 'text: %s\ndoes not match: %s\n' "$2" "$3" | _tap_comment
		return 1
	fi
}

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }

done_testing() {
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
	exit $?
}

bail() { echo "Bail out! $*"; exit 1; }

bg() {	# runs a command in the background, stopped at exit; sets BG_PID
	"$@" &
	BG_PID=$!
	_bg_pids="$_bg_pids $BG_PID"
}

# wait_for SECONDS COMMAND [ARG...]: polls until the command succeeds.
wait_for() {
	local n=$(($1 * 20))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# start_agent [SKAGENT-ARGS...]: our agent in the foreground (-D) on
# $T/agent.sock, logging to $T/agent.log; sets AGENT_PID and SSH_AUTH_SOCK.
start_agent() {
	[ -x "$SKAGENT" ] || bail "no $SKAGENT: run make"
	SSH_AUTH_SOCK=$T/agent.sock
	export SSH_AUTH_SOCK
	rm -f "$SSH_AUTH_SOCK"
	bg "$SKAGENT" -D -a "$SSH_AUTH_SOCK" "$@" >"$T/agent.out" 2>"$T/agent.log"
	AGENT_PID=$BG_PID
	wait_for 10 test -S "$SSH_AUTH_SOCK" || {
		diag_file "$T/agent.log"
		bail "agent did not start"
	}
}

stop_agent() {
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
}

agent_alive() { kill -0 "$AGENT_PID" 2>/dev/null; }

_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_sshd NAME [sshd_config line...]: a stock sshd on 127.0.0.1 with its
# own host key, config and port, serving the current user.  Keys go in
# $T/NAME/authorized_keys, and in the files SSHD_MORE_AUTHKEYS lists (absolute
# paths, space-separated; sshd's own %h is the passwd home).  "ssh -F
# $T/ssh_config NAME" reaches it (or use ssh_to NAME ...).  Sets SSHD_PORT.
start_sshd() {
	local name=$1 d port try
	shift
	d=$T/$name
	mkdir -p "$d"
	[ -x "$SSHD" ] || bail "no $SSHD: install openssh-server"
	[ -f "$d/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$d/host_ed25519" ||
		bail "ssh-keygen"
	touch "$d/authorized_keys"
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/sshd && chmod 0755 /run/sshd
	fi
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		_port_free "$port" || continue
		{
			# the caller's lines first: sshd keeps the first value
			for l in "$@"; do echo "$l"; done
			echo "Port $port"
			echo "ListenAddress 127.0.0.1"
			echo "HostKey $d/host_ed25519"
			echo "PidFile $d/sshd.pid"
			echo "AuthorizedKeysFile $d/authorized_keys${SSHD_MORE_AUTHKEYS:+ $SSHD_MORE_AUTHKEYS}"
			echo "StrictModes no"
			echo "UsePAM no"
			echo "PasswordAuthentication no"
			echo "KbdInteractiveAuthentication no"
			echo "PubkeyAuthentication yes"
			echo "PermitRootLogin prohibit-password"
			echo "LogLevel VERBOSE"
		} >"$d/sshd_config"
		: >"$d/sshd.log"
		bg "$SSHD" -D -f "$d/sshd_config" -E "$d/sshd.log"
		if wait_for 10 grep -q "Server listening" "$d/sshd.log"; then
			break
		fi
		kill "$BG_PID" 2>/dev/null
		port=
	done
	[ -n "$port" ] || { diag_file "$d/sshd.log"; bail "sshd did not start"; }
	SSHD_PORT=$port
	echo "[127.0.0.1]:$port $(cat "$d/host_ed25519.pub")" >>"$T/known_hosts"
	cat >>"$T/ssh_config" <<-CONF
	Host $name
	  HostName 127.0.0.1
	  Port $port
	  User $(id -un)
	  UserKnownHostsFile $T/known_hosts
	  StrictHostKeyChecking yes
	  BatchMode yes
	  IdentityFile $T/no-such-identity
	  PasswordAuthentication no
	  KbdInteractiveAuthentication no
	  ConnectTimeout 10
	  LogLevel ERROR
	CONF
}

# start_token NAME [softtoken args...]: a software token on $T/NAME.tok
# with its state in $T/NAME.state (restarted with the same state, it is the
# same token) and its log in $T/NAME.log; sets TOK_PID and TOK_PID_NAME.
# The old socket goes first: a killed token leaves its file behind.
start_token() {
	local name=$1
	shift
	rm -f "$T/$name.tok"
	bg "$SOFTTOKEN" --socket "$T/$name.tok" --state "$T/$name.state" "$@" \
		2>>"$T/$name.log"
	TOK_PID=$BG_PID
	eval "TOK_PID_$name=$BG_PID"
	wait_for 10 test -S "$T/$name.tok" || bail "softtoken $name"
}

# ssh_to NAME [COMMAND...]: stock ssh to a test sshd, using the agent on
# SSH_AUTH_SOCK; extra ssh options in the array SSH_OPTS.
SSH_OPTS=()
ssh_to() {
	local name=$1
	shift
	ssh -F "$T/ssh_config" "${SSH_OPTS[@]}" "$name" "$@"
}

# PKCS#11 through SoftHSMv2, a real third-party module.  start_softhsm
# [PIN]: a token labelled "skagent" with user PIN PIN (default 123456)
# and SO PIN 12345678, in its own SOFTHSM2_CONF and token directory under
# $T/softhsm (exported: the agent's helper inherits it), holding keys made
# by openssl and imported with softhsm2-util: rsa2048 (CKA_ID 01), ecdsa256
# (02), ecdsa384 (03), ecdsa521 (04), ed25519 (05), each labelled so.  The
# private keys stay in $T/softhsm/NAME.pem.
P11MOD=/usr/lib/softhsm/libsofthsm2.so
P11KEYS="rsa2048 ecdsa256 ecdsa384 ecdsa521 ed25519"
start_softhsm() {
	local pin=${1:-123456} d=$T/softhsm id=1 k
	[ -f "$P11MOD" ] || bail "no $P11MOD: install softhsm2"
	mkdir -p "$d/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$d/tokens" >"$d/softhsm2.conf"
	export SOFTHSM2_CONF=$d/softhsm2.conf
	softhsm2-util --init-token --free --label skagent --pin "$pin" \
		--so-pin 12345678 >/dev/null || bail "softhsm2-util --init-token"
	for k in $P11KEYS; do
		case $k in
		rsa2048) openssl genpkey -algorithm RSA \
			-pkeyopt rsa_keygen_bits:2048 -out "$d/$k.pem" ;;
		ecdsa256) openssl genpkey -algorithm EC \
			-pkeyopt ec_paramgen_curve:P-256 -out "$d/$k.pem" ;;
		ecdsa384) openssl genpkey -algorithm EC \
			-pkeyopt ec_paramgen_curve:P-384 -out "$d/$k.pem" ;;
		ecdsa521) openssl genpkey -algorithm EC \
			-pkeyopt ec_paramgen_curve:P-521 -out "$d/$k.pem" ;;
		ed25519) openssl genpkey -algorithm ED25519 -out "$d/$k.pem" ;;
		esac 2>/dev/null || bail "openssl genpkey $k"
		softhsm2-util --import "$d/$k.pem" --token skagent --label "$k" \
			--id "0$id" --pin "$pin" >/dev/null ||
			bail "softhsm2-util --import $k"
		id=$((id + 1))
	done
}

# softhsm_pub NAME: the ssh public key (type and base64) of a token key,
# from its PKCS#8 file: ssh-keygen -y for RSA and ECDSA; for Ed25519, which
# OpenSSH 9.2 reads from no PEM file, the blob built from openssl's DER.
softhsm_pub() {
	local pem=$T/softhsm/$1.pem
	if [ "$1" = ed25519 ]; then
		printf 'ssh-ed25519 %s\n' "$({ printf '\000\000\000\013ssh-ed25519\000\000\000\040'
			openssl pkey -in "$pem" -pubout -outform DER | tail -c 32; } |
			base64 -w0)"
	else
		ssh-keygen -y -f "$pem" | cut -d' ' -f1-2
	fi
}

# An askpass program, $T/askpass, that logs each prompt in $T/askpass.log
# and answers it with the next line given to `answers LINE...`;
# with_askpass CMD... runs CMD with it (forced, stdin /dev/null).
cat >"$T/askpass" <<ASKPASS
#!/bin/sh
printf '%s\n' "\$1" >>"$T/askpass.log"
n=\$(wc -l <"$T/askpass.log")
sed -n "\${n}p" "$T/answers"
ASKPASS
chmod 755 "$T/askpass"
answers() { printf '%s\n' "$@" >"$T/answers"; : >"$T/askpass.log"; }
with_askpass() { SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force "$@" </dev/null; }
