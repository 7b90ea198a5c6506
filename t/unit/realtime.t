# Runs the C unit test binary t/unit/realtime.c (built by make into $GIGD_TEST_BUILD/t/realtime).
exec("$ENV{GIGD_TEST_BUILD}/t/realtime") or die "cannot run unit test: $!";
