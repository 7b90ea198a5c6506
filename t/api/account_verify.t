# Email verification (issue 15, item 1), with the gate on as the test stack runs it
# (GIGD_REQUIRE_EMAIL_VERIFICATION=1, the default): the sign-up link (single use, 24 h,
# only its hash stored), verify, resend (rate limited), the EMAIL_NOT_VERIFIED gate on
# every posting, applying, messaging and paying route, and a change of address that
# takes effect only once the new address is verified and tells the old one.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d, $res);

# The newest mail to $email whose subject matches $subject (waits for the deliverer).
sub mail_to {
    my ($email, $subject, $after) = @_;
    return wait_for(sub {
        my @m = grep { $_->{raw} =~ /^Subject: $subject/m && grep { lc($_) eq lc $email } @{ $_->{to} } } mails();
        @m > ($after // 0) ? $m[-1] : undef }, 15);
}
sub token_in { my ($m) = @_; my ($t) = ($m->{raw} // '') =~ /^Verification token: ([A-Za-z0-9_-]{43})$/m; $t }
my $CONFIRM = 'Confirm your email address for gigd';

subtest 'sign-up mails a single-use link; only its hash is stored' => sub {
    my $u = new_user(unverified => 1);
    ($s, $d) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 200, 'an unverified account can sign in';
    ok exists $d->{data}{user}{email_verified_at}, 'the session user has email_verified_at';
    is $d->{data}{user}{email_verified_at}, undef, '… null until verified';
    my $m = mail_to($u->{email}, $CONFIRM);
    ok $m, 'the sign-up mail went out';
    my $tok = token_in($m);
    ok $tok, 'it carries a token';
    like $m->{raw}, qr{/verify-email\?token=\Q$tok\E}, '… in a link';
    my ($stored) = psql_row("SELECT encode(token_hash, 'hex') FROM email_verifications WHERE user_id = '$u->{id}'");
    ok $stored && length($stored) == 64 && $stored !~ /\Q$tok\E/, 'the token is stored only as a hash';
    my ($life) = psql_row("SELECT round(extract(epoch FROM expires_at - created_at) / 3600) FROM email_verifications WHERE user_id = '$u->{id}'");
    is $life, 24, 'valid 24 h';

    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => { bio => 'not verified yet' });
    is $s, 200, 'an unverified account can edit its profile';

    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 200, 'verify 200';
    like $d->{data}{email_verified_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'answers the user, now verified';
    is $d->{data}{id}, $u->{id}, '… that user';
    ($s, $d) = api(GET => '/api/auth/session', token => $u->{token});
    ok $d->{data}{user}{email_verified_at}, 'the session shows it';
    ($s, $d) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    ok $d->{data}{user}{email_verified_at}, 'signin shows it';
    ($s, $d) = api(POST => '/api/gigs', token => $u->{token}, json => GigdTest::gig());
    is $s, 201, 'and the account may now post a gig';

    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 400, 'the same token twice: 400';
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    like $d->{fields}{token} // '', qr/invalid or expired/, 'fields.token says why';
};

subtest 'an expired or unknown token is refused' => sub {
    my $u = new_user(unverified => 1);
    my $tok = token_in(mail_to($u->{email}, $CONFIRM));
    psql("UPDATE email_verifications SET expires_at = now() - interval '1 second' WHERE user_id = '$u->{id}'");
    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 400, 'expired: 400';
    ok $d->{fields}{token}, 'names token';
    my ($v) = psql_row("SELECT email_verified_at IS NULL FROM users WHERE id = '$u->{id}'");
    is $v, 't', 'still unverified';
    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => 'x' x 43 });
    is $s, 400, 'unknown: 400';
    ($s, $d) = api(POST => '/api/auth/verify-email', json => {});
    is $s, 400, 'missing token: 400';
    is $d->{fields}{token}, 'is required', 'fields.token is required';
    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => 12 });
    ok $s == 400 && $d->{fields}{token}, 'token not a string: 400 naming token';
    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => 'x' x 129 });
    ok $s == 400 && $d->{fields}{token}, 'over-long token: 400 naming token';
    ($s, $d) = api(POST => '/api/auth/verify-email', body => '{"token":', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
};

