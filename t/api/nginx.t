# nginx in front: HTTP→HTTPS redirect, TLS, request ids, and nginx's own errors
# in the contract's envelope.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Gigd;

my $plain = HTTP::Tiny->new(max_redirect => 0, timeout => 10);
my $res = $plain->get("$ENV{GIGD_TEST_HTTP}/api/gigs?x=1");
is $res->{status}, 301, 'plain HTTP redirects';
like $res->{headers}{location}, qr{^https://[^/]+/api/gigs\?x=1$}, 'to HTTPS, path and query kept';

my ($s, $d, $r) = api(GET => '/healthz');
is $s, 200, 'healthz over HTTPS';
is_deeply $d, { success => JSON::PP::true, data => { status => 'ok' } }, 'healthz body';
like $r->{headers}{'x-request-id'}, qr/^[0-9a-f]{32}$/, 'request id returned';
like $r->{headers}{'content-type'}, qr{^application/json; charset=utf-8}, 'JSON content type';

($s, $d) = api(GET => '/not-api/file.php');
is $s, 404, 'non-API path 404';
is $d->{code}, 'NOT_FOUND', 'nginx 404 in the envelope';

($s, $d) = api(POST => '/api/auth/signin', body => 'x' x (2 * 1024 * 1024), headers => { 'Content-Type' => 'application/json' });
is $s, 413, 'nginx refuses a 2 MiB JSON body';
is $d->{code}, 'PAYLOAD_TOO_LARGE', '413 in the envelope';
ok !$d->{success}, 'success false';

($s, $d) = api(GET => '/api/auth/session?bad=%zz');
is $s, 400, 'malformed query string 400';

# The credential endpoints are rate limited per address (429 in the envelope, Retry-After).
my @codes = Gigd::parallel(10, sub {
    my @c;
    push @c, [api_raw(POST => '/api/auth/signin', json => {})] for 1 .. 60;
    return [map { [$_->[0], $_->[1]{headers}{'retry-after'} // ''] } @c];
});
my @flat = map { @$_ } @codes;
my @limited = grep { $_->[0] == 429 } @flat;
ok @limited > 0, 'a burst of sign-ins is limited (' . scalar(@limited) . ' of ' . scalar(@flat) . ')';
is((grep { $_->[1] ne '' } @limited), scalar(@limited), 'each 429 carries Retry-After');
ok((grep { $_->[0] == 400 } @flat) > 0, 'requests within the limit are served');
sleep 3;
my ($s2) = api(POST => '/api/auth/signin', json => {});
is $s2, 400, 'the limit lifts';

done_testing;
