# Runs the C unit test of the multipart parser (built by make into $GIGD_TEST_BUILD/t/).
use strict;
use warnings;
my $bin = ($ENV{GIGD_TEST_BUILD} // 'build/std') . '/t/multipart';
exec $bin or die "cannot run $bin: $!\n";
