# Export and deletion (issue 15, item 2): GET /api/me/export holds the caller's data and
# never another user's or a secret; DELETE /api/me deactivates at once (sessions and
# their streams, profile, open gigs, pending applications, push tokens, the Stripe
# subscription), signing in within the grace period restores, and after it (a fixed
# clock: deleted_at backdated in SQL) the account-erase cron job anonymises the account
# while the other users' conversations and reviews still render.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use GigdMarket;
use GigdStream;

my ($s, $d, $res);
my $BASE = $ENV{GIGD_TEST_BASE};

sub export_of {
    my ($u) = @_;
    my ($st, $body, $r) = api(GET => '/api/me/export', token => $u->{token});
    return ($st, $body, $r);
}
sub conversation {
    my ($a, $b) = @_;
    my ($st, $dd) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    die "conversation ($st)" unless $st == 201;
    return $dd->{data}{id};
}
sub say_in { my ($u, $cid, $text) = @_; my ($st) = api(POST => "/api/conversations/$cid/messages", token => $u->{token}, json => { content => $text }); $st }
sub erase { my ($st, $dd) = api(POST => '/api/cron/account-erase', headers => { Authorization => 'Bearer ' . cron_secret() }); ($st, $dd) }

subtest 'export: the caller\'s data, no one else\'s, no secrets' => sub {
    my $a = new_user();
    my $b = new_user();
    my $gig = new_gig($a, title => 'Export me gig');
    my ($st, $app) = apply_to($b, $gig->{id}, cover_letter => 'export-b-cover-letter');
    is $st, 201, 'b applied to a\'s gig';
    my $cid = conversation($a, $b);
    is say_in($a, $cid, 'export-a-said-this'), 201, 'a wrote';
    is say_in($b, $cid, 'export-b-said-this'), 201, 'b wrote';
    ($st) = api(POST => '/api/push-tokens', token => $a->{token},
                json => { push_token => 'ExponentPushToken[' . rand_name('exp') . ']', platform => 'ios' });
    is $st, 201, 'a registered a push token';

    ($s) = api(GET => '/api/me/export');
    is $s, 401, 'without a session 401';

    ($s, $d, $res) = export_of($a);
    is $s, 200, 'export 200';
    like $res->{headers}{'content-type'}, qr{^application/json}, 'JSON';
    like $res->{headers}{'content-disposition'} // '', qr/attachment/, 'as an attachment';
    my $x = $d->{data};
    is $x->{user}{id}, $a->{id}, 'the caller\'s account';
    is $x->{user}{email}, $a->{email}, '… with their email';
    is $x->{profile}{username}, $a->{username}, 'profile';
    is_deeply [map { $_->{id} } @{ $x->{gigs} }], [$gig->{id}], 'their gig';
    is_deeply [map { $_->{content} } @{ $x->{messages_sent} }], ['export-a-said-this'], 'the messages they sent, not b\'s';
    ok((grep { $_->{type} eq 'new_application' } @{ $x->{notifications} }), 'their notifications');
    ok @{ $x->{sessions} } >= 1 && !grep({ exists $_->{token_hash} } @{ $x->{sessions} }), 'sessions\' metadata, no hash';
    is scalar @{ $x->{push_tokens} }, 1, 'their push token (its metadata)';
    ok exists $x->{$_}, "has $_" for qw(applications reviews_written reviews_received payments subscription saved_gigs calls);
    my $raw = $res->{content};
    unlike $raw, qr/export-b-said-this/, 'b\'s message is not in it';
    unlike $raw, qr/export-b-cover-letter/, 'nor b\'s application';
    unlike $raw, qr/\Q$b->{email}\E/, 'nor b\'s email';
    unlike $raw, qr/argon2id/, 'no password hash';
    unlike $raw, qr/\Q$a->{token}\E/, 'no session token';
    my ($hash) = psql_row("SELECT encode(token_hash, 'hex') FROM sessions WHERE user_id = '$a->{id}' LIMIT 1");
    unlike $raw, qr/\Q$hash\E/i, 'no token hash';
    unlike $raw, qr/ExponentPushToken/, 'no push token value';

    ($s, $d, $res) = export_of($b);
    is_deeply [map { $_->{id} } @{ $d->{data}{applications} }], [$app->{data}{id}], 'b\'s export: b\'s application';
    is_deeply [map { $_->{content} } @{ $d->{data}{messages_sent} }], ['export-b-said-this'], '… b\'s message';
    is_deeply $d->{data}{gigs}, [], '… no gig of a\'s';
    unlike $res->{content}, qr/export-a-said-this/, 'a\'s message is not in b\'s export';
};

