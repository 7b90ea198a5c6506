# `make install DESTDIR=…` lays out a service tree that works: the installed gigctl
# migrates a fresh database from the installed sql/ with no argument (found beside its
# own binary), and `systemd-analyze verify --root` accepts every installed unit.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Gigd;

my $root = $ENV{GIGD_TEST_BUILD} =~ s{/build/[^/]+$}{}r;
my $variant = $ENV{GIGD_TEST_BUILD} =~ m{/build/san$} ? 'SANITIZE=1' : ''; # the build the stack runs
my $d = tempdir('gigd-install.XXXXXX', TMPDIR => 1, CLEANUP => 1);

subtest 'make install DESTDIR lays out the tree' => sub {
    my $out = `make -s -C $root install $variant DESTDIR=$d 2>&1`;
    is $?, 0, 'make install succeeds' or diag $out;
    for my $f (qw(usr/local/bin/gigd usr/local/bin/gigctl usr/local/share/gigd/sql/001_core.sql
                  usr/local/lib/systemd/system/gigd.service usr/local/lib/systemd/system/gigd-deliver.service
                  usr/local/lib/systemd/system/gigd-cron@.service etc/gigd/gigd.env.example etc/gigd/gigd.env
                  etc/nginx/sites-available/gigd etc/nginx/snippets/gigd-fastcgi.inc
                  usr/local/share/gigd/docs/openapi.json)) {
        ok -e "$d/$f", $f;
    }
    ok -x "$d/usr/local/bin/gigd", 'gigd is executable';
    is sprintf('%o', (stat "$d/etc/gigd/gigd.env")[2] & 07777), '640', 'gigd.env is not world-readable';
    open my $fh, '<', "$d/etc/nginx/sites-available/gigd" or die;
    my $site = do { local $/; <$fh> };
    unlike join("", grep { !/^\s*#/ } split /^/, $site), qr/\@[A-Z_]+\@/, 'the nginx site has no placeholder left';
    like $site, qr{include /etc/nginx/snippets/gigd-fastcgi\.inc}, 'the site includes the installed snippet';
    # An upgrade keeps the operator's secrets.
    open my $w, '>>', "$d/etc/gigd/gigd.env" or die; print $w "GIGD_CRON_SECRET=keep-me\n"; close $w;
    `make -s -C $root install $variant DESTDIR=$d 2>&1`;
    open $fh, '<', "$d/etc/gigd/gigd.env" or die;
    like do { local $/; <$fh> }, qr/keep-me/, 'a second install leaves gigd.env alone';
};

subtest 'PREFIX rewrites the paths in the units' => sub {
    my $d2 = tempdir('gigd-install2.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $out = `make -s -C $root install $variant DESTDIR=$d2 PREFIX=/opt/gigd 2>&1`;
    is $?, 0, 'make install PREFIX=/opt/gigd' or diag $out;
    open my $fh, '<', "$d2/opt/gigd/lib/systemd/system/gigd.service" or die;
    my $u = do { local $/; <$fh> };
    like $u, qr{^ExecStart=/opt/gigd/bin/gigd$}m, 'ExecStart under PREFIX';
    like $u, qr{gigctl migrate /opt/gigd/share/gigd/sql}, 'migrations under PREFIX';
};

subtest 'the installed gigctl migrates from the installed sql/' => sub {
    my $db = 'gigd_install_' . $$;
    my $conn = $ENV{GIGD_DATABASE_URL};
    psql("CREATE DATABASE $db");
    (my $url = $conn) =~ s/dbname=\S+/dbname=$db/;
    local $ENV{GIGD_DATABASE_URL} = $url;
    delete local $ENV{GIGD_SQL_DIR};
    my $out = `cd / && $d/usr/local/bin/gigctl migrate 2>&1`;
    is $?, 0, 'gigctl migrate with no argument, run from /' or diag $out;
    my @files = glob("$root/sql/*.sql");
    local $ENV{GIGD_DATABASE_URL} = $url;
    my ($n) = psql_row('SELECT count(*) FROM schema_migrations');
    is $n, scalar(@files), 'every installed migration applied';
    $out = `cd / && $d/usr/local/bin/gigctl migrate 2>&1`;
    is $?, 0, 'a second run is a no-op';
    local $ENV{GIGD_DATABASE_URL} = $conn;
    psql("DROP DATABASE $db");
};

SKIP: {
    skip 'systemd-analyze not installed', 1 unless -x '/usr/bin/systemd-analyze';
    subtest 'systemd-analyze verify accepts the installed units' => sub {
        # The units need systemd's own targets and /bin/kill (ExecReload) inside the root.
        system('mkdir', '-p', "$d/usr/lib/systemd", "$d/bin") == 0 or die;
        system('cp', '-a', '/usr/lib/systemd/system', "$d/usr/lib/systemd/") == 0 or die;
        system('cp', '/bin/kill', "$d/bin/kill") == 0 or die;
        my @units = glob("$d/usr/local/lib/systemd/system/*.{service,timer}");
        ok @units >= 6, scalar(@units) . ' units installed';
        my $out = `systemd-analyze verify --root=$d @units 2>&1`;
        is $?, 0, 'verify passes' or diag $out;
        is $out, '', 'verify says nothing';
        # The check has teeth: a unit naming a missing binary fails it.
        rename "$d/usr/local/bin/gigd", "$d/usr/local/bin/gigd.moved" or die;
        $out = `systemd-analyze verify --root=$d $d/usr/local/lib/systemd/system/gigd.service 2>&1`;
        isnt $?, 0, 'verify fails when the binary is missing';
        like $out, qr/not executable/, '… and says why';
        rename "$d/usr/local/bin/gigd.moved", "$d/usr/local/bin/gigd" or die;
    };
}

done_testing;
