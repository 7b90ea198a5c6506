# Two hosts, one service (tools/cluster): hosts a and b, each its own nginx, gigd master,
# deliverer and cron, over one PostgreSQL primary with a streaming standby, nchan on both
# in one Redis. Real time crosses hosts; mail, push and cron effects happen once with
# both hosts running them at the same time; public reads go to the standby, a user's
# reads after their own write to the primary, and a standby that goes away costs no
# request. Host a logs JSON lines whose request id is nginx's, also seen by PostgreSQL.
# Runs alone (tools/test-run SERIAL): it starts a dozen processes of its own.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);
use Gigd;
use GigdStream;

my $root = $ENV{GIGD_TEST_BUILD} =~ s{/build/[^/]+$}{}r;
my ($build) = $ENV{GIGD_TEST_BUILD} =~ m{/(build/[^/]+)$};
my $JSON = JSON::PP->new->utf8->canonical;
my $dir = tempdir('gigd-cluster.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{GIGD_TEST_KEEP});
chmod 0755, $dir;

sub free_base {
    my $used = `ss -Htln 2>/dev/null`;
    while (1) {
        my $b = 20000 + int(rand(40000));
        return $b unless grep { $used =~ /:$_\s/ } $b .. $b + 8;
    }
}
my $base = free_base();
my $t0 = time;
my $out = `GIGD_CLUSTER_PORT=$base GIGD_CLUSTER_CRON=0 GIGD_WORKERS=2 GIGD_LOG_FORMAT=json timeout 120 $root/tools/cluster start $dir $build 2>&1`;
my $started = $? == 0;
END { system("$root/tools/cluster stop $dir >/dev/null 2>&1") if $dir }
ok $started, sprintf('cluster started in %.1f s', time - $t0) or do { diag $out; system("tail -n 20 $dir/log/*.log $dir/*/log/*.log >&2"); done_testing; exit 1 };

my %env = map { /^export (\w+)='?(.*?)'?$/ ? ($1 => $2) : () } do { open my $f, '<', "$dir/env" or die; <$f> };
my ($A, $B) = @env{qw(GIGD_CLUSTER_A GIGD_CLUSTER_B)};
my $primary = $env{GIGD_CLUSTER_PRIMARY};
my $replica = $env{GIGD_CLUSTER_REPLICA} =~ s/ connect_timeout=\d+//r;

sub q_on {
    my ($conn, $sql) = @_;
    local $ENV{GIGD_DATABASE_URL} = $conn;
    return psql_row($sql);
}
sub signup {
    my ($host) = @_;
    my $name = rand_name('cl');
    my ($s, $d) = api(POST => "$host/api/auth/signup",
                      json => { email => "$name\@example.test", password => 'correct horse battery', username => $name });
    die "signup on $host failed ($s)" unless $s == 201;
    # As Gigd::new_user does (a test shortcut): verified in the database, not by mail.
    q_on($primary, "UPDATE users SET email_verified_at = now() WHERE id = '$d->{data}{user}{id}'");
    return { id => $d->{data}{user}{id}, token => $d->{data}{token}, email => "$name\@example.test", username => $name };
}
sub host_env { # the environment a host's gigctl runs with
    my ($h) = @_;
    return join ' ', map { /^export (.*)$/ ? $1 : () } do { open my $f, '<', "$dir/$h/env" or die; <$f> };
}

my ($s, $d);
my $ua = signup($A);
my $ub = signup($B);

subtest 'real time across hosts (nchan over one Redis)' => sub {
    ($s, $d) = api(POST => "$A/api/conversations", token => $ua->{token}, json => { participant_id => $ub->{id} });
    is $s, 201, 'conversation created through a';
    my $cid = $d->{data}{id};
    my $sse = GigdStream->new('sse', $B, "/api/realtime/conversations/$cid?access_token=$ub->{token}");
    is $sse->{status}, 200, 'b subscribed to the conversation on host b';
    my $nws = GigdStream->new('ws', $B, "/api/realtime/notifications?access_token=$ub->{token}");
    is $nws->{status}, 101, 'b subscribed to their notifications on host b';
    sleep 0.3;
    ($s, $d) = api(POST => "$A/api/conversations/$cid/messages", token => $ua->{token}, json => { content => 'across' });
    is $s, 201, 'message sent through host a';
    my $ev = $sse->wait_event('message', 3);
    ok $ev, 'the subscriber on b received it';
    is $ev && $ev->[0]{data}{id}, $d->{data}{id}, '… the same message';
    cmp_ok $ev->[1], '<', 1.5, sprintf('… in %.3f s', $ev->[1]) if $ev;
    $ev = $nws->wait_event('notification', 3);
    ok $ev, 'the new_message notification created on a reached b\'s stream on b';
    is $ev && $ev->[0]{data}{type}, 'new_message', '… new_message';
    api(POST => "$A/api/conversations/$cid/typing", token => $ua->{token});
    $ev = $sse->wait_event('typing', 3);
    ok $ev && $ev->[0]{data}{user_id} eq $ua->{id}, 'typing sent on a arrives on b';
    $_->close for $sse, $nws;
};

subtest 'every host runs the deliverer: each mail and push goes out once' => sub {
    ($s) = api(POST => "$B/api/auth/password/reset", json => { email => $ua->{email} });
    is $s, 200, 'password reset asked on b';
    my $mine = sub { grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { $_ eq $ua->{email} } @{ $_->{to} } } mails() };
    ok wait_for(sub { $mine->() >= 1 }, 15), 'the reset mail went out';
    sleep 2; # both deliverers have polled again by now
    is scalar($mine->()), 1, 'exactly once, with two deliverers running';

    my $tok = 'ExponentPushToken[' . rand_name('cl') . ']';
    ($s) = api(POST => "$A/api/push-tokens", token => $ub->{token}, json => { push_token => $tok, platform => 'ios', device_id => 'p1' });
    is $s, 201, 'push token registered on a';
    my $uc = signup($B); # a new conversation: new messages in one already unread are coalesced
    ($s, $d) = api(POST => "$B/api/conversations", token => $uc->{token}, json => { participant_id => $ub->{id} });
    ($s) = api(POST => "$B/api/conversations/$d->{data}{id}/messages", token => $uc->{token}, json => { content => 'push once' });
    is $s, 201, 'a message to b through b';
    my $sent = sub { scalar grep { $_->{path} =~ m{/push/send$} && index($_->{body}, $tok) >= 0 } fake_requests('expo') };
    ok wait_for(sub { $sent->() >= 1 }, 15), 'the push went out';
    sleep 2;
    is $sent->(), 1, 'exactly once, with two deliverers running';
};

