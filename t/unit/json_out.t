# Runs the C unit test of the json_outplace helpers (built by make into $GIGD_TEST_BUILD/t/).
use strict;
use warnings;
my $bin = ($ENV{GIGD_TEST_BUILD} // 'build/std') . '/t/json_out';
exec $bin or die "cannot run $bin: $!\n";