subtest 'an unverified account is refused on every gated route' => sub {
    my $u = new_user(unverified => 1);
    my $other = new_user();
    my $id = uuid_random();
    ($s, $d) = api(POST => '/api/organizations', token => $u->{token}, json => { name => 'Unverified Org ' . rand_name() });
    is $s, 201, 'creating an organization is not gated';
    my $org = $d->{data}{id};
    my @gated = (
        [POST => '/api/gigs', GigdTest::gig()],
        [POST => '/api/gigs/urgent', {}],
        [POST => "/api/organizations/$org/jobs", GigdTest::gig()],
        [POST => '/api/applications', { gig_id => $id, cover_letter => 'hello' }],
        [POST => "/api/gigs/$id/respond", { response => 'accepted' }],
        [POST => '/api/conversations', { participant_id => $other->{id} }],
        [POST => "/api/conversations/$id/messages", { content => 'hi' }],
        [POST => '/api/attachments', undef],
        [POST => '/api/calls', { participant_id => $other->{id} }],
        [POST => '/api/subscription/checkout', undef],
        [POST => "/api/gigs/$id/confirm-payment", undef],
    );
    for my $g (@gated) {
        my ($m, $p, $body) = @$g;
        ($s, $d) = api($m => $p, token => $u->{token}, defined $body ? (json => $body) : (body => 'x'));
        is $s, 403, "$m $p → 403";
        is $d->{code}, 'EMAIL_NOT_VERIFIED', '… EMAIL_NOT_VERIFIED';
    }
    my (undef, $doc) = api(GET => '/api/openapi.json');
    for my $g (@gated) {
        (my $p = $g->[1]) =~ s/\Q$id\E|\Q$org\E/{id}/g;
        like $doc->{paths}{$p}{lc $g->[0]}{responses}{403}{description} // '', qr/EMAIL_NOT_VERIFIED/,
             "OpenAPI documents the gate on $g->[0] $p";
    }
    ($s, $d) = api(POST => '/api/gigs', json => GigdTest::gig());
    is $s, 401, 'no session is still 401, not the gate';
    my ($n) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$u->{id}'");
    is $n, 0, 'nothing was posted';
    my ($fk) = psql_row("SELECT count(*) FROM conversations WHERE '$u->{id}' IN (user_a, user_b)");
    is $fk, 0, 'no conversation opened';

    ($s, $d) = api(POST => '/api/conversations', token => $other->{token}, json => { participant_id => $u->{id} });
    is $s, 201, 'a verified user may still write to the unverified one';
    ($s, $d) = api(POST => "/api/conversations/$d->{data}{id}/messages", token => $u->{token}, json => { content => 'hi' });
    is $d->{code}, 'EMAIL_NOT_VERIFIED', '… who cannot answer before verifying';
};

subtest 'resend: a new link, the old one retired, rate limited' => sub {
    my $u = new_user(unverified => 1);
    my $first = token_in(mail_to($u->{email}, $CONFIRM));
    ($s) = api(POST => '/api/auth/verify-email/resend');
    is $s, 401, 'without a session 401';
    ($s, $d) = api(POST => '/api/auth/verify-email/resend', token => $u->{token});
    is $s, 200, 'resend 200';
    is $d->{data}{pending_email}, $u->{email}, 'says where it went';
    my $m = mail_to($u->{email}, $CONFIRM, 1);
    ok $m, 'a second mail went out';
    my $second = token_in($m);
    isnt $second, $first, 'with a new token';
    ($s) = api(POST => '/api/auth/verify-email', json => { token => $first });
    is $s, 400, 'the earlier link no longer works';
    ($s) = api(POST => '/api/auth/verify-email/resend', token => $u->{token});
    is $s, 200, 'a second resend';
    ($s) = api(POST => '/api/auth/verify-email/resend', token => $u->{token});
    is $s, 200, 'a third';
    ($s, $d, $res) = api(POST => '/api/auth/verify-email/resend', token => $u->{token});
    is $s, 429, 'the fourth in the hour: 429';
    is $d->{code}, 'RATE_LIMITED', 'RATE_LIMITED';
    ok $res->{headers}{'retry-after'}, 'with Retry-After';
    my ($links) = psql_row("SELECT count(*) FROM email_verifications WHERE user_id = '$u->{id}'");
    is $links, 4, 'no link made for the refused one';

    my $v = new_user();
    ($s, $d) = api(POST => '/api/auth/verify-email/resend', token => $v->{token});
    is $s, 409, 'a verified account has nothing to resend: 409';
};

