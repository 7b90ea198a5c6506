# Moderation (issue 15, item 4): roles set only by `gigctl user role`; every /api/admin
# route refused to users (403) and to anonymous callers (401); the reports queue;
# takedown and restore of gigs, messages and reviews (hidden from everyone else, kept);
# every action in the audit log, which only admins read and nobody can change.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";
sub role { my ($u, $r) = @_; my $out = `$gigctl user role '$u->{email}' $r 2>&1`; return ($? >> 8, $out) }

my $mod = new_user();
my $admin = new_user();
my $user = new_user();
my $poster = new_user();
my $worker = new_user();

subtest 'gigctl user role' => sub {
    my ($rc, $out) = role($mod, 'moderator');
    is $rc, 0, 'moderator set' or diag $out;
    ($rc) = role($admin, 'admin');
    is $rc, 0, 'admin set';
    ($rc, $out) = role($user, 'superuser');
    is $rc, 2, 'unknown role refused';
    like $out, qr/role must be one of/, 'says which roles exist';
    ($rc) = role({ email => 'nobody-' . rand_name() . '@example.test' }, 'admin');
    is $rc, 2, 'unknown email refused';
    my ($r) = psql_row("SELECT role FROM users WHERE id = '$user->{id}'");
    is $r, 'user', 'the default role is user';
    ($rc) = role({ email => uc $mod->{email} }, 'moderator');
    is $rc, 0, 'email case-insensitive';
    ($r) = psql_row("SELECT count(*) FROM audit_log WHERE action = 'user.role' AND subject_id = '$admin->{id}'");
    is $r, 1, 'role changes are audited';
};

my $gig = new_gig($poster, title => 'Moderated gig ' . rand_name());
my (undef, $app) = apply_to($worker, $gig->{id});
api(PUT => "/api/applications/$app->{data}{id}/status", token => $poster->{token}, json => { status => 'accepted' });
(undef, $d) = api(POST => '/api/reviews', token => $worker->{token}, json => { gig_id => $gig->{id}, reviewee_id => $poster->{id}, rating => 1, comment => 'awful' });
my $review = $d->{data}{id};
(undef, $d) = api(POST => '/api/conversations', token => $poster->{token}, json => { participant_id => $worker->{id} });
my $cid = $d->{data}{id};
(undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $poster->{token}, json => { content => 'first' });
my $keep_msg = $d->{data}{id};
(undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $poster->{token}, json => { content => 'offensive' });
my $msg = $d->{data}{id};
ok $review && $msg && $keep_msg, 'content to moderate';
(undef, $d) = api(POST => '/api/reports', token => $worker->{token}, json => { subject_type => 'gig', subject_id => $gig->{id}, reason => 'scam' });
my $report = $d->{data}{id};
ok $report, 'a report to handle';

my $any = uuid_random();
my @admin_routes = (
    [GET => '/api/admin/reports'], [POST => "/api/admin/reports/$report/resolve", { status => 'resolved' }],
    [POST => "/api/admin/users/$worker->{id}/suspend"], [POST => "/api/admin/users/$worker->{id}/unsuspend"],
    [DELETE => "/api/admin/users/$worker->{id}/suspend"],
    [POST => "/api/admin/gigs/$gig->{id}/takedown"], [POST => "/api/admin/gigs/$gig->{id}/restore"],
    [DELETE => "/api/admin/gigs/$gig->{id}/takedown"],
    [POST => "/api/admin/messages/$msg/takedown"], [POST => "/api/admin/messages/$msg/restore"],
    [POST => "/api/admin/reviews/$review/takedown"], [POST => "/api/admin/reviews/$review/restore"],
    [GET => '/api/admin/audit-log'],
);
subtest 'admin routes refused to users and anonymous callers' => sub {
    for my $rt (@admin_routes) {
        my ($m, $p, $body) = @$rt;
        ($s) = api($m => $p, $body ? (json => $body) : ());
        is $s, 401, "$m $p anonymous → 401";
        ($s, $d) = api($m => $p, token => $user->{token}, $body ? (json => $body) : ());
        is $s, 403, "$m $p as a user → 403";
        is $d->{code}, 'FORBIDDEN', 'FORBIDDEN';
    }
    ($s) = api(POST => "/api/admin/gigs/$gig->{id}/takedown", token => $user->{token}, body => '{bad',
               headers => { 'Content-Type' => 'application/json' });
    is $s, 403, 'a user with a malformed body: still 403';
    ($s, $d) = api(GET => '/api/admin/audit-log', token => $mod->{token});
    is $s, 403, 'the audit log: not for moderators';
    like $d->{error}, qr/Admin/, 'admins only';
    my ($n) = psql_row("SELECT hidden_at IS NULL FROM gigs WHERE id = '$gig->{id}'");
    is $n, 't', 'nothing was changed by the refused calls';
};

