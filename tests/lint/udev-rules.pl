#!/usr/bin/perl
# Checks udev rules files the way udev (systemd 252) parses them, stricter
# where udev only warns, for systems without "udevadm verify" (systemd 254).
#
#   udev-rules.pl FILE...
#	Every line: KEY[{attr}]OP"value" tokens, one comma and a space apart;
#	a known key, an operator that key takes, an attribute where it needs
#	one; a line that does something; every GOTO has a LABEL further down
#	and every LABEL a GOTO; no MODE that gives "other" any access.
#	Prints FILE:LINE: why, and exits 1, for each problem.
#
#   udev-rules.pl --eval [--root DIR] FILE [PROP=VALUE | ENV:K=V |
#		ATTRS:K=V | TAG:T | FILE:PATH]...
#	Runs the rules for one made-up device and prints its tags ("TAG x")
#	and any OWNER/GROUP/MODE/ENV assignment, one per line, sorted.
#	PROP is ACTION, SUBSYSTEM, KERNEL, DEVPATH or DRIVER; ATTRS are the
#	parents' attributes; TEST paths are looked up under --root.
use strict;
use warnings;

my %MATCH = map { $_ => 1 } qw(== !=);
# key => [ attribute rule, operators taken ]; attribute rule: none, need,
# optional, or a regex the attribute must match.
my %KEYS = (
	ACTION     => [ 'none', '== !=' ],
	DEVPATH    => [ 'none', '== !=' ],
	KERNEL     => [ 'none', '== !=' ],
	KERNELS    => [ 'none', '== !=' ],
	SUBSYSTEM  => [ 'none', '== !=' ],
	SUBSYSTEMS => [ 'none', '== !=' ],
	DRIVER     => [ 'none', '== !=' ],
	DRIVERS    => [ 'none', '== !=' ],
	TAGS       => [ 'none', '== !=' ],
	RESULT     => [ 'none', '== !=' ],
	ATTRS      => [ 'need', '== !=' ],
	CONST      => [ qr/^(arch|virt)$/, '== !=' ],
	TEST       => [ qr/^([0-7]{3,4})?$/, '== !=' ],
	PROGRAM    => [ 'none', '== != =' ],
	IMPORT     => [ qr/^(program|builtin|file|db|cmdline|parent)$/,
			'== != =' ],
	NAME       => [ 'none', '== != = :=' ],
	SYMLINK    => [ 'none', '== != = += :=' ],
	ENV        => [ 'need', '== != = +=' ],
	TAG        => [ 'none', '== != = += -=' ],
	ATTR       => [ 'need', '== != =' ],
	SYSCTL     => [ 'need', '== != =' ],
	OWNER      => [ 'none', '= :=' ],
	GROUP      => [ 'none', '= :=' ],
	MODE       => [ 'none', '= :=' ],
	SECLABEL   => [ 'need', '= +=' ],
	RUN        => [ qr/^(program|builtin)?$/, '= += :=' ],
	OPTIONS    => [ 'none', '= += :=' ],
	GOTO       => [ 'none', '=' ],
	LABEL      => [ 'none', '=' ],
);
my $OPTIONS = qr/^(dump|string_escape=(none|replace)|db_persist|watch|nowatch|
	static_node=\S+|link_priority=-?\d+|log_level=\S+)$/x;
my %NONEMPTY = map { $_ => 1 } qw(TAG PROGRAM IMPORT RUN GOTO LABEL OWNER
	GROUP MODE SECLABEL);

my $errors = 0;

sub complain {
	my ($file, $line, $msg) = @_;
	print STDERR "$file:$line: $msg\n";
	$errors++;
}