subtest 'change of address: verified before it takes effect, the old one told' => sub {
    my $u = new_user();
    my $new = rand_name('moved') . '@example.test';
    ($s) = api(PUT => '/api/auth/email', json => { email => $new, password => $u->{password} });
    is $s, 401, 'without a session 401';
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => $new, password => 'wrong password' });
    is $s, 400, 'wrong password 400';
    is $d->{fields}{password}, 'is incorrect', 'fields.password';
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => 'not-an-email', password => $u->{password} });
    ok $s == 400 && $d->{fields}{email}, 'invalid email 400 naming email';
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { password => $u->{password} });
    is $d->{fields}{email}, 'is required', 'missing email';
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => $new });
    is $d->{fields}{password}, 'is required', 'missing password';
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => uc $u->{email}, password => $u->{password} });
    ok $s == 400 && $d->{fields}{email}, 'the same address 400';
    my $taken = new_user();
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => $taken->{email}, password => $u->{password} });
    is $s, 409, "another account's address 409";
    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, body => '{"email":', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';

    ($s, $d) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => uc $new, password => $u->{password} });
    is $s, 200, 'change asked: 200';
    is $d->{data}{pending_email}, $new, 'pending_email, case-folded';
    ($s, $d) = api(GET => '/api/auth/session', token => $u->{token});
    is $d->{data}{user}{email}, $u->{email}, 'the address has not changed yet';
    ok mail_to($u->{email}, 'A change of your gigd email address'), 'the old address is told';
    my $tok = token_in(mail_to($new, $CONFIRM));
    ok $tok, 'the new address gets the link';
    ($s) = api(POST => '/api/auth/signin', json => { email => $new, password => $u->{password} });
    is $s, 401, 'the new address does not sign in before it is verified';

    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 200, 'verified';
    is $d->{data}{email}, $new, 'the address is now the new one';
    ok $d->{data}{email_verified_at}, '… verified';
    ok mail_to($u->{email}, 'Your gigd email address was changed'), 'the old address is told it changed';
    ($s) = api(POST => '/api/auth/signin', json => { email => $new, password => $u->{password} });
    is $s, 200, 'signs in with the new address';
    ($s) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    is $s, 401, 'not with the old one';
    ($s) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 400, 'the link is single use';
};

subtest 'a change of address to one taken meanwhile is refused when verified' => sub {
    my $u = new_user();
    my $new = rand_name('race') . '@example.test';
    ($s) = api(PUT => '/api/auth/email', token => $u->{token}, json => { email => $new, password => $u->{password} });
    is $s, 200, 'change asked';
    my $tok = token_in(mail_to($new, $CONFIRM));
    my $squatter = new_user(email => $new);
    ($s, $d) = api(POST => '/api/auth/verify-email', json => { token => $tok });
    is $s, 409, 'the address went to another account meanwhile: 409';
    my ($email) = psql_row("SELECT email FROM users WHERE id = '$u->{id}'");
    is $email, $u->{email}, 'the address stays as it was';
};

done_testing;

package GigdTest;
sub gig {
    return { title => 'Verified posting only', description => 'A gig that needs a verified poster to exist.',
             category => 'development', budget_type => 'fixed', budget_min => 100, budget_max => 200,
             location_type => 'remote', skills_required => ['c'] };
}