subtest 'reports queue' => sub {
    ($s, $d) = api(GET => '/api/admin/reports?status=open&limit=100', token => $mod->{token});
    is $s, 200, 'list open reports';
    ok((grep { $_->{id} eq $report } @{ $d->{data}{data} }), 'the report is listed');
    ok defined $d->{data}{total} && defined $d->{data}{hasMore}, 'PaginatedResult';
    ($s, $d) = api(GET => '/api/admin/reports?status=weird', token => $mod->{token});
    is $s, 400, 'bad status → 400';
    ok $d->{fields}{status}, 'fields.status';
    ($s, $d) = api(GET => '/api/admin/reports?page=0', token => $mod->{token});
    is $s, 400, 'bad page → 400';
    ($s, $d) = api(POST => "/api/admin/reports/$report/resolve", token => $mod->{token}, json => { status => 'open' });
    is $s, 400, 'resolve with a bad status → 400';
    ok $d->{fields}{status}, 'fields.status';
    ($s, $d) = api(POST => "/api/admin/reports/$report/resolve", token => $mod->{token}, body => '{x',
                   headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON → 400';
    ($s) = api(POST => '/api/admin/reports/' . uuid_random() . '/resolve', token => $mod->{token}, json => { status => 'dismissed' });
    is $s, 404, 'unknown report → 404';
    ($s, $d) = api(POST => "/api/admin/reports/$report/resolve", token => $mod->{token},
                   json => { status => 'resolved', resolution => 'gig taken down' });
    is $s, 200, 'resolved';
    is $d->{data}{status}, 'resolved', 'status';
    is $d->{data}{resolved_by}, $mod->{id}, 'resolved_by';
    is $d->{data}{resolution}, 'gig taken down', 'resolution';
    ($s, $d) = api(GET => '/api/admin/reports?status=resolved&limit=100', token => $mod->{token});
    ok((grep { $_->{id} eq $report } @{ $d->{data}{data} }), 'listed as resolved');
    ($s, $d) = api(GET => '/api/admin/reports?status=open&limit=100', token => $mod->{token});
    ok(!(grep { $_->{id} eq $report } @{ $d->{data}{data} }), 'no longer open');
};

sub gig_status { my ($u) = @_; my ($st) = api(GET => "/api/gigs/$gig->{id}", $u ? (token => $u->{token}) : ()); return $st }
sub search_has {
    my ($st, $r) = api(GET => "/api/gigs?search=" . (split / /, $gig->{title})[2] . '&limit=100', token => $user->{token});
    return scalar grep { $_->{id} eq $gig->{id} } @{ $r->{data}{data} || [] };
}
subtest 'gig takedown and restore' => sub {
    is gig_status($user), 200, 'visible before';
    my (undef, $cv) = api(POST => '/api/conversations', token => $worker->{token},
                          json => { participant_id => $poster->{id}, gig_id => $gig->{id} });
    my $about = $cv->{data}{id};
    my $embed = sub {
        my (undef, $r) = api(GET => '/api/conversations', token => $worker->{token});
        my ($c) = grep { $_->{id} eq $about } @{ $r->{data} };
        return $c;
    };
    is $embed->()->{gig}{id}, $gig->{id}, 'a conversation about the gig shows it';
    ($s) = api(POST => "/api/gigs/$gig->{id}/save", token => $user->{token});
    ok $s == 200 || $s == 201, 'a user bookmarks it';
    ok search_has(), 'in search before';
    ($s) = api(POST => '/api/admin/gigs/' . uuid_random() . '/takedown', token => $mod->{token});
    is $s, 404, 'unknown gig → 404';
    ($s) = api(POST => "/api/admin/gigs/$gig->{id}/takedown", token => $mod->{token}, json => { reason => 'x' x 1001 });
    is $s, 400, 'reason over 1000 → 400';
    ($s, $d) = api(POST => "/api/admin/gigs/$gig->{id}/takedown", token => $mod->{token}, json => { reason => 'scam' });
    is $s, 200, 'taken down';
    ok $d->{data}{hidden}, 'hidden';
    is gig_status($user), 404, 'another user: 404';
    is gig_status(undef), 404, 'anonymous: 404';
    is gig_status($poster), 200, 'its poster still reads it';
    ok !search_has(), 'gone from search';
    ($s) = apply_to($user, $gig->{id});
    is $s, 404, 'nobody applies to it';
    my (undef, $saved) = api(GET => '/api/me/saved-gigs', token => $user->{token});
    ok !(grep { $_->{id} eq $gig->{id} } @{ $saved->{data}{data} }), 'gone from the bookmarks';
    my (undef, $apps) = api(GET => '/api/me/applications', token => $worker->{token});
    my ($mine) = grep { $_->{gig_id} eq $gig->{id} } @{ $apps->{data}{data} };
    ok $mine, 'the applicant still lists the application';
    is $mine->{gig}, undef, 'but not the taken-down gig inside it';
    ok $embed->(), 'the conversation about it stays';
    is $embed->()->{gig}, undef, 'without the taken-down gig';
    my ($n) = psql_row("SELECT count(*) FROM gigs WHERE id = '$gig->{id}'");
    is $n, 1, 'kept in the database';
    ($s) = api(POST => "/api/admin/gigs/$gig->{id}/restore", token => $mod->{token}, json => { reason => 'appeal upheld' });
    is $s, 200, 'restored';
    is gig_status($user), 200, 'visible again';
    ok search_has(), 'in search again';
    (undef, $saved) = api(GET => '/api/me/saved-gigs', token => $user->{token});
    ok((grep { $_->{id} eq $gig->{id} } @{ $saved->{data}{data} }), 'back in the bookmarks');
    (undef, $apps) = api(GET => '/api/me/applications', token => $worker->{token});
    ($mine) = grep { $_->{gig_id} eq $gig->{id} } @{ $apps->{data}{data} };
    is $mine->{gig}{id}, $gig->{id}, 'the application shows the gig again';
    is $embed->()->{gig}{id}, $gig->{id}, 'and the conversation';
    ($s) = api(POST => "/api/admin/gigs/$gig->{id}/restore", token => $mod->{token});
    is $s, 409, 'restoring what is not taken down → 409';
    ($s) = api(POST => "/api/admin/gigs/$gig->{id}/takedown", token => $mod->{token});
    is $s, 200, 'no body: a takedown without a reason';
    ($s) = api(DELETE => "/api/admin/gigs/$gig->{id}/takedown", token => $mod->{token});
    is $s, 200, 'DELETE restores too';
};

sub msg_ids {
    my ($u) = @_;
    my (undef, $r) = api(GET => "/api/conversations/$cid/messages", token => $u->{token});
    return { map { $_->{id} => 1 } @{ $r->{data}{data} || [] } };
}
subtest 'message takedown and restore' => sub {
    ok msg_ids($worker)->{$msg}, 'visible before';
    ($s) = api(POST => "/api/admin/messages/$msg/takedown", token => $mod->{token}, json => { reason => 'abuse' });
    is $s, 200, 'taken down';
    ok !msg_ids($worker)->{$msg}, 'gone for the recipient';
    ok !msg_ids($poster)->{$msg}, 'and for its sender';
    ok msg_ids($worker)->{$keep_msg}, 'the rest of the conversation stays';
    my (undef, $r) = api(GET => '/api/conversations', token => $worker->{token});
    my ($c) = grep { $_->{id} eq $cid } @{ $r->{data} };
    is $c->{last_message}{id}, $keep_msg, 'the preview shows the last visible message';
    my ($n) = psql_row("SELECT content FROM messages WHERE id = '$msg'");
    is $n, 'offensive', 'kept for the audit';
    ($s) = api(POST => "/api/admin/messages/$msg/restore", token => $mod->{token});
    is $s, 200, 'restored';
    ok msg_ids($worker)->{$msg}, 'visible again';
    ($s) = api(POST => '/api/admin/messages/' . uuid_random() . '/takedown', token => $mod->{token});
    is $s, 404, 'unknown message → 404';
};

sub reviews_of {
    my (undef, $r) = api(GET => "/api/users/$poster->{id}/reviews");
    my (undef, $rating) = api(GET => "/api/users/$poster->{id}/rating");
    return ({ map { $_->{id} => 1 } @{ $r->{data}{data} || [] } }, $rating->{data}{count});
}
subtest 'review takedown and restore' => sub {
    my ($ids, $count) = reviews_of();
    ok $ids->{$review}, 'listed before';
    is $count, 1, 'counted before';
    ($s) = api(POST => "/api/admin/reviews/$review/takedown", token => $mod->{token}, json => { reason => 'fake' });
    is $s, 200, 'taken down';
    ($ids, $count) = reviews_of();
    ok !$ids->{$review}, 'gone from the list';
    is $count, 0, 'and from the rating';
    ($s) = api(POST => '/api/reports', token => $user->{token}, json => { subject_type => 'review', subject_id => $review, reason => 'x' });
    is $s, 404, 'a hidden review cannot be reported';
    ($s) = api(POST => "/api/admin/reviews/$review/restore", token => $mod->{token});
    is $s, 200, 'restored';
    ($ids, $count) = reviews_of();
    ok $ids->{$review}, 'listed again';
};

subtest 'audit log: admins read it, nobody changes it' => sub {
    ($s, $d) = api(GET => '/api/admin/audit-log?limit=100', token => $admin->{token});
    is $s, 200, 'admin reads the audit log';
    my @mine = grep { $_->{actor_id} eq $mod->{id} } @{ $d->{data}{data} };
    my %actions = map { ($_->{action} . ' ' . $_->{subject_id}) => $_ } @mine;
    ok $actions{"report.resolved $report"}, 'report.resolved';
    ok $actions{"gig.takedown $gig->{id}"}, 'gig.takedown';
    ok $actions{"gig.restore $gig->{id}"}, 'gig.restore';
    ok $actions{"message.takedown $msg"}, 'message.takedown';
    ok $actions{"review.takedown $review"}, 'review.takedown';
    ok $actions{"review.restore $review"}, 'review.restore';
    my ($td) = grep { $_->{action} eq 'gig.takedown' && ($_->{reason} // '') eq 'scam' } @mine;
    ok $td && $td->{created_at} && $td->{subject_type} eq 'gig', 'actor, action, subject, reason and time';
    is $td->{actor}{id}, $mod->{id}, 'the actor\'s profile';
    ok defined $d->{data}{total}, 'PaginatedResult';
    my ($n) = psql_row("SELECT count(*) FROM audit_log WHERE actor_id = '$mod->{id}'");
    ok $n >= 9, "rows written ($n)";
    for my $sql ("UPDATE audit_log SET reason = 'edited' WHERE actor_id = '$mod->{id}'",
                 "DELETE FROM audit_log WHERE actor_id = '$mod->{id}'", 'TRUNCATE audit_log') {
        my $ok = eval { psql($sql); 1 };
        ok !$ok, "refused: $sql";
    }
    my ($after) = psql_row("SELECT count(*) FROM audit_log WHERE actor_id = '$mod->{id}' AND reason IS DISTINCT FROM 'edited'");
    is $after, $n, 'every row intact';
};

subtest 'moderators read content as stored' => sub {
    my $g2 = new_gig($poster, title => 'Readable ' . rand_name());
    (undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $poster->{token}, json => { content => 'private words' });
    my $private = $d->{data}{id};
    (undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $poster->{token}, json => { content => 'reported words' });
    my $reported = $d->{data}{id};

    ($s) = api(GET => "/api/admin/gigs/$g2->{id}");
    is $s, 401, 'no session → 401';
    ($s, $d) = api(GET => "/api/admin/gigs/$g2->{id}", token => $user->{token});
    is $s, 403, 'a user → 403';
    ok !defined $d->{data}, 'and no content';
    ($s) = api(GET => '/api/admin/gigs/' . uuid_random(), token => $mod->{token});
    is $s, 404, 'unknown gig → 404';
    ($s) = api(GET => '/api/admin/gigs/not-a-uuid', token => $mod->{token});
    is $s, 404, 'malformed id → 404';

    api(POST => "/api/admin/gigs/$g2->{id}/takedown", token => $mod->{token}, json => { reason => 'spam' });
    is gig_status($user), 200, '(the other gig unaffected)';
    ($s, $d) = api(GET => "/api/admin/gigs/$g2->{id}", token => $mod->{token});
    is $s, 200, 'a moderator reads a taken-down gig';
    is $d->{data}{content}{title}, $g2->{title}, 'its content';
    ok $d->{data}{hidden}, 'hidden';
    is $d->{data}{hidden_cause}, 'takedown', 'and why';

    ($s) = api(GET => "/api/admin/messages/$private", token => $mod->{token});
    is $s, 404, 'a private message nobody reported → 404';
    ($s) = api(POST => '/api/reports', token => $worker->{token},
               json => { subject_type => 'message', subject_id => $reported, reason => 'harassment' });
    is $s, 201, 'the recipient reports a message';
    ($s, $d) = api(GET => "/api/admin/messages/$reported", token => $mod->{token});
    is $s, 200, 'a reported message is readable';
    is $d->{data}{content}{content}, 'reported words', 'its words';
    ok !$d->{data}{hidden}, 'not hidden';
    ($s) = api(GET => "/api/admin/messages/$reported", token => $worker->{token});
    is $s, 403, 'not by a user, even its recipient, on this route';

    ($s, $d) = api(GET => "/api/admin/reviews/$review", token => $mod->{token});
    is $s, 200, 'a review';
    is $d->{data}{content}{comment}, 'awful', 'its words';
};

done_testing;
