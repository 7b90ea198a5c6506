# Worker rules the shared stack cannot show, on a master of this test's own spoken to over
# FastCGI: its own JSON body limit (fcgi/worker.c req_read_body), not nginx's — with
# GIGD_JSON_BODY_LIMIT=2048 a larger body is 413 in the envelope, on public and
# authenticated routes, and a body of exactly the limit is read; and the CSRF origin
# comparison with a public URL on the default port (GIGD_PUBLIC_URL=https://gigd.example),
# where an origin that extends it (https://gigd.example.evil.example) is foreign.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use OwnMaster;

plan skip_all => 'GIGD_TEST_BUILD not set' unless $ENV{GIGD_TEST_BUILD};
ok own_master(GIGD_JSON_BODY_LIMIT => 2048, GIGD_PUBLIC_URL => 'https://gigd.example/app'), 'own master up' or diag own_log();

my $u = new_user();   # through the shared stack: same database
# A JSON object of exactly n bytes.
sub body_of {
    my ($n, %o) = @_;
    my $base = JSON::PP->new->canonical->encode({ %o, pad => '' });
    my $pad = 'x' x ($n - length $base);
    return JSON::PP->new->canonical->encode({ %o, pad => $pad });
}

sub call {
    my ($method, $path, $body, %h) = @_;
    my ($s, $head, $b) = fcgi_request($body, REQUEST_METHOD => $method, GIGD_PATH => $path,
                                      CONTENT_TYPE => 'application/json', %h);
    return ($s, $head, eval { decode_json($b) });
}

for my $case (['POST', '/api/auth/signin', {}], ['PATCH', '/api/profile', { HTTP_AUTHORIZATION => "Bearer $u->{token}" }],
              ['POST', '/api/gigs', { HTTP_AUTHORIZATION => "Bearer $u->{token}" }]) {
    my ($m, $path, $h) = @$case;
    subtest "$m $path" => sub {
        my $big = body_of(2049, email => 'a@b.test', password => 'x');
        is length $big, 2049, 'body of 2049 bytes';
        my ($s, $head, $d) = call($m, $path, $big, %$h);
        is $s, 413, 'one byte over the limit → 413';
        like $head, qr{^Content-Type: application/json}mi, 'JSON';
        is $d->{success}, JSON::PP::false, 'envelope: success false';
        is $d->{code}, 'PAYLOAD_TOO_LARGE', 'PAYLOAD_TOO_LARGE';
        like $d->{error} // '', qr/exceeds 2048 bytes/, 'names the limit';
        ($s, $head, $d) = call($m, $path, body_of(2048, email => 'a@b.test', password => 'x'), %$h);
        isnt $s, 413, "exactly the limit is read (status $s)";
        ok $d && ($d->{code} // '') ne 'PAYLOAD_TOO_LARGE', 'answered by the handler';
    };
}

my ($name) = psql_row("SELECT full_name FROM profiles WHERE id = '$u->{id}'");
is $name, "User $u->{username}", 'the refused PATCH changed nothing';
my ($n) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$u->{id}'");
is $n, 0, 'no gig created by a refused body';
subtest 'CSRF: the public origin on its default port is compared whole' => sub {
    my $v = new_user();
    my $patch = sub {
        my ($origin) = @_;
        my ($s) = call(PATCH => '/api/profile', '{"bio":"via cookie"}', HTTP_COOKIE => "gigd_session=$v->{token}",
                       HTTP_ORIGIN => $origin);
        return $s;
    };
    is $patch->('https://gigd.example.evil.example'), 403, 'an origin that extends ours → 403';
    is $patch->('https://gigd.example:8443'), 403, 'our host on another port → 403';
    is $patch->('http://gigd.example'), 403, 'our host over http → 403';
    my ($bio) = psql_row("SELECT coalesce(bio, '-') FROM profiles WHERE id = '$v->{id}'");
    is $bio, '-', 'nothing changed';
    is $patch->('https://gigd.example'), 200, 'our own origin → 200';
    is $patch->('https://GIGD.example:443'), 200, 'the same origin, spelled with case and its default port → 200';
};

unlike own_log(), qr/AddressSanitizer|runtime error:|LeakSanitizer|killed by signal/, 'no crash in the own master log';

done_testing;
