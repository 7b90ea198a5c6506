# Runs the C unit test of the log formats (built by make into $GIGD_TEST_BUILD/t/log).
exec("$ENV{GIGD_TEST_BUILD}/t/log") or die "cannot run unit test: $!";
