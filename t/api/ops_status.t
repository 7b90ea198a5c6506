# The worker scoreboard (GET /status, php-fpm style, ?json) and the metrics (GET /metrics,
# Prometheus text) — issue 14, item 3: the figures move as requests run, routes are
# labelled by pattern, the outbox and Stripe figures are real, and both pages are refused
# from an address nginx does not allow and by gigd itself when nginx did not admit the
# request. The stages (reading, handler, db) are watched on a master of the test's own
# running gigd-test (t/hooks/slow.c slows a request on purpose). Runs alone (tools/test-run
# SERIAL): it counts requests over the whole pool and reads the outboxes' totals.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Gigd;
use OwnMaster;
use Payments qw(stripe_control stripe_clear);

my $base = $ENV{GIGD_TEST_BASE} or plan skip_all => 'run through tools/test-run';
my ($port) = $base =~ /:(\d+)$/;
my $JSON = JSON::PP->new->utf8;

sub page {
    my ($path, $from) = @_;
    my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 10, $from ? (local_address => $from) : ());
    my $host = $from // '127.0.0.1';
    return $http->get("https://$host:$port$path");
}
# The value of one sample line of the metrics (0 when absent).
sub sample {
    my ($text, $line) = @_;
    my ($v) = $text =~ /^\Q$line\E (\S+)$/m;
    return $v // 0;
}
sub metrics { my $r = page('/metrics'); return $r->{content} }
sub status_json { my $r = page('/status?json'); return $JSON->decode($r->{content})->{data} }

