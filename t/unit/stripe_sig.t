# Runs the C unit test t/unit/stripe_sig.c (built by make into $GIGD_TEST_BUILD/t/).
use strict;
use warnings;
my $bin = ($ENV{GIGD_TEST_BUILD} // 'build/std') . '/t/stripe_sig';
exec $bin or die "cannot run $bin: $!\n";
