# Cron over HTTP and gigctl: secret checked, unknown jobs 404, cleanup idempotent.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d) = api(POST => '/api/cron/cleanup');
is $s, 401, 'no secret 401';
($s) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer wrong' });
is $s, 401, 'wrong secret 401';
($s) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() . 'x' });
is $s, 401, 'secret with a suffix 401';
($s, $d) = api(POST => '/api/cron/no-such-job', headers => { Authorization => 'Bearer ' . cron_secret() });
is $s, 404, 'unknown job 404';

my $u = new_user();
my $sid_count = sub { (psql_row("SELECT count(*) FROM sessions WHERE user_id = '$u->{id}'"))[0] };
psql("UPDATE sessions SET expires_at = now() - interval '2 days' WHERE user_id = '$u->{id}'");
($s, $d) = api(GET => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() });
is $s, 200, 'cleanup via GET';
ok $d->{data}{sessions} >= 1, 'expired sessions removed';
is $sid_count->(), 0, 'the expired session is gone';
($s, $d) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() });
is $s, 200, 'second run fine';
is $d->{data}{sessions}, 0, 'idempotent: nothing left to do';

my @r = parallel(4, sub { (api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() }))[0] });
is scalar(grep { $_ == 200 } @r), 4, 'concurrent runs all answer 200 (one works, the others skip)';

my $out = `$ENV{GIGD_TEST_BUILD}/gigctl cron cleanup 2>&1`;
is $?, 0, 'gigctl cron cleanup exits 0';
like $out, qr/"sessions"/, 'gigctl prints the summary';
`$ENV{GIGD_TEST_BUILD}/gigctl cron nope 2>&1`;
isnt $?, 0, 'gigctl cron with an unknown job fails';

done_testing;
