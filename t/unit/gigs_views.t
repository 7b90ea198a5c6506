# Runs the C unit test of the view buffer (built by make into $GIGD_TEST_BUILD/t/).
use strict;
use warnings;
my $bin = ($ENV{GIGD_TEST_BUILD} // 'build/std') . '/t/gigs_views';
exec $bin or die "cannot run $bin: $!\n";