# A test just before this one may have reloaded the pool (SIGHUP): wait until the previous
# generation has left, so the board and the master's counts describe one settled pool.
wait_for(sub {
    my $d = status_json();
    ($d->{total_processes} // 0) == $ENV{GIGD_WORKERS}
        && scalar(grep { $_->{pid} > 0 } @{ $d->{workers} // [] }) == $ENV{GIGD_WORKERS};
}, 15);

subtest 'GET /status: the pool and every worker' => sub {
    my $r = page('/status');
    is $r->{status}, 200, '200 from loopback';
    like $r->{headers}{'content-type'}, qr{^text/plain}, 'text';
    for my $field ('pool', 'generation', 'start time', 'accepted conn', 'listen queue', 'listen queue len',
                   'idle processes', 'active processes', 'total processes', 'workers configured',
                   'max active processes', 'slow requests', 'worker restarts') {
        like $r->{content}, qr/^\Q$field\E: +\S/m, "has '$field'";
    }
    like $r->{content}, qr/^workers configured: +$ENV{GIGD_WORKERS}$/m, 'GIGD_WORKERS in force';
    like $r->{content}, qr/^listen queue len: +[1-9]\d*$/m, 'the socket\'s queue limit, read from the kernel';
    for my $field ('pid', 'state', 'requests', 'request duration', 'route', 'request id', 'in flight') {
        like $r->{content}, qr/^\Q$field\E:/m, "a worker's '$field'";
    }

    $r = page('/status?json');
    is $r->{status}, 200, '?json 200';
    my $d = $JSON->decode($r->{content})->{data};
    my $me = $r->{headers}{'x-request-id'};
    my ($self) = grep { $_->{request_id} eq $me } @{ $d->{workers} };
    ok $self, 'the worker answering is on the board with nginx\'s request id' or diag explain $d;
    is $self->{state}, 'handler', '... in the handler stage';
    is $self->{route}, '/status', '... on its route';
    is $d->{workers_configured}, $ENV{GIGD_WORKERS}, 'workers configured';
    cmp_ok $d->{total_processes}, '>=', $ENV{GIGD_WORKERS}, 'workers alive';
    is scalar(grep { $_->{pid} > 0 } @{ $d->{workers} }), $d->{total_processes}, 'one entry per live worker';
    cmp_ok $d->{listen_queue}, '>=', 0, 'listen queue read';
    cmp_ok $d->{max_active_processes}, '>=', 0, 'max active';
};

subtest 'counters move as requests run' => sub {
    my $before = status_json();
    my $m0 = metrics();
    my $line = 'gigd_http_requests_total{method="GET",route="/healthz",status="200"}';
    my $hist = 'gigd_http_request_duration_seconds_count{method="GET",route="/healthz"}';
    api(GET => '/healthz') for 1 .. 5;
    my $after = status_json();
    cmp_ok $after->{accepted_conn}, '>=', $before->{accepted_conn} + 6, 'accepted conn counts every request';
    my $m1 = metrics();
    cmp_ok sample($m1, $line), '>=', sample($m0, $line) + 5, 'requests by route and status';
    cmp_ok sample($m1, $hist), '>=', sample($m0, $hist) + 5, 'the latency histogram counts them';
    is sample($m1, 'gigd_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}'),
       sample($m1, $hist), '+Inf bucket = count';
    my @b = $m1 =~ /^gigd_http_request_duration_seconds_bucket\{method="GET",route="\/healthz",le="[^"]+"\} (\d+)$/mg;
    is_deeply \@b, [sort { $a <=> $b } @b], 'buckets are cumulative';
    my $served = 0;
    $served += $_->{requests} for @{ $after->{workers} };
    cmp_ok $served, '>', 0, 'workers count what they served';

    # Route patterns label the series, never the path (bounded cardinality).
    my $id = Gigd::uuid_random();
    my ($s) = api(GET => "/api/gigs/$id");
    is $s, 404, 'a gig that does not exist';
    my $m2 = metrics();
    cmp_ok sample($m2, 'gigd_http_requests_total{method="GET",route="/api/gigs/:id",status="404"}'), '>=', 1,
        'counted under its pattern';
    unlike $m2, qr/\Q$id\E/, 'the id itself is no label';
    api(GET => "/api/no-such-route-$id");
    like metrics(), qr/^gigd_http_requests_total\{method="",route="\(unmatched\)",status="404"\} \d+$/m,
        'unmatched paths share one series';
    like $m2, qr/^# TYPE gigd_http_request_duration_seconds histogram$/m, 'typed histogram';
    like page('/metrics')->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'Prometheus content type';
};

subtest 'database, Stripe, restarts and outbox figures' => sub {
    my $m0 = metrics();
    for my $name ('gigd_db_errors_total', 'gigd_db_reconnects_total', 'gigd_worker_restarts_total{reason="crash"}',
                  'gigd_worker_restarts_total{reason="timeout"}', 'gigd_worker_restarts_total{reason="recycle"}',
                  'gigd_slow_requests_total', 'gigd_listen_queue', 'gigd_workers_configured') {
        like $m0, qr/^\Q$name\E \d+$/m, "$name present";
    }
    # Stripe calls by outcome: a checkout is one successful call at the fake Stripe.
    my $u = new_user();
    my ($s) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'checkout at the fake Stripe';
    my $ok = 'gigd_stripe_calls_total{outcome="ok"}';
    cmp_ok sample(metrics(), $ok), '>=', sample($m0, $ok) + 1, 'Stripe calls by outcome';

    # Outbox depth and oldest age, read from the database at scrape time. The row is not
    # due for an hour, so the deliverer leaves it alone.
    my ($id) = psql_row("INSERT INTO mail_outbox (to_addr, subject, body, created_at, next_attempt_at)"
                        . " VALUES ('metrics\@example.test', 'x', 'x', now() - interval '2 hours', now() + interval '1 hour') RETURNING id");
    my $m1 = metrics();
    cmp_ok sample($m1, 'gigd_outbox_depth{queue="mail"}'), '>=', 1, 'mail outbox depth';
    cmp_ok sample($m1, 'gigd_outbox_oldest_seconds{queue="mail"}'), '>=', 7200, 'oldest mail age';
    like $m1, qr/^gigd_outbox_depth\{queue="push"\} \d+$/m, 'push outbox depth';
    like $m1, qr/^gigd_outbox_oldest_seconds\{queue="push"\} \d+$/m, 'oldest push age';
    is sample($m1, 'gigd_outbox_up'), 1, 'the outbox query ran';
    psql("DELETE FROM mail_outbox WHERE id = $id");
    cmp_ok sample(metrics(), 'gigd_outbox_oldest_seconds{queue="mail"}'), '<', 7200, 'gone again';
};

subtest 'an outside call in flight: stage and URL' => sub {
    # The fake Stripe answers the next call after 1.5 s (within GIGD_STRIPE_TIMEOUT).
    my $u = new_user();
    stripe_control({ delay => 1.5, count => 1 });
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        api(POST => '/api/subscription/checkout', token => $u->{token});
        POSIX::_exit(0);
    }
    my $w;
    wait_for(sub { ($w) = grep { $_->{state} eq 'outside call' } @{ status_json()->{workers} }; $w }, 5);
    ok $w, 'a worker in the outside call stage' or diag explain status_json();
    is $w->{route}, '/api/subscription/checkout', '... on its route';
    like $w->{in_flight}, qr{^http://127\.0\.0\.1:\d+/v1/(customers|checkout/sessions)$},
        '... with the Stripe URL in flight';
    waitpid $kid, 0;
    stripe_clear();
};

subtest 'refused from an address nginx does not allow' => sub {
    my $from = '127.0.0.' . (100 + int rand 100);
    for my $path ('/status', '/status?json', '/metrics') {
        my $r = page($path, $from);
        is $r->{status}, 403, "$path from $from: 403";
        like $r->{content}, qr/"code":"FORBIDDEN"/, '... in the envelope';
        unlike $r->{content}, qr/gigd_|accepted conn|workers/, '... and nothing of the page';
    }
    my $r = page('/metrics');
    is $r->{status}, 200, 'still served to loopback';
};

# gigd itself, spoken to over FastCGI as a misconfigured proxy would (no nginx location
# marking the request): its own master, with an allow-list.
my %ops = (REQUEST_METHOD => 'GET', QUERY_STRING => '');
sub own_page {
    my ($path, %p) = @_;
    my ($q) = $path =~ /\?(.*)/;
    (my $bare = $path) =~ s/\?.*//;
    return fcgi_request('', %ops, GIGD_PATH => $bare, QUERY_STRING => $q // '', %p);
}

subtest 'gigd refuses unless nginx admitted the request' => sub {
    ok own_master(-binary => 'gigd-test', GIGD_TEST_HOOKS => 1, GIGD_OPS_ALLOW => '192.0.2.0/24, 2001:db8::/32'),
       'own master (gigd-test) up';
    ok wait_for(sub { my ($s) = own_page('/healthz'); $s == 200 }, 10), 'serving';
    for my $path ('/status', '/metrics') {
        my ($s, undef, $body) = own_page($path, REMOTE_ADDR => '127.0.0.1');
        is $s, 403, "$path from loopback without the mark: 403";
        unlike $body, qr/gigd_|accepted/, '... nothing of the page';
        ($s) = own_page($path, REMOTE_ADDR => '127.0.0.1', GIGD_OPS_ALLOWED => 0);
        is $s, 403, "$path with the mark unset: 403";
        ($s) = own_page($path, REMOTE_ADDR => '127.0.0.1', GIGD_OPS_ALLOWED => 1);
        is $s, 200, "$path marked, from loopback: 200";
        ($s) = own_page($path, REMOTE_ADDR => '192.0.2.7', GIGD_OPS_ALLOWED => 1);
        is $s, 200, "$path marked, from the allow-list: 200";
        ($s) = own_page($path, REMOTE_ADDR => '2001:db8::5', GIGD_OPS_ALLOWED => 1);
        is $s, 200, "$path marked, from the allow-list (IPv6): 200";
        ($s) = own_page($path, REMOTE_ADDR => '198.51.100.1', GIGD_OPS_ALLOWED => 1);
        is $s, 403, "$path marked, from elsewhere: 403";
        ($s) = own_page($path, REMOTE_ADDR => '127.0.0.2', GIGD_OPS_ALLOWED => 1);
        is $s, 403, "$path marked, from another loopback address: 403";
    }
};

# The stages, as a slowed request passes through them (t/hooks/slow.c).
sub own_status {
    my (undef, undef, $body) = own_page('/status?json', REMOTE_ADDR => '127.0.0.1', GIGD_OPS_ALLOWED => 1);
    my $d = eval { $JSON->decode($body)->{data} };
    return $d // { workers => [] };
}
sub slowed {
    my ($how, $rid) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        own_page('/healthz', HTTP_X_GIGD_TEST_SLEEP => $how, REQUEST_ID => $rid);
        POSIX::_exit(0);
    }
    return $pid;
}
sub seen {
    my ($rid, $cond) = @_;
    my $found;
    wait_for(sub { ($found) = grep { $_->{request_id} eq $rid && $cond->($_) } @{ own_status()->{workers} }; $found }, 5);
    return $found;
}

subtest 'the scoreboard shows each stage of a request' => sub {
    my $rid = "ops-status-db-$$";
    my $kid = slowed('db:1.5', $rid);
    my $w = seen($rid, sub { $_[0]{state} eq 'db' });
    ok $w, 'a worker in the db stage' or diag explain own_status();
    is $w->{route}, '/healthz', '... on its route';
    is $w->{method}, 'GET', '... and method';
    is $w->{in_flight}, 'st_test_sleep', '... with the statement in flight (its name)';
    cmp_ok $w->{request_duration_us}, '>', 0, '... and the time spent so far';
    my ($served, $pid) = ($w->{requests}, $w->{pid});
    waitpid $kid, 0;
    # The first view of that worker's slot once its request is counted. The worker may be the
    # one answering this very status page (the worker that just finished often wins the next
    # accept): then it is in the handler stage on /status, and its figures are the same.
    wait_for(sub { ($w) = grep { $_->{pid} == $pid && $_->{requests} > $served } @{ own_status()->{workers} }; $w }, 5);
    ok $w && ($w->{state} eq 'idle' || $w->{route} eq '/status'), 'idle once answered'
        or diag explain $w;
    is $w->{requests}, $served + 1, 'one more request served';
    is $w->{in_flight}, '', 'nothing in flight';
    cmp_ok $w->{last_request_us}, '>=', 1_400_000, 'the last request took its 1.5 s';

    $rid = "ops-status-handler-$$";
    $kid = slowed('handler:1', $rid);
    $w = seen($rid, sub { $_[0]{state} eq 'handler' });
    ok $w, 'a worker in the handler stage';
    is $w->{in_flight}, '', 'no statement in flight there';
    waitpid $kid, 0;

    my $d = own_status();
    cmp_ok $d->{max_active_processes}, '>=', 1, 'max active counts the busy worker';
    is $d->{total_processes}, 2, 'both workers alive';
};

done_testing;
