# A race test for every row lock of the marketplace, messaging and urgent-gig code. Each
# interleaving is made deterministic by t/lib/Race.pm: a psql session holds the contested
# row in SHARE mode, the requests queue behind it one after the other, then it lets go.
# With the lock the later request reads the earlier one's committed row; without it the
# later request acts on what it read before, and the invariant checked here breaks.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;
use Race;

sub share { my ($table, $id) = @_; return "SELECT 1 FROM $table WHERE id = '$id' FOR SHARE" }
sub st { my ($m, $path, $u, $json) = @_; return sub { my ($s, $d) = api($m => $path, token => $u->{token}, defined $json ? (json => $json) : ()); return { s => $s, d => $d } } }
sub open_apps { my ($gig) = @_; return (psql_row("SELECT count(*) FROM applications WHERE gig_id = '$gig' AND status IN ('pending', 'reviewing', 'shortlisted')"))[0] }

# lib/applications.c st_app_gig_lock (the gig row FOR UPDATE while applying)
for my $to ('closed', 'filled') {
    subtest "apply while the poster sets the gig $to: no open application on a $to gig" => sub {
        my $poster = new_user();
        my $gig = new_gig($poster);
        my $ann = new_user();
        my ($close, $apply) = race(share(gigs => $gig->{id}),
            st(PUT => "/api/gigs/$gig->{id}/status", $poster, { status => $to }),
            sub { my ($s, $d) = apply_to($ann, $gig->{id}); return { s => $s, d => $d } });
        is $close->{s}, 200, "$to 200";
        is $apply->{s}, 400, 'the application queued behind it is refused (400)';
        my ($st) = psql_row("SELECT status FROM gigs WHERE id = '$gig->{id}'");
        is $st, $to, "gig $to";
        is open_apps($gig->{id}), 0, "no pending application on a $to gig";
        my ($cnt, $rows) = psql_row("SELECT coalesce(s.applications_count, 0), (SELECT count(*) FROM applications WHERE gig_id = g.id) FROM gigs g LEFT JOIN gig_stats s ON s.gig_id = g.id WHERE g.id = '$gig->{id}'");
        is $cnt, $rows, 'applications_count exact';
    };
}

# lib/applications.c st_app_withdraw_lock and st_apps_lock_owned: whichever comes first
# wins; the other sees its result.
subtest 'withdraw vs accept: the first wins, the second is refused' => sub {
    my $poster = new_user();
    my $gig = new_gig($poster);
    for my $order ('accept first', 'withdraw first') {
        my $ann = new_user();
        my (undef, $d) = apply_to($ann, $gig->{id});
        my $app = $d->{data}{id};
        my $accept = st(PUT => "/api/applications/$app/status", $poster, { status => 'accepted' });
        my $withdraw = st(POST => "/api/applications/$app/withdraw", $ann);
        my ($first, $second) = race(share(applications => $app), $order eq 'accept first' ? ($accept, $withdraw) : ($withdraw, $accept));
        is $first->{s}, 200, "$order: the first 200";
        is $second->{s}, 400, "$order: the second 400" or diag explain $second;
        my ($st) = psql_row("SELECT status FROM applications WHERE id = '$app'");
        is $st, $order eq 'accept first' ? 'accepted' : 'withdrawn', "$order: the first one's status stands";
    }
    my ($cnt, $live) = psql_row("SELECT coalesce(s.applications_count, 0), (SELECT count(*) FROM applications WHERE gig_id = g.id AND status <> 'withdrawn') FROM gigs g LEFT JOIN gig_stats s ON s.gig_id = g.id WHERE g.id = '$gig->{id}'");
    is $cnt, $live, 'applications_count counts the applications not withdrawn';
};

# lib/gigs.c st_gig_lock: two re-activations of one paused gig take one post from the quota.
subtest 'two re-activations of a paused gig at once count one post' => sub {
    my $u = new_user();
    my $gig = new_gig($u);
    my ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $u->{token}, json => { status => 'paused' });
    is $s, 200, 'paused';
    my (undef, $d) = api(GET => '/api/subscription/usage', token => $u->{token});
    my $before = $d->{data}{posts_used};
    my @r = race(share(gigs => $gig->{id}), map { st(PUT => "/api/gigs/$gig->{id}/status", $u, { status => 'active' }) } 1 .. 2);
    is_deeply [map { $_->{s} } @r], [200, 200], 'both 200 (the second changes nothing)';
    (undef, $d) = api(GET => '/api/subscription/usage', token => $u->{token});
    is $d->{data}{posts_used}, $before + 1, 'one post counted';
};

