# Pins the request-level security rules of fcgi/worker.c: CSRF on every unsafe method
# (the Origin compared as a whole origin, Sec-Fetch-Site, the Referer's origin) with
# nothing changed on refusal, and ?access_token= accepted only on the real-time routes.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my $site = $ENV{GIGD_TEST_BASE};            # https://127.0.0.1:PORT
(my $own = $site) =~ s/127\.0\.0\.1/localhost/;   # the public origin: https://localhost:PORT
my ($port) = $own =~ /:(\d+)$/;
my $other_port = $port == 65535 ? $port - 1 : $port + 1;

# Cookie-authenticated calls, with the headers a browser would add.
sub cookie_api {
    my ($u, $method, $path, $hdr, %o) = @_;
    return api($method => $path, headers => { Cookie => "gigd_session=$u->{token}", %$hdr }, %o);
}
sub state_of {
    my ($u, $gig) = @_;
    return join '|', psql_row("SELECT p.full_name, p.is_available, (SELECT count(*) FROM gigs WHERE id = '$gig->{id}'),"
                              . " (SELECT count(*) FROM saved_gigs WHERE user_id = p.id),"
                              . " (SELECT count(*) FROM sessions WHERE user_id = p.id AND revoked_at IS NULL)"
                              . " FROM profiles p WHERE p.id = '$u->{id}'");
}

# One of each unsafe method, each a change state_of() can see.
sub unsafe_requests {
    my ($gig) = @_;
    return (['PATCH', '/api/profile', { full_name => 'Changed By Evil' }],
            ['PUT', '/api/profile/availability', { is_available => JSON::PP::false }],
            ['DELETE', "/api/gigs/$gig->{id}/save", undef],
            ['DELETE', "/api/gigs/$gig->{id}", undef],
            ['POST', '/api/auth/signout', undef]);
}

my @foreign = (
    ['an origin that extends ours', { Origin => "$own.evil.example" }],
    ['our host on another port', { Origin => "https://localhost:$other_port" }],
    ['our host and port over http', { Origin => "http://localhost:$port" }],
    ['a foreign site', { Origin => 'https://evil.example' }],
    ['an opaque origin', { Origin => 'null' }],
    ['no Origin, Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site' => 'cross-site' }],
    ['no Origin, Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site' => 'same-site' }],
    ['no Origin, a foreign Referer', { Referer => 'https://evil.example/page' }],
    ['no Origin, a Referer that extends ours', { Referer => "$own.evil.example/page" }],
    ['no Origin, a Referer on another port', { Referer => "https://localhost:$other_port/x" }],
);

subtest 'cookie + foreign origin: every unsafe method refused, nothing changes' => sub {
    my $u = new_user();
    my $gig = new_gig($u);
    my ($s) = api(POST => "/api/gigs/$gig->{id}/save", token => $u->{token});
    is $s, 200, 'saved a gig (to have something to delete)';
    my $before = state_of($u, $gig);
    for my $f (@foreign) {
        my ($what, $hdr) = @$f;
        for my $rq (unsafe_requests($gig)) {
            my ($m, $path, $json) = @$rq;
            my ($s, $d) = cookie_api($u, $m, $path, $hdr, defined $json ? (json => $json) : ());
            is $s, 403, "$what: $m $path → 403";
            is $d->{code} // '', 'FORBIDDEN', 'FORBIDDEN';
        }
    }
    is state_of($u, $gig), $before, 'nothing changed (profile, gig, bookmark, session)';
};

subtest 'cookie from our own pages: each method allowed' => sub {
    for my $hdr ({ Origin => $own }, { Origin => uc($own) }, { 'Sec-Fetch-Site' => 'same-origin' },
                 { Referer => "$own/app/page?x=1" }, { 'Sec-Fetch-Site' => 'none' }, {}) {
        my $u = new_user();
        my $gig = new_gig($u);
        api(POST => "/api/gigs/$gig->{id}/save", token => $u->{token});
        my $what = join(', ', map { "$_: $hdr->{$_}" } sort keys %$hdr) || 'no Origin, Referer or Sec-Fetch-Site';
        my @got = map {
            my ($m, $path, $json) = @$_;
            my ($s) = cookie_api($u, $m, $path, $hdr, defined $json ? (json => $json) : ());
            "$m $path $s";
        } unsafe_requests($gig);
        is_deeply \@got, [map { "$_->[0] $_->[1] 200" } unsafe_requests($gig)], "$what: all 200";
    }
};

subtest 'Bearer requests are not subject to CSRF' => sub {
    my $u = new_user();
    my ($s) = api(PATCH => '/api/profile', token => $u->{token}, headers => { Origin => 'https://evil.example' },
                  json => { full_name => 'Via Bearer' });
    is $s, 200, 'PATCH with Bearer and a foreign Origin 200';
};

subtest '?access_token= only on the real-time routes' => sub {
    my $u = new_user();
    my $gig = new_gig($u, status => 'draft');
    my $q = "access_token=$u->{token}";
    for my $rq (['GET', '/api/auth/session'], ['GET', '/api/profile'], ['GET', '/api/notifications'],
                ['GET', '/api/conversations'], ['POST', '/api/auth/signout'],
                ['PATCH', '/api/profile', { full_name => 'Via Query' }],
                ['POST', '/api/gigs', gig_input()], ['DELETE', "/api/gigs/$gig->{id}"]) {
        my ($m, $path, $json) = @$rq;
        my ($s, $d) = api($m => "$path?$q", defined $json ? (json => $json) : ());
        is $s, 401, "$m $path?access_token= → 401";
    }
    my ($s) = api(GET => "/api/gigs/$gig->{id}?$q");
    is $s, 404, 'optional-auth route: the draft stays hidden (token in the query ignored)';
    my ($n) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$u->{id}'");
    is $n, 1, 'no gig created or deleted';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 200, 'session not revoked';
    my ($name) = psql_row("SELECT full_name FROM profiles WHERE id = '$u->{id}'");
    isnt $name, 'Via Query', 'profile unchanged';
    # The real-time routes that need it keep taking it: t/api/realtime.t.
};

done_testing;
