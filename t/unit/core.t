# Runs the C unit test binary t/unit/core.c (built by make into $GIGD_TEST_BUILD/t/core).
exec("$ENV{GIGD_TEST_BUILD}/t/core") or die "cannot run unit test: $!";
