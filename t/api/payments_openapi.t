# Every payments route in the route table (gigctl routes) is documented in the served
# OpenAPI document. (The general route-coverage test lives on main as t/api/openapi.t.)
use strict;
use warnings;
use Test::More;
use Gigd;

my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";
my @routes = grep { $_->[1] =~ m{^/api/(subscription|webhooks/stripe|stripe/webhook)} }
             map { chomp; [split / /] } `$gigctl routes`;
cmp_ok scalar(@routes), '>=', 6, 'payments routes listed';
my ($s, $doc) = api(GET => '/api/openapi.json');
is $s, 200, 'openapi.json served';
for my $r (@routes) {
    (my $p = $r->[1]) =~ s/:(\w+)/{$1}/g;
    ok $doc->{paths}{$p}{lc $r->[0]}, "$r->[0] $r->[1] documented";
}
ok $doc->{components}{schemas}{Subscription}, 'Subscription schema';
done_testing;