# Returns the rules of FILE: [ line number, [ [key, attr, op, value]... ] ].
sub parse_file {
	my ($file) = @_;
	my (@rules, $buf, $start);

	open(my $fh, '<', $file) or die "$file: $!\n";
	my @lines = <$fh>;
	close($fh);
	complain($file, scalar(@lines), "last line does not end in a newline")
	    if @lines && $lines[-1] !~ /\n\z/;
	for (my $i = 0; $i < @lines; $i++) {
		my $l = $lines[$i];
		$l =~ s/\r?\n\z//;
		if (defined $buf) {
			$buf .= $l;
		} else {
			next if $l =~ /^\s*(#.*)?$/;
			($buf, $start) = ($l, $i + 1);
		}
		if ($buf =~ s/\\\z//) {
			complain($file, $start, "continued past the end of the file")
			    if $i == $#lines;
			next;
		}
		my $tokens = parse_line($file, $start, $buf);
		push @rules, [ $start, $tokens ] if defined $tokens;
		undef $buf;
	}
	return \@rules;
}

sub parse_line {
	my ($file, $n, $s) = @_;
	my @tokens;
	my $first = 1;

	$s =~ s/^\s+//;
	while ($s ne '') {
		unless ($first) {
			if ($s =~ s/^\s*,\s*$//) {
				complain($file, $n, "stray trailing comma");
				last;
			}
			if ($s !~ s/^,(\s+)(?=\S)//) {
				complain($file, $n, "tokens must be separated by a " .
				    "comma and a space, near: $s");
				return undef;
			}
		}
		$first = 0;
		if ($s !~ s/^([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*//) {
			complain($file, $n, "expected KEY[{attr}]OP\"value\", near: $s");
			return undef;
		}
		my ($key, $attr, $op) = ($1, $2, $3);
		if ($s =~ /^[a-z]+"/) {
			complain($file, $n, "$key: value prefixes (e\"\", i\"\") " .
			    "need a newer udev");
			return undef;
		}
		if ($s !~ s/^"((?:[^"\\]|\\.)*)"//) {
			complain($file, $n, "$key: the value must be in double " .
			    "quotes, near: $s");
			return undef;
		}
		my $value = $1;
		$value =~ s/\\"/"/g;
		push @tokens, [ $key, $attr, $op, $value ];
		$s =~ s/^\s+$//;
	}
	return \@tokens;
}

