# Demo data (tools/demo, `make demo`, `GIGD_DEMO=1 make run`): loads through the API,
# prints working credentials, and a second run only prints them again.
use strict;
use warnings;
use Test::More;
use Gigd;

my $root = $ENV{GIGD_TEST_BUILD} =~ s{/build/[^/]+$}{}r;
my $base = $ENV{GIGD_TEST_BASE};
my $out = `$root/tools/demo $base 2>&1`;
is $?, 0, 'tools/demo succeeds' or diag $out;
like $out, qr/Demo data (loaded into|already present at)/, 'says what it did';
my ($pw) = $out =~ /password: (\S+)\)/;
ok $pw, 'prints the password';
my @emails = $out =~ /^\s+(\S+\@demo\.gigd\.test)/mg;
is scalar(@emails), 4, 'prints four demo accounts';
for my $e (@emails) {
    my ($s) = api(POST => '/api/auth/signin', json => { email => $e, password => $pw });
    is $s, 200, "$e can sign in";
}
my ($s, $d) = api(POST => '/api/auth/signin', json => { email => 'ada@demo.gigd.test', password => $pw });
my $ada = $d->{data};
(undef, $d) = api(GET => '/api/me/gigs', token => $ada->{token});
my @gigs = @{ $d->{data}{data} || [] };
ok @gigs >= 2, 'ada has gigs';
(undef, $d) = api(GET => '/api/conversations', token => $ada->{token});
ok @{ $d->{data} || [] } >= 1, 'ada has a conversation';
my ($apps) = psql_row("SELECT count(*) FROM applications a JOIN profiles p ON p.id = a.applicant_id WHERE p.username LIKE 'demo\\_%'");
cmp_ok $apps, '>=', 2, 'applications from the demo developers';

$out = `$root/tools/demo $base 2>&1`;
is $?, 0, 'a second run succeeds';
like $out, qr/already present/, '… and only prints the accounts';
my ($n) = psql_row("SELECT count(*) FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE p.username = 'demo_ada'");
is $n, scalar(@gigs), 'no gig added twice';
done_testing;