subtest 'export: saved searches, preferences, blocks, reports, payouts (theirs only)' => sub {
    my $a = new_user();
    my $b = new_user();
    my ($st) = api(POST => '/api/me/saved-searches', token => $a->{token}, json => { name => 'a-search', search => 'export-a-search' });
    is $st, 201, 'a saved a search';
    ($st) = api(POST => '/api/me/saved-searches', token => $b->{token}, json => { name => 'b-search', search => 'export-b-search' });
    is $st, 201, 'b saved a search';
    ($st) = api(PUT => '/api/me/notification-preferences', token => $a->{token},
                json => { types => { call_scheduled => { push => JSON::PP::false, email => JSON::PP::true } } });
    is $st, 200, 'a set preferences';
    my $c = new_user();
    ($st) = api(POST => "/api/users/$c->{id}/block", token => $a->{token});
    ok $st >= 200 && $st < 300, 'a blocked c';
    ($st) = api(POST => "/api/users/$a->{id}/block", token => $b->{token});
    ok $st >= 200 && $st < 300, 'b blocked a';
    ($st) = api(POST => '/api/reports', token => $a->{token}, json => { subject_type => 'user', subject_id => $c->{id}, reason => 'export-a-reason' });
    is $st, 201, 'a reported c';
    ($st) = api(POST => '/api/reports', token => $b->{token}, json => { subject_type => 'user', subject_id => $c->{id}, reason => 'export-b-reason' });
    is $st, 201, 'b reported c';
    my $acct = 'acct_' . join('', map { ('a'..'z')[rand 26] } 1..16);
    psql("INSERT INTO payout_accounts (user_id, stripe_account_id, status) VALUES ('$a->{id}', '$acct', 'enabled')");
    my $po = 'po_' . join('', map { ('a'..'z')[rand 26] } 1..16);
    psql("INSERT INTO payouts (id, user_id, stripe_account_id, amount, currency, status, state_at)"
       . " VALUES ('$po', '$a->{id}', '$acct', 1234, 'USD', 'paid', now())");
    my $pob = 'po_' . join('', map { ('a'..'z')[rand 26] } 1..16);
    psql("INSERT INTO payouts (id, user_id, stripe_account_id, amount, currency, status, state_at)"
       . " VALUES ('$pob', '$b->{id}', 'acct_other$pob', 99, 'USD', 'paid', now())");

    ($s, $d, $res) = export_of($a);
    is $s, 200, 'export 200';
    my $x = $d->{data};
    is_deeply [map { $_->{name} } @{ $x->{saved_searches} }], ['a-search'], 'a\'s saved search, not b\'s';
    is $x->{notification_preferences}{channels}{call_scheduled}{email}, JSON::PP::true, 'a\'s notification preferences';
    is_deeply [map { $_->{blocked_id} } @{ $x->{blocks} }], [$c->{id}], 'the block a made, not the one against a';
    is_deeply [map { $_->{reason} } @{ $x->{reports_filed} }], ['export-a-reason'], 'the report a filed, not b\'s';
    ok !exists $x->{reports_filed}[0]{resolved_by}, '… without the moderator';
    is $x->{payout_account}{account_id}, $acct, 'a\'s payout account';
    ok !exists $x->{payout_account}{op_key}, '… without our idempotency key';
    is_deeply [map { $_->{id} } @{ $x->{payouts} }], [$po], 'a\'s payout, not b\'s';
    is $x->{payouts}[0]{amount}, 12.34, '… its amount';
    my $raw = $res->{content};
    unlike $raw, qr/export-b-(search|reason)/, 'nothing of b\'s';
    unlike $raw, qr/\Q$pob\E/, 'nor b\'s payout';

    ($s, $d) = export_of($c);
    is_deeply $d->{data}{blocks}, [], 'c\'s export: no blocks (the ones against c are not c\'s)';
    is_deeply $d->{data}{reports_filed}, [], '… no reports (the ones about c are not c\'s)';
    is $d->{data}{payout_account}, undef, '… no payout account';
    is_deeply $d->{data}{payouts}, [], '… no payouts';
};

subtest 'export pages through long sections whole' => sub {
    my $u = new_user();
    psql("INSERT INTO notifications (user_id, type, title) SELECT '$u->{id}', 'gig_update', 'bulk ' || i FROM generate_series(1, 450) i");
    ($s, $d) = export_of($u);
    is $s, 200, 'export 200';
    my @n = @{ $d->{data}{notifications} };
    is scalar @n, 450, 'all 450 notifications (three pages)';
    my %seen = map { $_->{id} => 1 } @n;
    is scalar keys %seen, 450, 'none twice';
};

