# Runs the C unit test binary t/unit/mpstream.c (built by make into $GIGD_TEST_BUILD/t/mpstream).
exec("$ENV{GIGD_TEST_BUILD}/t/mpstream") or die "cannot run unit test: $!";
