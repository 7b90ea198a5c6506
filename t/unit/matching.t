# Runs the C unit test binary t/unit/matching.c (built by make into $GIGD_TEST_BUILD/t/matching).
exec("$ENV{GIGD_TEST_BUILD}/t/matching") or die "cannot run unit test: $!";