sub check_token {
	my ($file, $n, $t) = @_;
	my ($key, $attr, $op, $value) = @$t;
	my $spec = $KEYS{$key};

	unless ($spec) {
		complain($file, $n, "unknown key $key");
		return;
	}
	my ($arule, $ops) = @$spec;
	if ($arule eq 'none') {
		complain($file, $n, "$key takes no {attribute}") if defined $attr;
	} elsif ($arule eq 'need') {
		complain($file, $n, "$key needs an {attribute}")
		    if !defined($attr) || $attr eq '';
	} elsif (defined($attr) ? $attr !~ $arule : ''  !~ $arule) {
		complain($file, $n, "$key: bad attribute {" . ($attr // '') . "}");
	}
	complain($file, $n, "$key does not take $op")
	    unless grep { $_ eq $op } split(' ', $ops);
	complain($file, $n, "$key: empty value")
	    if $NONEMPTY{$key} && !$MATCH{$op} && $value eq '';
	if ($key eq 'MODE' && !$MATCH{$op}) {
		if ($value !~ /^[0-7]{3,4}$/) {
			complain($file, $n, "MODE \"$value\" is not an octal mode");
		} elsif (oct($value) & 07) {
			complain($file, $n, "MODE \"$value\" gives access to " .
			    "everyone (o+" . ((oct($value) & 02) ? 'w' : 'r/x') .
			    "): use TAG+=\"uaccess\"");
		}
	}
	complain($file, $n, "OPTIONS: unknown \"$value\"")
	    if $key eq 'OPTIONS' && $value !~ $OPTIONS;
}

sub lint {
	my ($file) = @_;
	my $rules = parse_file($file);
	my (%label_line, %goto_used, @gotos);

	for my $r (@$rules) {
		my ($n, $tokens) = @$r;
		my ($effect, $ngoto, $nlabel) = (0, 0, 0);
		for my $t (@$tokens) {
			check_token($file, $n, $t);
			my ($key, undef, $op, $value) = @$t;
			$effect = 1 if !$MATCH{$op} ||
			    $key =~ /^(IMPORT|PROGRAM)$/;
			if ($key eq 'GOTO') {
				$ngoto++;
				push @gotos, [ $n, $value ];
			} elsif ($key eq 'LABEL') {
				$nlabel++;
				complain($file, $n, "LABEL \"$value\" defined " .
				    "twice (first on line $label_line{$value})")
				    if exists $label_line{$value};
				$label_line{$value} //= $n;
			}
		}
		complain($file, $n, "more than one GOTO") if $ngoto > 1;
		complain($file, $n, "more than one LABEL") if $nlabel > 1;
		complain($file, $n, "the line does nothing (matches only)")
		    unless $effect;
	}
	for my $g (@gotos) {
		my ($n, $label) = @$g;
		if (!exists $label_line{$label}) {
			complain($file, $n, "GOTO \"$label\" has no LABEL");
		} elsif ($label_line{$label} <= $n) {
			complain($file, $n, "GOTO \"$label\" jumps back (LABEL " .
			    "on line $label_line{$label}): udev only jumps forward");
		}
		$goto_used{$label} = 1;
	}
	for my $label (sort keys %label_line) {
		complain($file, $label_line{$label}, "LABEL \"$label\" is unused")
		    unless $goto_used{$label};
	}
}

# fnmatch with udev's "|" alternatives.
sub value_matches {
	my ($pattern, $s) = @_;
	for my $alt (split(/\|/, $pattern, -1)) {
		my $re = join('', map {
			$_ eq '*' ? '.*' : $_ eq '?' ? '.' :
			/^\[(!?)(.*)\]$/ ? '[' . ($1 ? '^' : '') . $2 . ']' :
			quotemeta($_)
		} ($alt =~ /(\[[^\]]*\]|\*|\?|[^[*?]+)/g));
		return 1 if $s =~ /^$re\z/s;
	}
	return 0;
}

sub evaluate {
	my ($root, $file, @dev) = @_;
	my (%prop, %env, %attrs, %tags, @out);

	for (@dev) {
		if (/^ENV:([^=]+)=(.*)$/) { $env{$1} = $2 }
		elsif (/^ATTRS:([^=]+)=(.*)$/) { $attrs{$1} = $2 }
		elsif (/^TAG:(.+)$/) { $tags{$1} = 1 }
		elsif (/^([A-Z]+)=(.*)$/) { $prop{$1} = $2 }
		else { die "bad device description: $_\n" }
	}
	my $rules = parse_file($file);
	die "$file does not parse\n" if $errors;
	my $skip_to;
RULE:	for my $r (@$rules) {
		my ($n, $tokens) = @$r;
		if (defined $skip_to) {
			next unless grep { $_->[0] eq 'LABEL' &&
			    $_->[3] eq $skip_to } @$tokens;
			undef $skip_to;
		}
		for my $t (@$tokens) {
			my ($key, $attr, $op, $value) = @$t;
			next unless $MATCH{$op};
			my $m;
			if ($key eq 'ENV') {
				$m = value_matches($value, $env{$attr} // '');
			} elsif ($key eq 'ATTRS') {
				$m = value_matches($value, $attrs{$attr} // '');
			} elsif ($key eq 'TAG') {
				$m = grep { value_matches($value, $_) } keys %tags;
			} elsif ($key eq 'TEST') {
				$m = -e ($value =~ m{^/} ? "$root$value" : $value);
			} elsif ($key =~ /^(ACTION|SUBSYSTEM|KERNEL|DEVPATH|DRIVER)$/) {
				$m = value_matches($value, $prop{$key} // '');
			} else {
				die "$file:$n: --eval does not do $key\n";
			}
			next RULE if ($op eq '==') != !!$m;
		}
		for my $t (@$tokens) {
			my ($key, $attr, $op, $value) = @$t;
			next if $MATCH{$op};
			if ($key eq 'TAG') {
				%tags = () if $op eq '=';
				if ($op eq '-=') { delete $tags{$value} }
				else { $tags{$value} = 1 }
			} elsif ($key eq 'GOTO') {
				$skip_to = $value;
			} elsif ($key eq 'ENV') {
				$env{$attr} = $value;
				push @out, "ENV{$attr}=$value";
			} elsif ($key =~ /^(OWNER|GROUP|MODE)$/) {
				push @out, "$key=$value";
			} elsif ($key ne 'LABEL') {
				die "$file:$n: --eval does not do $key$op\n";
			}
		}
	}
	print "$_\n" for sort((map { "TAG $_" } keys %tags), @out);
}

if (@ARGV && $ARGV[0] eq '--eval') {
	shift @ARGV;
	my $root = '';
	if (@ARGV >= 2 && $ARGV[0] eq '--root') {
		(undef, $root) = splice(@ARGV, 0, 2);
	}
	my $file = shift @ARGV or die "usage: $0 --eval [--root DIR] FILE ...\n";
	evaluate($root, $file, @ARGV);
	exit 0;
}
die "usage: $0 FILE...\n" unless @ARGV;
lint($_) for @ARGV;
exit($errors ? 1 : 0);
