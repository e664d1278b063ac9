#!/bin/bash
# make bench must not rot: a short run against skagent and stock ssh-agent
# (and softtoken) reports every row with both agents' numbers, and the
# bench's checks can fail: an agent that forges signatures and forgets keys
# is caught.
. "$(dirname "$0")/lib.sh"
valgrind_skip "a benchmark"

BENCH=$TOP/tests/bench/bench
[ -x "$BENCH" ] || bail "no $BENCH: run make all-tests"
# a failing run keeps the agents' logs: in our scratch directory
export TMPDIR=$T

out=$("$BENCH" --duration 0.1 --keys 20 --tsv 2>"$T/err")
is "a short run against both agents succeeds" "$?" 0 || diag_file "$T/err"
for row in sign-ed25519-1 sign-ed25519-4 sign-ecdsa-p256-1 sign-ecdsa-p256-4 \
    sign-rsa-3072-1 sign-rsa-3072-4 connect-ed25519-1 connect-ed25519-4; do
	like "$row: both agents answered and signatures were checked" "$out" \
	    "^$row	verified	[1-9][0-9]*	[1-9][0-9]*	"
done
like "list-20: both agents measured" "$out" \
    "^list-20	p50_us	[0-9.]+	[0-9.]+	[0-9.]+	3	(PASS|MISS)"
like "memory per key measured for both" "$out" \
    "^mem-rss	bytes	-?[0-9]+	[0-9]+	"
like "sk-ed25519 on softtoken: the agent's overhead is measured" "$out" \
    "^sk-ed25519-1	overhead_p50_us	-?[0-9.]+	-	-	<1000	(PASS|MISS)"
like "... and its signatures were checked" "$out" \
    "^sk-ed25519-1	verified	[1-9][0-9]*	-	"
like "the core count is printed" "$out" "^# cores	[0-9]+"

out=$("$BENCH" --duration 0.05 --only sign-ed25519-1 2>&1)
is "--only runs one row" "$(printf '%s\n' "$out" | grep -c '^sign ')" 1

# An "agent" that takes any key, lists none and signs with zeroes.
cat >"$T/liar" <<'PERL'
#!/usr/bin/perl
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket;

my $path;
while (@ARGV) {
	my $a = shift;
	$path = shift if $a eq '-a';
}
my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
    Listen => 16) or die "liar: $path: $!\n";
$SIG{TERM} = sub { unlink $path; exit 0 };

sub read_n {
	my ($c, $n) = @_;
	my $buf = '';
	while (length($buf) < $n) {
		my $got = sysread($c, $buf, $n - length($buf), length($buf));
		return undef unless $got;
	}
	return $buf;
}

while (my $c = $l->accept) {
	while (defined(my $h = read_n($c, 4))) {
		my $m = read_n($c, unpack('N', $h));
		last unless defined $m;
		my $t = ord($m);
		my $r = chr(5);
		$r = chr(6) if $t == 17;
		$r = chr(12) . pack('N', 0) if $t == 11;
		$r = chr(14) . pack('N/a*', pack('N/a*', 'ssh-ed25519') .
		    pack('N/a*', "\0" x 64)) if $t == 13;
		syswrite($c, pack('N', length($r)) . $r);
	}
	close($c);
}
PERL
chmod +x "$T/liar"
out=$("$BENCH" --duration 0.05 --keys 5 --clients 1 --only sign-ed25519,list \
    --ssh-agent "$T/liar" 2>&1)
is "an agent that forges signatures fails the bench" "$?" 1
like "... and the bench says whose signature did not verify" "$out" \
    "ssh-agent: a ed25519 signature does not verify"
like "an agent that forgets keys is caught" "$out" \
    "ssh-agent lists 0 keys, 5 were added"
like "... while skagent's row is still measured" "$out" \
    "^sign ed25519, 1 client +\| +[0-9]+"

"$BENCH" --duration 0 >/dev/null 2>&1
is "a bad option is a usage error" "$?" 2

done_testing
