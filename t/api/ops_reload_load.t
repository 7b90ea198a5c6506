# Reload under load (issue 14, item 5): SIGHUP with a new GIGD_WORKERS (GIGD_CONFIG_FILE)
# grows and shrinks the pool while wrk runs through nginx, with zero failed requests; the
# figures are printed. Then, on a master of the test's own (gigd-test, t/hooks/slow.c),
# that shrinking is graceful: a retiring worker, or one sent SIGTERM, finishes the request
# it is serving before it leaves. Runs alone (tools/test-run SERIAL): it reloads the
# shared stack's master and loads the machine.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Gigd;
use OwnMaster;

my $conf = $ENV{GIGD_CONFIG_FILE} or plan skip_all => 'GIGD_CONFIG_FILE not set (run through tools/test-run)';
my ($wrk) = grep { -x } map { "$_/wrk" } split /:/, $ENV{PATH};
$wrk or plan skip_all => 'wrk not installed (make deps)';
my $base = $ENV{GIGD_TEST_BASE};
my $JSON = JSON::PP->new->utf8;

sub master { open my $f, '<', $ENV{GIGD_PIDFILE} or die "pidfile: $!"; chomp(my $p = <$f>); $p }
sub write_conf { open my $f, '>', $conf or die "$conf: $!"; print $f @_; close $f }
sub pool {
    my ($s, $d) = api(GET => '/status?json');
    return $s == 200 ? $d->{data} : {};
}

