# Runs the C unit test of the marketplace helpers (built by make into $GIGD_TEST_BUILD/t/).
use strict;
use warnings;
my $bin = ($ENV{GIGD_TEST_BUILD} // 'build/std') . '/t/market';
exec $bin or die "cannot run $bin: $!\n";
