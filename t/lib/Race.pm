# Race.pm — deterministic interleavings for the lock tests. A psql session holds a row in
# SHARE mode (hold), which stops both a `FOR UPDATE` read and a write of that row; the
# requests are started one after the other (spawn), each waiting until the previous one is
# blocked in PostgreSQL (blocked), then the hold is let go (release) and the requests
# finish in the order they queued. With the lock, the second request reads the first one's
# committed row; without it, it has already read the old row and acts on it.
package Race;
use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep);
use Gigd;

our @EXPORT = qw(hold release spawn collect blocked race);

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my $n = 0;

# Opens a transaction that runs $sql (e.g. "SELECT 1 FROM gigs WHERE id = '...' FOR SHARE")
# and stays open; returns once the session is idle in that transaction.
sub hold {
    my ($sql) = @_;
    my $app = sprintf 'pin_hold_%d_%d', $$, ++$n;
    local $ENV{PGAPPNAME} = $app;
    open(my $in, '|-', 'psql', $ENV{GIGD_DATABASE_URL}, '-XqAt', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null')
        or die "psql: $!";
    $in->autoflush(1);
    print $in "BEGIN;\n$sql;\n";
    wait_for(sub { (psql_row("SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app'"
                             . " AND state = 'idle in transaction'"))[0] }, 10) or die "hold did not start";
    return { in => $in, app => $app };
}

sub release {
    my ($h) = @_;
    my $in = $h->{in};
    print $in "ROLLBACK;\n";
    close $in;
}

# Backends waiting, directly or through another waiter, for the hold's transaction.
sub blocked {
    my ($h) = @_;
    return (psql_row("WITH RECURSIVE b(pid) AS (SELECT pid FROM pg_stat_activity WHERE application_name = '$h->{app}'"
                     . " UNION SELECT a.pid FROM pg_stat_activity a, b WHERE b.pid = ANY (pg_blocking_pids(a.pid)))"
                     . " SELECT count(*) - 1 FROM b"))[0];
}

# Runs code in a child; collect() returns its (JSON-able) result.
sub spawn {
    my ($code) = @_;
    pipe(my $r, my $w) or die;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $res = eval { $code->() };
        $res = { error => "$@" } if $@;
        print $w $JSON->encode($res);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    return { pid => $pid, r => $r };
}
sub collect {
    my ($k) = @_;
    my $fh = $k->{r};
    local $/;
    my $txt = <$fh>;
    waitpid($k->{pid}, 0);
    return defined $txt && length $txt ? $JSON->decode($txt) : undef;
}
sub done { my ($k) = @_; return waitpid($k->{pid}, POSIX::WNOHANG()) != 0 }

# race(HOLD_SQL, CODE1, CODE2, ...): holds, starts each request once the ones before it
# are blocked behind the hold (or finished: a request the hold does not stop), releases,
# and returns the results in order.
sub race {
    my ($sql, @codes) = @_;
    my $h = hold($sql);
    my @kids;
    for my $c (@codes) {
        my $k = spawn($c);
        push @kids, $k;
        my $want = grep { !$_->{done} } @kids;
        wait_for(sub { blocked($h) >= $want || ($k->{done} = done($k)) }, 10);
        sleep 0.05;
    }
    release($h);
    return map { collect($_) } @kids;
}

1;