subtest 'grow and shrink under wrk: zero failed requests' => sub {
    my $out = "$ENV{GIGD_STACK_DIR}/log/wrk.out";
    my $secs = 16;
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        open STDOUT, '>', $out or POSIX::_exit(1);
        open STDERR, '>&', \*STDOUT;
        exec $wrk, '-t2', '-c8', "-d${secs}s", '--latency', "$base/healthz" or POSIX::_exit(127);
    }
    my $t0 = time;
    my @steps = ([2, "GIGD_WORKERS=8\n", 8], [5.5, "GIGD_WORKERS=2\n", 2], [9, "GIGD_WORKERS=6\n", 6],
                 [12.5, '', $ENV{GIGD_WORKERS}]);
    my @figures;
    for my $st (@steps) {
        my ($at, $text, $want) = @$st;
        sleep 0.05 while time - $t0 < $at;
        write_conf($text);
        kill 'HUP', master();
        my $ok = wait_for(sub { (pool()->{workers_configured} // 0) == $want }, 3);
        sleep 1;
        my $p = pool();
        push @figures, sprintf '%5.1f s  GIGD_WORKERS=%-2s  generation %s, %s workers alive (both generations), %s busy, listen queue %s',
            time - $t0, $want, $p->{generation} // '?', $p->{total_processes} // '?', $p->{active_processes} // '?',
            $p->{listen_queue} // '?';
        ok $ok, "reload to $want workers applied";
    }
    waitpid $kid, 0;
    is $? >> 8, 0, 'wrk ran';
    my $report = do { open my $f, '<', $out or die; local $/; <$f> };
    note "pool during the run:\n" . join("\n", @figures);
    note "wrk:\n$report";
    diag join "\n", map { "  $_" } @figures;
    my ($n) = $report =~ /(\d+) requests in/;
    my ($rps) = $report =~ /Requests\/sec:\s+([\d.]+)/;
    my ($p99) = $report =~ /^\s+99%\s+(\S+)$/m;
    diag sprintf '  wrk: %s requests in %d s (%s/s, 99th percentile %s) through nginx while reloading 4 times',
        $n // '?', $secs, $rps // '?', $p99 // '?';
    cmp_ok $n // 0, '>', 100, 'requests were served throughout';
    unlike $report, qr/Non-2xx or 3xx responses/, 'no failed response (every one a 2xx)' or diag $report;
    unlike $report, qr/Socket errors/, 'no socket error, timeout or reset' or diag $report;
    ok wait_for(sub { (pool()->{total_processes} // 0) == $ENV{GIGD_WORKERS} }, 20),
       "the retired generations are gone: $ENV{GIGD_WORKERS} workers" or diag explain pool();
};

# --- graceful shrink, with a request in flight (own master, gigd-test) ---
my $dir = tempdir('gigd-reload-load.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $own_conf = "$dir/gigd.conf";
sub own_conf { open my $f, '>', $own_conf or die; print $f @_; close $f }
sub get { my ($path, %p) = @_; return fcgi_request('', REQUEST_METHOD => 'GET', GIGD_PATH => $path, QUERY_STRING => '', %p) }
sub slowed {
    my ($how, $rid, $file) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my ($s, $head, $body) = get('/healthz', HTTP_X_GIGD_TEST_SLEEP => $how, REQUEST_ID => $rid);
        open my $f, '>', $file or POSIX::_exit(1);
        print $f "$s $body";
        close $f;
        POSIX::_exit(0);
    }
    return $pid;
}
sub own_status {
    my (undef, undef, $body) = get('/status', QUERY_STRING => 'json', REMOTE_ADDR => '127.0.0.1', GIGD_OPS_ALLOWED => 1);
    return eval { $JSON->decode($body)->{data} } // { workers => [] };
}
sub busy_with {
    my ($rid) = @_;
    my $w;
    wait_for(sub { ($w) = grep { $_->{request_id} eq $rid && $_->{state} ne 'idle' } @{ own_status()->{workers} }; $w }, 5);
    return $w;
}
sub slurp { open my $f, '<', $_[0] or return ''; local $/; return <$f> }

own_conf("GIGD_WORKERS=3\n");
ok own_master(-binary => 'gigd-test', GIGD_TEST_HOOKS => 1, GIGD_CONFIG_FILE => $own_conf, GIGD_WORKERS => undef),
   'own master up (3 workers from its file)';
my $m = own_master_pid();
ok wait_for(sub { my @w = split ' ', `pgrep -P $m`; @w == 3 }, 10), '3 workers';

subtest 'a reload that shrinks the pool lets the busy worker finish' => sub {
    my $rid = "reload-busy-$$";
    my $kid = slowed('handler:2', $rid, "$dir/a");
    my $w = busy_with($rid);
    ok $w, 'a worker is busy with the request';
    own_conf("GIGD_WORKERS=1\n");
    kill 'HUP', $m;
    ok wait_for(sub { own_log() =~ /generation 1, 1 workers/ }, 5), 'reloaded to 1 worker';
    ok kill(0, $w->{pid}), 'the busy worker is still there';
    waitpid $kid, 0;
    like slurp("$dir/a"), qr/^200 .*"status":"ok"/, 'its request was answered in full';
    ok wait_for(sub { !kill 0, $w->{pid} }, 5), 'then it left';
    ok wait_for(sub { my @p = split ' ', `pgrep -P $m`; @p == 1 }, 5), 'one worker left';
};

subtest 'SIGTERM to a busy worker: it finishes the request first' => sub {
    # Room for /status beside the busy worker.
    own_conf("GIGD_WORKERS=3\n");
    kill 'HUP', $m;
    ok wait_for(sub { my @p = split ' ', `pgrep -P $m`; @p == 3 }, 10), 'back to 3 workers';
    my $rid = "term-busy-$$";
    my $kid = slowed('handler:1.5', $rid, "$dir/b");
    my $w = busy_with($rid);
    ok $w, 'the worker is busy' or return;
    kill 'TERM', $w->{pid};
    waitpid $kid, 0;
    like slurp("$dir/b"), qr/^200 .*"status":"ok"/, 'answered in full';
    ok wait_for(sub { !kill 0, $w->{pid} }, 5), 'then it exited';
    ok wait_for(sub { my ($s) = get('/healthz'); $s == 200 }, 10), 'a replacement serves';
    unlike own_log(), qr/killed by signal|exited with status [1-9]/, 'no worker crashed';
};

done_testing;
