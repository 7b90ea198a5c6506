# Quotas on everything a user can create (issue 12, item 5): messages, new conversations,
# calls (per caller and per caller-and-participant), reviews, applications, push-token
# registrations, attachment files and bytes. Each answers 429 RATE_LIMITED with
# Retry-After once its counter is full (the counters are filled through the database
# where reaching them by requests would take long; each test also proves a request
# counts). Unsent uploads are removed by the cleanup job after an hour.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d, $res);

sub counter { my ($k) = @_; my ($n) = psql_row("SELECT hits FROM rate_limits WHERE key = '$k'"); $n // 0 }
sub fill { my ($k, $n) = @_; psql("INSERT INTO rate_limits VALUES ('$k', now(), $n) ON CONFLICT (key) DO UPDATE SET hits = $n, window_start = now()") }
sub limited {
    my ($what, $st, $data, $r) = @_;
    is $st, 429, "$what: 429";
    is $data->{code}, 'RATE_LIMITED', "$what: RATE_LIMITED";
    my $ra = $r->{headers}{'retry-after'} // '';
    ok $ra =~ /^\d+$/ && $ra > 0 && $ra <= 86400, "$what: Retry-After $ra";
}

subtest 'messages: GIGD_QUOTA_MESSAGES (600) per hour' => sub {
    my $a = new_user();
    my $b = new_user();
    (undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    my $cid = $d->{data}{id};
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'one' });
    is $s, 201, 'a message';
    is counter("msg:$a->{id}"), 1, 'counted';
    ($s) = api(POST => "/api/conversations/" . uuid_random() . "/messages", token => $a->{token}, json => { content => 'x' });
    is $s, 404, 'a send to no conversation';
    is counter("msg:$a->{id}"), 1, '... costs nothing';
    fill("msg:$a->{id}", 600);
    ($s, $d, $res) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'flood' });
    limited('message over the quota', $s, $d, $res);
    my ($flood) = psql_row("SELECT count(*) FROM messages WHERE conversation_id = '$cid' AND content = 'flood'");
    is $flood, 0, '... and the refused message was not stored';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'reply' });
    is $s, 201, 'the other participant is not limited';
    # the send is one statement with its quota hit: a refused send with a foreign
    # attachment costs nothing either
    psql("INSERT INTO rate_limits VALUES ('msg:$b->{id}', now(), 5) ON CONFLICT (key) DO UPDATE SET hits = 5, window_start = now()");
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $b->{token},
               json => { content => 'x', attachments => [uuid_random()] });
    is $s, 400, 'a send with an attachment that is not the sender\'s';
    is counter("msg:$b->{id}"), 5, '... costs nothing';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'counted' });
    is $s, 201, 'a send';
    is counter("msg:$b->{id}"), 6, '... costs one';
};

subtest 'conversations: GIGD_QUOTA_CONVERSATIONS (100) new ones per day' => sub {
    my $a = new_user();
    my $b = new_user();
    my $c = new_user();
    ($s) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    is $s, 201, 'a new conversation';
    is counter("conv:$a->{id}"), 1, 'counted';
    fill("conv:$a->{id}", 100);
    ($s, $d, $res) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $c->{id} });
    limited('a new conversation over the quota', $s, $d, $res);
    ($s) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    is $s, 200, 'an existing conversation is still opened';
};

subtest 'calls: GIGD_QUOTA_CALLS_PEER (10) per participant, GIGD_QUOTA_CALLS (50) per day' => sub {
    my $a = new_user();
    my $victim = new_user();
    my $other = new_user();
    my @st;
    for my $i (1 .. 11) {
        ($s, $d, $res) = api(POST => '/api/calls', token => $a->{token},
                             json => { participant_id => $victim->{id}, scheduled_at => '2099-01-01T10:00:00Z' });
        push @st, $s;
    }
    is "@st[0..9]", join(' ', (201) x 10), 'ten calls to one participant';
    limited('the eleventh to the same participant', $s, $d, $res);
    my ($n) = psql_row("SELECT count(*) FROM video_calls WHERE initiator_id = '$a->{id}'");
    is $n, 10, 'no eleventh call was stored';
    ($s) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $other->{id} });
    is $s, 201, 'another participant can still be called';
    fill("call:$a->{id}", 50);
    ($s, $d, $res) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => new_user()->{id} });
    limited('a call over the daily quota', $s, $d, $res);
};

