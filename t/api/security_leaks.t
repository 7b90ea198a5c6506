# Small leaks (issue 12, item 6): a draft gig cannot be embedded in a conversation or a
# call by someone who only knows its id; JSON routes accept application/json and
# application/*+json only; a push token active under one account cannot be taken by
# another; attachments of active types (HTML, SVG, XML) are served as
# application/octet-stream with nosniff.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d, $res);

subtest 'a draft gig is embedded only by its poster' => sub {
    my $poster = new_user();
    my $snoop = new_user();
    my $draft = new_gig($poster, status => 'draft', title => 'Secret draft plan');
    ($s, $d, $res) = api(POST => '/api/conversations', token => $snoop->{token},
                         json => { participant_id => $poster->{id}, gig_id => $draft->{id} });
    is $s, 404, "someone else's draft cannot be attached to a conversation";
    unlike $res->{content} // '', qr/Secret draft/, 'nothing of it is shown';
    ($s, $d) = api(POST => '/api/calls', token => $snoop->{token},
                   json => { participant_id => $poster->{id}, gig_id => $draft->{id} });
    is $s, 404, '... nor to a call';
    ($s, $d) = api(POST => '/api/conversations', token => $poster->{token},
                   json => { participant_id => $snoop->{id}, gig_id => $draft->{id} });
    is $s, 201, 'the poster may share their own draft';
    my $live = new_gig($poster);
    ($s) = api(POST => '/api/conversations', token => $snoop->{token},
               json => { participant_id => $poster->{id}, gig_id => $live->{id} });
    is $s, 201, 'an active gig is embedded by anyone';
};

subtest 'JSON routes accept only application/json and application/*+json' => sub {
    my $body = '{"email":"nobody@example.test","password":"wrong password"}';
    for my $ct ('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8',
                'application/vnd.api+json', 'application/merge-patch+json; charset=utf-8') {
        ($s) = api(POST => '/api/auth/signin', body => $body, headers => { 'Content-Type' => $ct });
        is $s, 401, "$ct accepted (the credentials are wrong)";
    }
    for my $ct ('text/plain+json', 'text/plain; x=+json', 'application/jsonp', 'application/json-seq',
                'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=+json',
                'application/+json', 'application/a/b+json') {
        ($s, $d) = api(POST => '/api/auth/signin', body => $body, headers => { 'Content-Type' => $ct });
        is $s, 415, "$ct refused";
        is $d->{code}, 'UNSUPPORTED_MEDIA_TYPE', 'in the envelope';
    }
};

subtest 'a push token active under another account is not re-bound' => sub {
    my $owner = new_user();
    my $thief = new_user();
    my $tok = 'ExponentPushToken[' . rand_name('dev') . ']';
    ($s) = api(POST => '/api/push-tokens', token => $owner->{token}, json => { push_token => $tok, platform => 'ios' });
    is $s, 201, 'owner registers the device';
    ($s, $d) = api(POST => '/api/push-tokens', token => $thief->{token}, json => { push_token => $tok, platform => 'ios' });
    is $s, 409, 'another account cannot take it';
    is $d->{code}, 'CONFLICT', 'CONFLICT envelope';
    my ($uid, $active) = psql_row("SELECT user_id, active FROM push_tokens WHERE push_token = '$tok'");
    is $uid, $owner->{id}, 'the token still belongs to its owner';
    is $active, 't', 'and is still active';
    ($s) = api(POST => '/api/push-tokens', token => $owner->{token}, json => { push_token => $tok, platform => 'ios' });
    is $s, 200, 'the owner may register it again';
    ($s) = api(DELETE => "/api/push-tokens/$tok", token => $owner->{token});
    is $s, 200, 'owner signs the device out';
    ($s) = api(POST => '/api/push-tokens', token => $thief->{token}, json => { push_token => $tok, platform => 'ios' });
    is $s, 200, 'a deactivated token moves to the next account on the device';
    ($uid) = psql_row("SELECT user_id FROM push_tokens WHERE push_token = '$tok'");
    is $uid, $thief->{id}, 'now bound to it';
};

sub multipart {
    my ($name, $type, $data) = @_;
    my $bd = 'gigdB' . int(rand(1e9));
    return (body => "--$bd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"$name\"\r\n"
                  . "Content-Type: $type\r\n\r\n$data\r\n--$bd--\r\n",
            headers => { 'Content-Type' => "multipart/form-data; boundary=$bd" });
}

subtest 'active attachment types are served as application/octet-stream' => sub {
    my $u = new_user();
    my %cases = (
        'page.html' => ['text/html', '<html><script>alert(document.cookie)</script></html>', 'application/octet-stream'],
        'logo.svg'  => ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'application/octet-stream'],
        'feed.xml'  => ['application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"/>', 'application/octet-stream'],
        'app.js'    => ['text/javascript', 'alert(1)', 'application/octet-stream'],
        'pic.png'   => ['image/png', "\x89PNG\r\n\x1a\n", 'image/png'],
        'notes.txt' => ['text/plain', 'hello', 'text/plain'],
    );
    for my $name (sort keys %cases) {
        my ($type, $data, $served) = @{ $cases{$name} };
        ($s, $d) = api(POST => '/api/attachments', token => $u->{token}, multipart($name, $type, $data));
        is $s, 201, "$name uploaded";
        is $d->{data}{type}, $type, 'its declared type is kept in the metadata';
        my ($gs, $r) = api_raw(GET => "/api/attachments/$d->{data}{id}", token => $u->{token});
        is $gs, 200, 'served to its owner';
        like $r->{headers}{'content-type'} // '', qr{^\Q$served\E}, "$name served as $served";
        is $r->{headers}{'x-content-type-options'}, 'nosniff', 'with nosniff';
        like $r->{headers}{'content-disposition'} // '', qr/^attachment/, 'as a download';
    }
};

done_testing;