subtest 'DELETE /api/me: refusals' => sub {
    my $u = new_user();
    ($s) = api(DELETE => '/api/me', json => { password => $u->{password} });
    is $s, 401, 'without a session 401';
    ($s, $d) = api(DELETE => '/api/me', token => $u->{token}, json => { password => 'not my password' });
    is $s, 400, 'wrong password 400';
    is $d->{fields}{password}, 'is incorrect', 'fields.password';
    ($s, $d) = api(DELETE => '/api/me', token => $u->{token}, json => {});
    is $d->{fields}{password}, 'is required', 'missing password';
    ($s, $d) = api(DELETE => '/api/me', token => $u->{token}, json => { password => 5 });
    ok $s == 400 && $d->{fields}{password}, 'password not a string';
    ($s) = api(DELETE => '/api/me', token => $u->{token}, body => '{"password":', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 200, 'still signed in after the refusals';
};

my ($gone, $poster, $cid, $gig_of_poster);   # shared by the deletion subtests below

subtest 'DELETE /api/me deactivates at once' => sub {
    $gone = new_user(full_name => 'Gone Person');
    $poster = new_user();
    my $mine = new_gig($gone, title => 'Gone gig active');
    my $draft = new_gig($gone, title => 'Gone gig draft', status => 'draft');
    $gig_of_poster = new_gig($poster, title => 'Poster gig');
    my ($st, $app) = apply_to($gone, $gig_of_poster->{id});
    is $st, 201, 'applied to another user\'s gig';
    ($st, $d) = api(POST => '/api/push-tokens', token => $gone->{token},
                    json => { push_token => 'ExponentPushToken[' . rand_name('gone') . ']', platform => 'android' });
    is $st, 201, 'push token registered';
    $cid = conversation($poster, $gone);
    is say_in($gone, $cid, 'message from the one who leaves'), 201, 'wrote to the poster';
    is say_in($poster, $cid, 'answer from the poster'), 201, 'the poster answered';
    # a live Pro subscription, as the webhook would have stored it
    my $sub = 'sub_' . rand_name('del');
    psql("INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, status, plan)"
         . " VALUES ('$gone->{id}', 'cus_" . rand_name('c') . "', '$sub', 'active', 'pro')");
    my ($st2, $d2) = api(POST => '/api/auth/signin', json => { email => $gone->{email}, password => $gone->{password} });
    my $second = $d2->{data}{token};
    my $stream = GigdStream->new('sse', $BASE, "/api/realtime/notifications?access_token=$second");
    is $stream->{status}, 200, 'a real-time stream of another session is open';

    ($s, $d, $res) = api(DELETE => '/api/me', token => $gone->{token}, json => { password => $gone->{password} });
    is $s, 200, 'deleted: 200';
    like $res->{headers}{'set-cookie'} // '', qr/^gigd_session=; .*Max-Age=0/, 'the cookie is cleared';
    ($s) = api(GET => '/api/auth/session', token => $gone->{token});
    is $s, 401, 'this session is revoked';
    ($s) = api(GET => '/api/auth/session', token => $second);
    is $s, 401, 'every other session too';
    ok defined $stream->ends_within(5), 'and its real-time stream ends';
    $stream->close;
    ($s) = api(GET => "/api/profiles/$gone->{username}");
    is $s, 404, 'the profile is hidden';
    my %status = map { $_->[0] => $_->[1] } psql("SELECT id, status FROM gigs WHERE poster_id = '$gone->{id}'");
    is $status{$mine->{id}}, 'closed', 'the open gig is closed';
    is $status{$draft->{id}}, 'closed', 'the draft too';
    ($s, $d) = api(GET => "/api/gigs/$mine->{id}");
    is $d->{data}{status}, 'closed', '… as the public sees it';
    my ($as, $count) = psql_row("SELECT a.status, coalesce(g.applications_count, 0) FROM applications a LEFT JOIN gig_stats g ON g.gig_id = a.gig_id WHERE a.id = '$app->{data}{id}'");
    is $as, 'withdrawn', 'the pending application is withdrawn';
    is $count, 0, 'and the gig\'s count stays exact';
    my ($tokens) = psql_row("SELECT count(*) FROM push_tokens WHERE user_id = '$gone->{id}'");
    is $tokens, 0, 'push tokens removed';
    my @cancel = grep { $_->{path} eq "/v1/subscriptions/$sub" && $_->{method} eq 'POST' } fake_requests('stripe');
    is scalar @cancel, 1, 'the subscription was cancelled at Stripe';
    is $cancel[0]{form}{cancel_at_period_end}, 'true', '… at the end of the period';
    my ($flag) = psql_row("SELECT cancel_at_period_end FROM subscriptions WHERE user_id = '$gone->{id}'");
    is $flag, 't', 'and that is stored';
    my ($deleted) = psql_row("SELECT deleted_at IS NOT NULL FROM users WHERE id = '$gone->{id}'");
    is $deleted, 't', 'deleted_at set';
};

subtest 'signing in during the grace period restores the account' => sub {
    my ($n) = erase();
    is $n, 200, 'the erase job runs';
    ($s, $d) = api(POST => '/api/auth/signin', json => { email => $gone->{email}, password => $gone->{password} });
    is $s, 200, 'signs in: 200';
    ok $d->{data}{restored}, 'says the account was restored';
    my $tok = $d->{data}{token};
    ($s) = api(GET => '/api/auth/session', token => $tok);
    is $s, 200, 'the new session works';
    ($s) = api(GET => "/api/profiles/$gone->{username}");
    is $s, 200, 'the profile is visible again';
    my ($deleted) = psql_row("SELECT deleted_at IS NULL FROM users WHERE id = '$gone->{id}'");
    is $deleted, 't', 'deleted_at cleared';
    $gone->{token} = $tok;
};

subtest 'after the grace period the account is erased; others\' views still render' => sub {
    # a review each way first: the poster accepts the application, both review
    my ($app) = psql_row("SELECT id FROM applications WHERE applicant_id = '$gone->{id}'");
    psql("UPDATE applications SET status = 'accepted' WHERE id = '$app'");
    ($s) = api(POST => '/api/reviews', token => $gone->{token}, json => { gig_id => $gig_of_poster->{id}, reviewee_id => $poster->{id}, rating => 4, comment => 'review by the leaver' });
    is $s, 201, 'the leaver reviewed the poster';
    ($s) = api(POST => '/api/reviews', token => $poster->{token}, json => { gig_id => $gig_of_poster->{id}, reviewee_id => $gone->{id}, rating => 5 });
    is $s, 201, 'the poster reviewed the leaver';
    my $recent = new_user();

    ($s) = api(DELETE => '/api/me', token => $gone->{token}, json => { password => $gone->{password} });
    is $s, 200, 'deleted again';
    ($s) = api(DELETE => '/api/me', token => $recent->{token}, json => { password => $recent->{password} });
    is $s, 200, 'another account deleted just now';
    # The fixed clock: the first deletion is made 31 days old.
    psql("UPDATE users SET deleted_at = now() - interval '31 days' WHERE id = '$gone->{id}'");
    ($s, $d) = erase();
    is $s, 200, 'erase job 200';
    cmp_ok $d->{data}{erased}, '>=', 1, 'erased at least one';
    my ($email, $hash, $erased) = psql_row("SELECT email, password_hash, erased_at IS NOT NULL FROM users WHERE id = '$gone->{id}'");
    is $erased, 't', 'the account is erased';
    unlike $email, qr/\Q$gone->{email}\E/, 'its address is gone';
    unlike $hash, qr/argon2/, 'its password hash is gone';
    my ($uname, $full, $bio) = psql_row("SELECT username, full_name, coalesce(bio, '') FROM profiles WHERE id = '$gone->{id}'");
    like $uname, qr/^deleted_/, 'username anonymised';
    is $full, 'Deleted user', 'shown as a deleted user';
    my ($left) = psql_row("SELECT (SELECT count(*) FROM sessions WHERE user_id = '$gone->{id}')"
                          . " + (SELECT count(*) FROM notifications WHERE user_id = '$gone->{id}')"
                          . " + (SELECT count(*) FROM email_verifications WHERE user_id = '$gone->{id}')");
    is $left, 0, 'sessions, notifications and links removed';
    ($s) = api(POST => '/api/auth/signin', json => { email => $gone->{email}, password => $gone->{password} });
    is $s, 401, 'signing in no longer restores it';
    my ($r2) = psql_row("SELECT erased_at IS NULL AND deleted_at IS NOT NULL FROM users WHERE id = '$recent->{id}'");
    is $r2, 't', 'the account deleted just now is not erased yet';

    ($s, $d) = api(GET => "/api/conversations/$cid/messages", token => $poster->{token});
    is $s, 200, 'the poster\'s conversation still renders';
    my ($theirs) = grep { $_->{content} eq 'message from the one who leaves' } @{ $d->{data}{data} || $d->{data} };
    ok $theirs, 'with the leaver\'s message kept';
    is $theirs && $theirs->{sender}{full_name}, 'Deleted user', '… shown from a deleted user';
    ($s, $d) = api(GET => "/api/users/$poster->{id}/reviews");
    is $s, 200, 'the poster\'s reviews still render';
    my ($rv) = grep { ($_->{comment} // '') eq 'review by the leaver' } @{ ref $d->{data} eq 'HASH' ? $d->{data}{data} : $d->{data} };
    ok $rv, 'with the review the leaver wrote';
    is $rv && $rv->{reviewer}{full_name}, 'Deleted user', '… by a deleted user';
    ($s, $d) = api(GET => "/api/users/$gone->{id}/rating");
    is $s, 200, 'the erased user\'s rating still answers';
    ($s, $d) = api(GET => '/api/conversations', token => $poster->{token});
    is $s, 200, 'the poster\'s conversation list renders';
};

done_testing;