subtest 'applications: GIGD_QUOTA_APPLICATIONS (50) per 24 h' => sub {
    my $poster = new_user();
    my $w = new_user();
    my $g1 = new_gig($poster);
    my $g2 = new_gig($poster);
    ($s) = apply_to($w, $g1->{id});
    is $s, 201, 'an application';
    is counter("apply:$w->{id}"), 1, 'counted';
    ($s) = apply_to($w, $g1->{id});
    is $s, 409, 'a duplicate application';
    is counter("apply:$w->{id}"), 1, '... costs nothing';
    fill("apply:$w->{id}", 50);
    ($s, $d, $res) = api(POST => '/api/applications', token => $w->{token},
                         json => { gig_id => $g2->{id}, cover_letter => 'One more application.' });
    limited('the 51st application', $s, $d, $res);
    my ($n) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$g2->{id}'), 0)");
    is $n, 0, 'not stored';
};

subtest 'reviews: GIGD_QUOTA_REVIEWS (50) per day' => sub {
    my $poster = new_user();
    my $w = new_user();
    my $gig = new_gig($poster);
    my (undef, $app) = apply_to($w, $gig->{id});
    api(PUT => "/api/applications/$app->{data}{id}/status", token => $poster->{token}, json => { status => 'accepted' });
    fill("review:$poster->{id}", 50);
    ($s, $d, $res) = api(POST => '/api/reviews', token => $poster->{token},
                         json => { gig_id => $gig->{id}, reviewee_id => $w->{id}, rating => 5 });
    limited('a review over the quota', $s, $d, $res);
    ($s) = api(POST => '/api/reviews', token => $w->{token},
               json => { gig_id => $gig->{id}, reviewee_id => $poster->{id}, rating => 4 });
    is $s, 201, 'the other side may still review';
    is counter("review:$w->{id}"), 1, 'counted';
};

subtest 'push tokens: GIGD_QUOTA_PUSH_TOKENS (20) registrations per day' => sub {
    my $u = new_user();
    ($s) = api(POST => '/api/push-tokens', token => $u->{token},
               json => { push_token => 'ExponentPushToken[' . rand_name('q') . ']', platform => 'android' });
    is $s, 201, 'a registration';
    is counter("push:$u->{id}"), 1, 'counted';
    fill("push:$u->{id}", 20);
    ($s, $d, $res) = api(POST => '/api/push-tokens', token => $u->{token},
                         json => { push_token => 'ExponentPushToken[' . rand_name('q') . ']', platform => 'android' });
    limited('a registration over the quota', $s, $d, $res);
};

sub upload {
    my ($u, $data) = @_;
    my $bd = 'gigdQ' . int(rand(1e9));
    return api(POST => '/api/attachments', token => $u->{token},
               body => "--$bd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
                     . "Content-Type: application/octet-stream\r\n\r\n$data\r\n--$bd--\r\n",
               headers => { 'Content-Type' => "multipart/form-data; boundary=$bd" });
}

subtest 'attachments: GIGD_QUOTA_UPLOADS (100) files and GIGD_QUOTA_UPLOAD_BYTES (100 MiB) per day' => sub {
    my $u = new_user();
    ($s) = upload($u, 'x' x 1000);
    is $s, 201, 'an upload';
    is counter("upl-files:$u->{id}"), 1, 'a file counted';
    ok counter("upl-bytes:$u->{id}") >= 1000, 'its bytes counted';
    fill("upl-files:$u->{id}", 100);
    ($s, $d, $res) = upload($u, 'y');
    limited('the 101st file', $s, $d, $res);
    my $v = new_user();
    fill("upl-bytes:$v->{id}", 104857600 - 500);
    ($s, $d, $res) = upload($v, 'z' x 1000);
    limited('bytes over the daily quota', $s, $d, $res);
    ($s) = upload(new_user(), 'z' x 1000);
    is $s, 201, 'another user uploads';
};

subtest 'unsent uploads are removed after an hour (cleanup cron)' => sub {
    my $u = new_user();
    my (undef, $old) = upload($u, 'old');
    my (undef, $young) = upload($u, 'young');
    psql("UPDATE attachments SET created_at = now() - interval '61 minutes' WHERE id = '$old->{data}{id}'");
    psql("UPDATE attachments SET created_at = now() - interval '50 minutes' WHERE id = '$young->{data}{id}'");
    my ($key) = psql_row("SELECT storage_key FROM attachments WHERE id = '$old->{data}{id}'");
    ($s, $d) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() });
    is $s, 200, 'cleanup ran';
    my ($n) = psql_row("SELECT count(*) FROM attachments WHERE id = '$old->{data}{id}'");
    is $n, 0, 'an upload unsent for over an hour is gone';
    ok !-e stack_dir() . "/private/$key", 'with its file';
    ($n) = psql_row("SELECT count(*) FROM attachments WHERE id = '$young->{data}{id}'");
    is $n, 1, 'a younger one stays';
};

done_testing;
