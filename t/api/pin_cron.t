# The cron advisory lock (lib/cron.c st_cron_lock): while another run of a job holds it
# (here a psql session holding the same transaction-scoped lock), a run skips and changes
# nothing. In the cleanup job's seq group (tools/test-run).
use strict;
use warnings;
use Test::More;
use Gigd;
use Race;

my $u = new_user();
psql("UPDATE sessions SET expires_at = now() - interval '2 days' WHERE user_id = '$u->{id}'");
my $sessions = sub { (psql_row("SELECT count(*) FROM sessions WHERE user_id = '$u->{id}'"))[0] };
my $auth = { Authorization => 'Bearer ' . cron_secret() };

my $h = hold("SELECT pg_advisory_xact_lock(hashtext('gigd-cron:cleanup'))");
my ($s, $d) = api(POST => '/api/cron/cleanup', headers => $auth);
release($h);
is $s, 200, 'a run while another holds the lock: 200';
is $d->{data}{skipped}, 'already running', 'skipped';
is $sessions->(), 1, 'the expired session is still there';

($s, $d) = api(POST => '/api/cron/cleanup', headers => $auth);
is $s, 200, 'once the lock is free: 200';
ok !$d->{data}{skipped}, 'ran';
is $sessions->(), 0, 'the expired session is gone';

done_testing;
