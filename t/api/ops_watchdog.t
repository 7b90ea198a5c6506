# The request watchdog and the slow log (issue 14, item 4; php-fpm's slowlog and
# request_terminate_timeout): a request running longer than GIGD_SLOW_REQUEST is logged
# once with its route, request id, stage and the statement in flight; one running longer
# than GIGD_REQUEST_TIMEOUT has its worker killed and replaced by the master, logged and
# counted in the metrics. Requests are slowed on purpose by gigd-test's test-only switch
# (t/hooks/slow.c), on a master of the test's own; the production binary has no such switch.
# Runs alone (tools/test-run SERIAL): it kills workers.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
use Gigd;
use OwnMaster;

$ENV{GIGD_TEST_BUILD} or plan skip_all => 'run through tools/test-run';
my $build = $ENV{GIGD_TEST_BUILD};

sub get {
    my ($path, %p) = @_;
    return fcgi_request('', REQUEST_METHOD => 'GET', GIGD_PATH => $path, QUERY_STRING => '', %p);
}
sub metric {
    my ($name) = @_;
    my (undef, undef, $body) = get('/metrics', REMOTE_ADDR => '127.0.0.1', GIGD_OPS_ALLOWED => 1);
    my ($v) = $body =~ /^\Q$name\E (\S+)$/m;
    return $v // 0;
}
sub lines { my ($re) = @_; return grep { /$re/ } split /\n/, own_log() }

ok own_master(-binary => 'gigd-test', GIGD_TEST_HOOKS => 1, GIGD_SLOW_REQUEST => 1, GIGD_REQUEST_TIMEOUT => 3),
   'own master (gigd-test) up: slow after 1 s, killed after 3 s';
my $master = own_master_pid();
sub workers { return sort { $a <=> $b } split ' ', `pgrep -P $master` }
ok wait_for(sub { my @w = workers(); @w == 2 }, 10), 'two workers';

subtest 'slow log: once, with route, request id, stage and statement' => sub {
    my $rid = "wd-slow-$$";
    my $t0 = time;
    my ($s) = get('/healthz', HTTP_X_GIGD_TEST_SLEEP => 'db:1.8', REQUEST_ID => $rid);
    is $s, 200, 'the slow request is answered';
    cmp_ok time - $t0, '>=', 1.7, '... after its 1.8 s';
    sleep 0.6; # a few more watchdog ticks after it ended
    my @l = lines(qr/slow request: .*request \Q$rid\E\)/);
    is scalar @l, 1, 'logged once' or diag own_log();
    like $l[0] // '', qr{slow request: GET /healthz running 1\.\d s \(worker \d+, pid \d+, request \Q$rid\E\), db: st_test_sleep},
       'route, time, worker, request id, stage and statement name';
    is metric('gigd_slow_requests_total'), 1, 'counted';

    $rid = "wd-fast-$$";
    ($s) = get('/healthz', REQUEST_ID => $rid);
    is $s, 200, 'a fast request';
    sleep 0.5;
    is scalar(lines(qr/\Q$rid\E/)), 0, 'not in the slow log';
};

subtest 'timeout: the worker is killed and replaced' => sub {
    my @before = workers();
    my $rid = "wd-kill-$$";
    my $t0 = time;
    my ($s, $head, $body) = get('/healthz', HTTP_X_GIGD_TEST_SLEEP => 'handler:30', REQUEST_ID => $rid);
    my $took = time - $t0;
    is "$head$body", '', 'the connection ends without an answer';
    cmp_ok $took, '>=', 2.9, 'not before the timeout';
    cmp_ok $took, '<', 6, 'soon after it (not after the 30 s sleep)';
    my ($kill) = lines(qr/request timeout, killing its worker: .*\Q$rid\E/);
    like $kill // '', qr{request timeout, killing its worker: GET /healthz running 3\.\d s \(worker \d+, pid (\d+), request \Q$rid\E\), handler},
       'logged with route, request id and stage' or diag own_log();
    my ($pid) = ($kill // '') =~ /pid (\d+)/;
    ok $pid && grep({ $_ == $pid } @before), 'the killed pid was a worker';
    ok wait_for(sub { my @w = workers(); @w == 2 && !grep { $_ == ($pid // 0) } @w }, 10), 'replaced: two workers again';
    is metric('gigd_worker_restarts_total{reason="timeout"}'), 1, 'counted as a timeout restart';
    is metric('gigd_worker_restarts_total{reason="crash"}'), 0, 'not as a crash';
    is metric('gigd_slow_requests_total'), 2, 'it was in the slow log first';
    is scalar(lines(qr/crash storm/)), 0, 'no crash storm';
    ($s) = get('/healthz');
    is $s, 200, 'the pool serves on';
};

subtest 'the production binary has no slow switch' => sub {
    ok system("grep -q HTTP_X_GIGD_TEST_SLEEP $build/gigd-test") == 0, 'gigd-test has it';
    ok system("grep -q HTTP_X_GIGD_TEST_SLEEP $build/gigd") != 0, 'gigd does not';
    kill 'QUIT', $master;
    waitpid $master, 0;
    ok own_master(GIGD_TEST_HOOKS => 1, GIGD_SLOW_REQUEST => 1), 'own master (gigd) up, GIGD_TEST_HOOKS=1 in its environment';
    ok wait_for(sub { my ($st) = get('/healthz'); $st == 200 }, 10), 'serving';
    my $t0 = time;
    my ($s) = get('/healthz', HTTP_X_GIGD_TEST_SLEEP => 'handler:5');
    is $s, 200, 'answered';
    cmp_ok time - $t0, '<', 1, 'at once: the header means nothing to gigd';
};

done_testing;