subtest 'every host runs every cron job: effects happen once' => sub {
    my @t = gmtime(time + 600);
    my $at = sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
    ($s, $d) = api(POST => "$A/api/calls", token => $ua->{token}, json => { participant_id => $ub->{id}, scheduled_at => $at });
    is $s, 201, 'a call in 10 minutes';
    my $call = $d->{data}{id};
    # Both hosts, three times each, all at once — as two timers firing together would.
    my @pids;
    for my $h (qw(a b a b a b)) {
        my $pid = fork // die;
        if (!$pid) { exec('sh', '-c', host_env($h) . " $root/$build/gigctl cron call-reminders >/dev/null 2>&1"); exit 127 }
        push @pids, $pid;
    }
    my @rc = map { waitpid($_, 0); $? } @pids;
    is scalar(grep { $_ == 0 } @rc), 6, 'six concurrent runs on two hosts all succeed';
    my ($n) = q_on($primary, "SELECT count(*) FROM notifications WHERE type = 'call_reminder' AND data->>'call_id' = '$call'");
    is $n, 2, 'one reminder per participant, once';
};

subtest 'JSON logs; one request id through nginx, gigd and PostgreSQL' => sub {
    my $res;
    ($s, $res) = api_raw(GET => "$A/api/profile", token => $ua->{token});
    is $s, 200, 'a request on host a';
    my $rid = $res->{headers}{'x-request-id'};
    like $rid, qr/^[0-9a-f]{32}$/, "nginx's request id returned: $rid";
    # The worker that served it keeps the id as its connection's application_name until its next request.
    my ($app) = q_on($primary, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gigd $rid'");
    is $app, 1, 'PostgreSQL sees the request id as application_name';
    my @lines = do { open my $f, '<', "$dir/a/log/gigd.log" or die; <$f> };
    my @bad = grep { !eval { $JSON->decode($_); 1 } } @lines;
    ok @lines > 5, scalar(@lines) . ' log lines';
    is scalar(@bad), 0, 'every line is one JSON object' or diag "@bad[0..2]";
    my ($line) = grep { ($_->{request_id} // '') eq $rid && ($_->{msg} // '') eq 'request' } map { $JSON->decode($_) } @lines;
    ok $line, 'the request has an access line under the same id';
    is $line->{$_->[0]}, $_->[1], "… $_->[0]" for [route => '/api/profile'], [status => 200], [user_id => $ua->{id}], [method => 'GET'];
    ok defined $line->{duration_ms} && $line->{worker} =~ /^\d+$/ && $line->{time} =~ /Z$/, '… duration, worker and time';
};

subtest 'read replica: public reads on the standby, own writes from the primary' => sub {
    my ($rec) = q_on($replica, 'SELECT pg_is_in_recovery()');
    is $rec, 't', 'the standby is a streaming standby (pg_basebackup -R)';
    my ($streaming) = q_on($primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
    is $streaming, 1, 'the primary streams to it';
    my $res;
    ($s, $res) = api_raw(GET => "$A/api/gigs?q=anything");
    is $s, 200, 'a public search on a';
    my $rid = $res->{headers}{'x-request-id'};
    my ($n) = q_on($replica, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gigd $rid'");
    is $n, 1, 'served by the standby (its pg_stat_activity names the request)';
    ($n) = q_on($primary, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gigd $rid'");
    is $n, 0, '… not by the primary';

    # Hold the standby back, so it is visibly behind.
    q_on($replica, 'SELECT pg_wal_replay_pause()');
    my $uc = signup($A);
    ($s) = api(PATCH => "$A/api/profile", token => $ua->{token}, json => { full_name => 'Fresh Name' });
    is $s, 200, 'a changes their name on a';
    for my $h ([$A, 'a'], [$B, 'b']) {
        ($s, $d) = api(GET => "$h->[0]/api/profiles/$ua->{username}", token => $ua->{token});
        is $d->{data}{full_name}, 'Fresh Name', "a reads their own write at once on host $h->[1] (primary)";
    }
    ($s, $d) = api(GET => "$B/api/profiles/$ua->{username}");
    isnt $d->{data}{full_name}, 'Fresh Name', 'an anonymous reader is served by the lagging standby';
    ($s, $d) = api(GET => "$B/api/profiles/$ua->{username}", token => $uc->{token});
    isnt $d->{data}{full_name}, 'Fresh Name', 'so is another signed-in user who wrote nothing since';
    q_on($replica, 'SELECT pg_wal_replay_resume()');
    ok wait_for(sub { (api(GET => "$B/api/profiles/$ua->{username}"))[1]{data}{full_name} eq 'Fresh Name' }, 10),
        'once replayed, everyone sees it';
};

subtest 'read replica down: reads fall back within the request, /healthz says so' => sub {
    ($s, $d) = api(GET => "$A/healthz");
    is_deeply $d->{data}, { status => 'ok', primary => 'ok', replica => 'ok' }, '/healthz: both ok';
    my $pgbin = (sort glob('/usr/lib/postgresql/*/bin'))[-1];
    system("runuser -u postgres -- $pgbin/pg_ctl -D $dir/replica -m immediate -w stop >/dev/null 2>&1") == 0 or die;
    my @codes = map { (api(GET => ($_ % 2 ? $A : $B) . "/api/gigs?q=down$_"))[0] } 1 .. 8;
    is_deeply \@codes, [(200) x 8], 'every search answers 200 with the standby gone';
    ($s) = api(GET => "$A/api/profiles/$ua->{username}");
    is $s, 200, 'public profile too';
    ($s, $d) = api(GET => "$A/healthz");
    is $s, 200, '/healthz still 200';
    is_deeply $d->{data}, { status => 'degraded', primary => 'ok', replica => 'down' }, '… and says the replica is down';
    system("runuser -u postgres -- $pgbin/pg_ctl -D $dir/replica -l $dir/log/replica.log -w start >/dev/null 2>&1") == 0 or die;
    ok wait_for(sub { ((api(GET => "$A/healthz"))[1]{data}{replica} // '') eq 'ok' }, 15), 'back to ok once the standby returns';
};

sub lines_of { my ($path) = @_; open(my $f, '<', $path) or return (); return <$f> }
# Like tools/test-run's check of the main stack: the cluster's own logs show no crash.
my @bad = grep { /Sanitizer|runtime error:|killed by signal|"level":"ALERT"|\[(alert|emerg|crit)\]/ }
          map { lines_of($_) } map { ("$dir/$_/log/gigd.log", "$dir/$_/log/deliver.log", "$dir/$_/log/nginx-error.log") } qw(a b);
is scalar(@bad), 0, 'no crash, alert or sanitizer report in either host\'s logs' or diag "@bad[0..4]";

done_testing;
