#!/usr/bin/perl
# A program's --help and its mdoc page name the same options.
#
#   man-options.pl HELP_FILE PAGE
#   man-options.pl --list HELP_FILE	(prints the help text's options)
#
# Options in the help text: words starting with - or -- after a space, "[",
# "|", "(" or ",".  A single dash with several letters is a cluster of
# one-letter options, as in "[-nfh]"; "--" alone is not an option.
# Options in the page: the arguments of every Fl macro, with the same
# reading ("Fl nfh" is three, "Fl -help" is --help).
# Fails, listing them, when an option of the help text has no .It entry in
# the page, or when the page names (anywhere) an option the help text lacks.
use strict;
use warnings;

my %CALLABLE = map { $_ => 1 } qw(Ac Ao Ap Aq Ar At Bc Bo Bq Brc Bro Brq Bsx
	Bx Cd Cm Dc Do Dq Dv Dx Ec Em En Eo Er Ev Fa Fc Fl Fn Fo Fr Ft Fx Ic
	In Lb Li Lk Ms Mt Nm No Ns Nx Oc Oo Op Ot Ox Pa Pc Pf Po Pq Qc Ql Qo
	Qq Sc So Sq St Sx Sy Ta Tn Ux Va Vt Xc Xo Xr);
my $DELIM = qr/^[.,:;()\[\]?!|]$/;

sub options_of_word {
	my ($w) = @_;

	return ("--$1") if $w =~ /^--([A-Za-z0-9][-A-Za-z0-9]*)$/;
	return map { "-$_" } split(//, $1) if $w =~ /^-([A-Za-z0-9]+)$/;
	return ();
}

sub help_options {
	my ($file) = @_;
	my %o;

	open(my $fh, '<', $file) or die "$file: $!\n";
	while (my $l = <$fh>) {
		while ($l =~ /(?:^|[\s\[|(,])(--?[A-Za-z0-9][-A-Za-z0-9]*)/g) {
			$o{$_} = 1 for options_of_word($1);
		}
	}
	close($fh);
	return \%o;
}

# Returns (all options named by Fl, those on .It lines).
sub page_options {
	my ($file) = @_;
	my (%all, %items);

	open(my $fh, '<', $file) or die "$file: $!\n";
	while (my $l = <$fh>) {
		next unless $l =~ /^\.\s*(\S.*)$/;
		my @words = ($1 =~ /"[^"]*"|\S+/g);
		my $item = @words && $words[0] eq 'It';
		for (my $i = 0; $i < @words; $i++) {
			next unless $words[$i] eq 'Fl';
			while (++$i < @words) {
				my $w = $words[$i];
				$w =~ s/\\&//g;
				if ($CALLABLE{$words[$i]} || $w =~ $DELIM) {
					$i-- if $CALLABLE{$words[$i]};
					last;
				}
				for my $o (options_of_word("-$w")) {
					$all{$o} = 1;
					$items{$o} = 1 if $item;
				}
			}
		}
	}
	close($fh);
	return (\%all, \%items);
}

if (@ARGV == 2 && $ARGV[0] eq '--list') {
	print "$_\n" for sort keys %{help_options($ARGV[1])};
	exit 0;
}
die "usage: $0 HELP_FILE PAGE | --list HELP_FILE\n" unless @ARGV == 2;
my ($help, $page) = @ARGV;
my $h = help_options($help);
my ($all, $items) = page_options($page);
my @undocumented = sort grep { !$items->{$_} } keys %$h;
my @unknown = sort grep { !$h->{$_} } keys %$all;
print STDERR "$page: no entry for ", join(' ', @undocumented),
    " (in --help)\n" if @undocumented;
print STDERR "$page: names ", join(' ', @unknown),
    " that --help does not\n" if @unknown;
die "$help: no options found\n" unless %$h;
exit(@undocumented || @unknown ? 1 : 0);