# lib/calls.c st_calls_end (the call row FOR UPDATE): a call ends once.
subtest 'two ends of one call: one 200, one 409' => sub {
    my $a = new_user();
    my $b = new_user();
    my ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id} });
    is $s, 201, 'call';
    my $call = $d->{data}{id};
    my @r = race(share(video_calls => $call), st(POST => "/api/calls/$call/end", $a), st(POST => "/api/calls/$call/end", $b));
    is_deeply [map { $_->{s} } @r], [200, 409], 'the first ends it, the second 409';
};

# lib/sql/messaging.sql st_msg_send (the attachments FOR UPDATE): one attachment, two
# messages in two conversations at once: exactly one carries it.
subtest 'two messages sending one attachment: exactly one succeeds' => sub {
    my $a = new_user();
    my @conv = map {
        my $o = new_user();
        my (undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $o->{id} });
        $d->{data}{id};
    } 1 .. 2;
    my $bd = 'pinB' . int(rand(1e9));
    my (undef, $d) = api(POST => '/api/attachments', token => $a->{token},
        body => "--$bd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--$bd--\r\n",
        headers => { 'Content-Type' => "multipart/form-data; boundary=$bd" });
    my $att = $d->{data}{id} or return fail('upload');
    my @r = race(share(attachments => $att),
        map { st(POST => "/api/conversations/$_/messages", $a, { content => 'file', attachments => [{ id => $att }] }) } @conv);
    is_deeply [map { $_->{s} } @r], [201, 400], 'the first 201, the second 400';
    my ($carrying) = psql_row("SELECT count(*) FROM messages WHERE sender_id = '$a->{id}' AND attachments @> jsonb_build_array(jsonb_build_object('id', '$att'))");
    is $carrying, 1, 'one message carries the attachment';
    my ($owner) = psql_row("SELECT m.conversation_id FROM attachments t JOIN messages m ON m.id = t.message_id WHERE t.id = '$att'");
    is $owner, $conv[0], 'and the attachment belongs to that message';
};

# lib/sql/gigs_views.sql's lock order (the gig rows FOR KEY SHARE first, then gig_stats), the
# order applying takes (its gig FOR UPDATE, then the gig_stats upsert): a session holds the
# gig as an application does, the views flush queues behind it, then the session counts
# its application. Without the flush's explicit first lock, the flush would hold the
# gig_stats row while its foreign-key check waits for the gig: a deadlock, and one of the
# two (the application or the batch of views) is lost.
subtest 'views flush vs application: one lock order, nothing lost' => sub {
    my $poster = new_user();
    my $gig = new_gig($poster);
    my ($s) = apply_to(new_user(), $gig->{id});
    is $s, 201, 'a first application (the gig has its gig_stats row)';
    my $h = hold("SELECT 1 FROM gigs WHERE id = '$gig->{id}' FOR UPDATE");
    my $viewer = new_user();
    ($s) = api(GET => "/api/gigs/$gig->{id}", token => $viewer->{token});
    is $s, 200, 'a view (answered at once: the flush comes after the response)';
    ok wait_for(sub { blocked($h) >= 1 }, 15), 'the flush waits behind the held gig';
    my $in = $h->{in};
    print $in "INSERT INTO gig_stats AS s (gig_id, applications_count) VALUES ('$gig->{id}', 1)"
            . " ON CONFLICT (gig_id) DO UPDATE SET applications_count = s.applications_count + 1;\nCOMMIT;\n";
    close $in;
    is $?, 0, "the session's count went through (no deadlock)";
    my $counts = sub { join ',', psql_row("SELECT applications_count, views_count FROM gig_stats WHERE gig_id = '$gig->{id}'") };
    ok wait_for(sub { $counts->() eq '2,1' }, 15), 'both counted: 2 applications, 1 view' or diag $counts->();
};

done_testing;
