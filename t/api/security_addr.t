# Password checks are throttled per client address too (issue 12, item 2): with
# GIGD_PASSWORD_ADDR_MAX lowered (GIGD_CONFIG_FILE + SIGHUP, restored at the end), one
# address spraying passwords over many accounts gets 429 with Retry-After after the
# limit, while another address is unaffected; and GIGD_PASSWORD_CONCURRENCY refuses a
# password check at once while its slots are busy. Runs alone (tools/test-run SERIAL): the
# lowered limit would refuse every other test's sign-ups.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);
use Gigd;

my $conf = $ENV{GIGD_CONFIG_FILE} or plan skip_all => 'GIGD_CONFIG_FILE not set (run through tools/test-run)';
my $base = $ENV{GIGD_TEST_BASE};
my ($port) = $base =~ /:(\d+)$/;
my $JSON = JSON::PP->new->utf8;

sub master { open my $f, '<', $ENV{GIGD_PIDFILE} or die "pidfile: $!"; chomp(my $p = <$f>); $p }
sub workers { my $m = master(); return split ' ', `pgrep -P $m` }
# Writes the file, reloads, and waits until every worker of the old generation is gone
# (they finish their kept-alive connections first).
sub apply_conf {
    my ($text) = @_;
    open my $f, '>', $conf or die "$conf: $!";
    print $f $text;
    close $f;
    my %old = map { $_ => 1 } workers();
    kill 'HUP', master();
    return wait_for(sub { my @w = workers(); @w && !grep { $old{$_} } @w }, 20);
}
# A sign-in from a given local address (the whole of 127/8 is this host).
sub signin_from {
    my ($addr, $email, $pw) = @_;
    my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 10, local_address => $addr);
    my $res = $http->request(POST => "https://$addr:$port/api/auth/signin",
                             { headers => { 'Content-Type' => 'application/json' },
                               content => $JSON->encode({ email => $email, password => $pw }) });
    return ($res->{status}, $res);
}

my @victims = map { new_user() } 1 .. 4;
my $n = 200 + int rand 50;
my ($spray, $other) = ("127.0.0.$n", '127.0.0.' . ($n + 1));

ok apply_conf("GIGD_PASSWORD_ADDR_MAX=3\n"), 'reloaded with GIGD_PASSWORD_ADDR_MAX=3';
my @st;

for my $v (@victims) {
    my ($s, $res) = signin_from($spray, $v->{email}, 'password spray guess');
    push @st, $s;
    if ($s == 429) {
        like $res->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After on the refusal';
        like $res->{content}, qr/"code":"RATE_LIMITED"/, 'RATE_LIMITED envelope';
    }
}
is "@st", '401 401 401 429', 'three wrong passwords over three accounts, then the address is throttled';
my ($s) = signin_from($spray, $victims[3]{email}, $victims[3]{password});
is $s, 429, 'even the right password from that address is not checked';
($s) = signin_from($other, $victims[3]{email}, $victims[3]{password});
is $s, 200, 'another address signs the same account in';
($s) = signin_from($spray, 'whoever@example.test', 'x');
is $s, 429, 'unknown accounts are counted the same way';

# GIGD_PASSWORD_CONCURRENCY caps the Argon2id runs in flight: with the one slot taken
# (held here from a psql session, as a long hash would), a sign-in is refused at once
# while every other request is served.
ok apply_conf("GIGD_PASSWORD_CONCURRENCY=1\n"), 'reloaded with GIGD_PASSWORD_CONCURRENCY=1';
my $u = new_user();
my $holder = fork // die "fork: $!";
if (!$holder) {
    exec 'psql', $ENV{GIGD_DATABASE_URL}, '-XqAt', '-c', 'SELECT pg_advisory_lock(7340, 1), pg_sleep(4)';
    exit 1;
}
ok wait_for(sub { my ($n) = psql_row("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7340 AND objid = 1 AND granted"); $n }, 5),
   'the slot is taken';
my $t0 = Time::HiRes::time();
($s, my $res) = signin_from($other, $u->{email}, $u->{password});
my $took = Time::HiRes::time() - $t0;
is $s, 429, 'a sign-in while the slot is busy is refused';
is $res->{headers}{'retry-after'}, 1, 'Retry-After: 1';
ok $took < 1, sprintf('at once (%.2f s), not queued', $took);
my ($hs) = api(GET => '/healthz');
is $hs, 200, 'other requests are served';
waitpid $holder, 0;
($s) = signin_from($other, $u->{email}, $u->{password});
is $s, 200, 'with the slot free the sign-in works';

ok apply_conf(''), 'configuration restored';
psql("DELETE FROM rate_limits WHERE key LIKE 'pw-addr:127.0.0.%'");

done_testing;
