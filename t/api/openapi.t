# The OpenAPI document served at /api/openapi.json lists every route of the table.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $doc) = api(GET => '/api/openapi.json');
is $s, 200, 'openapi served';
is $doc->{openapi}, '3.1.0', 'OpenAPI 3.1';
my @routes = `$ENV{GIGD_TEST_BUILD}/gigctl routes`;
ok @routes > 5, 'route table listed';
for my $line (@routes) {
    chomp $line;
    my ($method, $path) = split / /, $line;
    (my $oa = $path) =~ s/:(\w+)/{$1}/g;
    ok $doc->{paths}{$oa}{lc $method}, "$method $path documented";
}
done_testing;
