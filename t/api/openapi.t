# Every route in fcgi/routes.c is documented in docs/openapi.json (and served by nginx).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use Gigd;

my $root = "$FindBin::Bin/../..";
open my $fh, '<', "$root/fcgi/routes.c" or die $!;
my @routes;
while (<$fh>) {
    push @routes, [lc $1, $2] if /^\s*\{"(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)"/;
}
ok @routes > 10, 'routes parsed';
my ($s, $d) = api(GET => '/api/openapi.json');
is $s, 200, 'openapi.json served';
is $d->{openapi}, '3.1.0', 'OpenAPI 3.1';
for my $r (@routes) {
    my ($m, $p) = @$r;
    (my $op = $p) =~ s{:(\w+)}{\{$1\}}g;
    ok $d->{paths}{$op}{$m}, "documented: \U$m\E $p";
}
done_testing;
