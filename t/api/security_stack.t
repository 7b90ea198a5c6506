# The local stack is not open to other local accounts (issue 12, item 7): gigd's workers
# and the deliverer do not run as root when started by root, the PostgreSQL cluster
# gives no database access (let alone superuser) to an unrelated account (peer
# authentication, socket directory closed to others, no trust rule), and the env file
# holding the cron secret is readable by its owner only.
use strict;
use warnings;
use Test::More;
use Gigd;

plan skip_all => 'needs root (the stack was started by root)' if $> != 0;
my $dir = stack_dir() or plan skip_all => 'GIGD_STACK_DIR not set';

sub uid_of { my ($pid) = @_; open my $f, '<', "/proc/$pid/status" or return; local $/; my ($u) = <$f> =~ /^Uid:\s+(\d+)/m; $u }
sub children {
    my ($ppid) = @_;
    opendir my $d, '/proc' or return;
    my @kids;
    for my $pid (grep { /^\d+$/ } readdir $d) {
        open my $f, '<', "/proc/$pid/stat" or next;
        my $stat = <$f> // next;
        my ($pp) = $stat =~ /\)\s+\S+\s+(\d+)/;
        push @kids, $pid if defined $pp && $pp == $ppid;
    }
    return @kids;
}

subtest 'gigd workers and the deliverer do not run as root' => sub {
    open my $pf, '<', $ENV{GIGD_PIDFILE} or die "pidfile: $!";
    chomp(my $master = <$pf>);
    my @workers = children($master);
    ok @workers >= 1, scalar(@workers) . ' workers found';
    my $svc = getpwnam('gigd');
    ok defined $svc, 'the gigd account exists';
    for my $w (@workers) {
        my $uid = uid_of($w);
        ok defined $uid && $uid != 0, "worker $w runs as uid " . ($uid // '?');
        is $uid, $svc, '... the gigd account' if defined $svc;
    }
    my ($hs) = api(GET => '/healthz');
    is $hs, 200, 'and they serve: /healthz 200';
    open my $df, '<', "$dir/run/deliver.pid" or die "deliver pid: $!";
    chomp(my $deliver = <$df>);
    my $uid = uid_of($deliver);
    ok defined $uid && $uid != 0, 'the deliverer runs as uid ' . ($uid // '?');
};

subtest 'the env file with the cron secret is 0600' => sub {
    my $mode = (stat "$dir/env")[2] & 07777;
    is sprintf('%04o', $mode), '0600', "$dir/env mode";
    if (-e "$dir/cron-secret") {
        is sprintf('%04o', (stat "$dir/cron-secret")[2] & 07777), '0600', 'cron-secret mode';
    }
};

subtest 'PostgreSQL: no way in for other local accounts' => sub {
    my ($trust) = psql_row("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method IN ('trust', 'password')");
    is $trust, 0, 'no trust (nor clear-text password) rule in pg_hba.conf';
    my $sockdir = "$dir/pgsock";
    my $mode = (stat $sockdir)[2] & 07777;
    is $mode & 07, 0, sprintf('socket directory %04o: nothing for others', $mode);
    my ($port) = $ENV{GIGD_DATABASE_URL} =~ /port=(\d+)/;
    my $psql = (sort glob '/usr/lib/postgresql/*/bin/psql')[-1] || 'psql';
    # an unrelated local account: nobody
    my $out = `runuser -u nobody -- $psql -h $sockdir -p $port -U postgres -d gigd -tAc 'SELECT 1' 2>&1`;
    isnt $?, 0, 'nobody cannot connect as postgres';
    unlike $out, qr/^1$/m, 'and gets no answer';
    # even with the directory open, peer authentication names the account
    chmod 0755, $sockdir;
    $out = `runuser -u nobody -- $psql -h $sockdir -p $port -U postgres -d gigd -tAc 'SELECT 1' 2>&1`;
    chmod $mode, $sockdir;
    isnt $?, 0, 'nor through an open socket directory';
    like $out, qr/authentication failed|no match|not permitted|Peer/i, 'peer authentication refuses it';
};

done_testing;
