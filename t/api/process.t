# The process model under stress: a killed worker is replaced, SIGHUP reload loses
# no request in flight, a PostgreSQL restart heals without restarting gigd, and
# 40 concurrent signups all succeed.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use Gigd;

my $dir = stack_dir();
my $master = do { open my $f, '<', "$dir/run/gigd.pid" or die; local $/; <$f> + 0 };
sub workers { my @p = split ' ', `pgrep -P $master`; return @p }
my $n = workers();
ok $n >= 2, "master $master has $n workers";

# --- kill -9 a worker ---
my ($victim) = workers();
kill 'KILL', $victim;
ok wait_for(sub { my @w = workers(); @w == $n && !grep { $_ == $victim } @w }, 10), 'killed worker replaced';
my @codes = map { (api(GET => '/healthz'))[0] } 1 .. 20;
is scalar(grep { $_ == 200 } @codes), 20, 'pool serves every request after the kill';

# --- 40 concurrent signups ---
my @r = parallel(40, sub {
    my ($i) = @_;
    my $name = rand_name("c$i");
    my ($s) = api(POST => '/api/auth/signup', json => { email => "$name\@example.test", password => 'password123', username => $name });
    return $s;
});
is scalar(grep { defined $_ && $_ == 201 } @r), 40, '40 concurrent signups all succeed';

# --- SIGHUP reload with requests in flight ---
my @before = workers();
my $pid = fork // die;
if (!$pid) { sleep 0.4; kill 'HUP', $master; exit 0 }
@r = parallel(8, sub {
    my ($i) = @_;
    my @s;
    for my $k (1 .. 6) {
        my $name = rand_name("h$i$k");
        push @s, (api(POST => '/api/auth/signup', json => { email => "$name\@example.test", password => 'password123', username => $name }))[0];
    }
    return \@s;
});
waitpid $pid, 0;
my @all = map { @{ $_ || [] } } @r;
is scalar(@all), 48, '48 requests made across the reload';
is scalar(grep { $_ == 201 } @all), 48, 'none lost during SIGHUP reload';
ok wait_for(sub { my %old = map { $_ => 1 } @before; my @w = workers(); @w == $n && !grep { $old{$_} } @w }, 15),
   'old workers retired, a new generation serves';
is((api(GET => '/healthz'))[0], 200, 'healthy after reload');

# --- PostgreSQL restarted under a running stack ---
my $u = new_user();
my ($pgbin) = sort { $b cmp $a } glob('/usr/lib/postgresql/*/bin');
system("runuser -u postgres -- $pgbin/pg_ctl -D $dir/pg -m fast -w restart -l $dir/log/postgres.log >/dev/null 2>&1") == 0
    or BAIL_OUT('pg restart failed');
my $ok = wait_for(sub { (api(GET => '/api/auth/session', token => $u->{token}))[0] == 200 }, 10);
ok $ok, 'requests succeed again within seconds of a PostgreSQL restart';
@codes = map { (api(GET => '/api/auth/session', token => $u->{token}))[0] } 1 .. 10;
is scalar(grep { $_ == 200 } @codes), 10, 'every worker reconnected';

# --- /healthz reports a lost database ---
system("runuser -u postgres -- $pgbin/pg_ctl -D $dir/pg -m fast -w stop >/dev/null 2>&1");
my ($s, $d) = api(GET => '/healthz');
is $s, 503, 'healthz 503 while PostgreSQL is down';
is $d->{code}, 'UNAVAILABLE', 'UNAVAILABLE envelope';
($s, $d) = api(GET => '/api/auth/session', token => $u->{token});
is $s, 503, 'authenticated route 503 (not 401) while the database is down';
system("runuser -u postgres -- $pgbin/pg_ctl -D $dir/pg -w start -l $dir/log/postgres.log >/dev/null 2>&1");
ok wait_for(sub { (api(GET => '/healthz'))[0] == 200 }, 10), 'healthz 200 again';

done_testing;
