# Invitations: create (admin+, mailed through the outbox, token stored only as a hash),
# list pending, revoke, re-invite replaces, accept (email must match, expired/used/revoked
# → 410), two concurrent accepts → one membership.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdOrg;

my ($s, $d);
my $owner = new_user();
my $admin = new_user();
my $member = new_user();
my $outsider = new_user();
my $org = new_org($owner);
add_member($owner, $org, $admin, 'admin');
add_member($owner, $org, $member, 'member');
my $url = "/api/organizations/$org->{id}/invitations";

subtest 'create' => sub {
    my $ann = new_user();
    ($s) = api(POST => $url, json => { email => $ann->{email} });
    is $s, 401, 'needs auth';
    ($s) = invite($member, $org, $ann->{email});
    is $s, 403, 'member → 403';
    ($s, $d) = invite($outsider, $org, $ann->{email});
    is $s, 404, 'outsider → 404';
    ok !exists $d->{data}, 'no data';
    ($s) = invite($admin, $org, $ann->{email}, 'owner');
    is $s, 403, 'admin cannot invite an owner';
    ($s, $d) = invite($admin, $org, uc $ann->{email}, 'admin');
    is $s, 201, 'admin invites';
    is $d->{data}{email}, lc $ann->{email}, 'email lowercased';
    is $d->{data}{role}, 'admin', 'role';
    ok !exists $d->{data}{token}, 'the token is not in the answer';
    my $token = invite_token($ann->{email});
    ok $token && length($token) >= 40, 'the mail carries a token';
    my ($link) = psql_row("SELECT body LIKE '%/invitations/$token%' FROM mail_outbox WHERE to_addr = '$ann->{email}' ORDER BY id DESC LIMIT 1");
    is $link, 't', 'and a link';
    my ($stored) = psql_row("SELECT count(*) FROM organization_invitations WHERE token_hash::text LIKE '%$token%'"
                            . " OR encode(token_hash, 'escape') = '$token'");
    is $stored, 0, 'the token itself is not stored';
    my ($days) = psql_row("SELECT round(extract(epoch FROM expires_at - created_at) / 86400) FROM organization_invitations WHERE id = '$d->{data}{id}'");
    is $days, 7, 'valid 7 days';
    ($s) = invite($admin, $org, $member->{email});
    is $s, 409, 'an existing member → 409';
    for my $case ([{}, 'email', 'required'], [{ email => 'nope' }, 'email', 'email'],
                  [{ email => 'a@b.test', role => 'boss' }, 'role', 'one of']) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(POST => $url, token => $admin->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field";
    }
    ($s) = api(POST => $url, token => $admin->{token}, body => '{', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON';

    # Re-inviting replaces the pending invitation: the old token no longer works.
    ($s, $d) = invite($owner, $org, $ann->{email}, 'member');
    is $s, 201, 're-invite';
    my $token2 = invite_token($ann->{email});
    isnt $token2, $token, 'a new token';
    ($s, $d) = api(GET => $url, token => $admin->{token});
    is scalar(grep { $_->{email} eq lc $ann->{email} } @{ $d->{data}{data} }), 1, 'one pending invitation for the email';
    ($s) = api(POST => "/api/invitations/$token/accept", token => $ann->{token});
    is $s, 410, 'the replaced token → 410';
    ($s, $d) = api(POST => "/api/invitations/$token2/accept", token => $ann->{token});
    is $s, 200, 'the new one works';
    is $d->{data}{role}, 'member', 'with the new role';
    is $d->{data}{id}, $org->{id}, 'the organization';
};

subtest 'list and revoke' => sub {
    my $bob = new_user();
    ($s, $d) = invite($admin, $org, $bob->{email});
    my $inv = $d->{data};
    ($s) = api(GET => $url);
    is $s, 401, 'list needs auth';
    ($s) = api(GET => $url, token => $member->{token});
    is $s, 403, 'member → 403';
    ($s) = api(GET => $url, token => $outsider->{token});
    is $s, 404, 'outsider → 404';
    ($s, $d) = api(GET => $url, token => $admin->{token});
    is $s, 200, 'admin lists';
    ok grep({ $_->{id} eq $inv->{id} } @{ $d->{data}{data} }), 'pending listed';
    ok defined $d->{data}{total}, 'paginated';
    ($s) = api(DELETE => "$url/$inv->{id}", token => $member->{token});
    is $s, 403, 'member cannot revoke';
    ($s) = api(DELETE => "$url/$inv->{id}", token => $outsider->{token});
    is $s, 404, 'outsider cannot revoke';
    ($s) = api(DELETE => "$url/$inv->{id}");
    is $s, 401, 'revoke needs auth';
    ($s) = api(DELETE => "$url/$inv->{id}", token => $admin->{token});
    is $s, 200, 'admin revokes';
    ($s) = api(DELETE => "$url/$inv->{id}", token => $admin->{token});
    is $s, 404, 'twice → 404';
    ($s, $d) = api(GET => $url, token => $admin->{token});
    ok !grep({ $_->{id} eq $inv->{id} } @{ $d->{data}{data} }), 'no longer listed';
    my $token = invite_token($bob->{email});
    ($s, $d) = api(POST => "/api/invitations/$token/accept", token => $bob->{token});
    is $s, 410, 'revoked → 410';
    is $d->{code}, 'GONE', 'GONE';
};

subtest 'accept' => sub {
    my $cat = new_user();
    invite($admin, $org, $cat->{email});
    my $token = invite_token($cat->{email});
    ($s) = api(POST => "/api/invitations/$token/accept");
    is $s, 401, 'needs auth';
    ($s, $d) = api(POST => "/api/invitations/$token/accept", token => $outsider->{token});
    is $s, 403, 'another email → 403';
    ($s) = api(GET => "/api/organizations/$org->{id}", token => $outsider->{token});
    is $s, 404, 'and they did not join';
    ($s) = api(POST => '/api/invitations/not-a-real-token/accept', token => $cat->{token});
    is $s, 404, 'unknown token → 404';
    ($s, $d) = api(POST => "/api/invitations/$token/accept", token => $cat->{token});
    is $s, 200, 'accepted';
    is $d->{data}{role}, 'member', 'member';
    ($s, $d) = api(POST => "/api/invitations/$token/accept", token => $cat->{token});
    is $s, 410, 'reuse → 410';

    # Expiry with a fixed clock: the row is back-dated past its 7 days.
    my $dan = new_user();
    ($s, $d) = invite($admin, $org, $dan->{email});
    my $tok = invite_token($dan->{email});
    psql("UPDATE organization_invitations SET created_at = now() - interval '8 days',"
         . " expires_at = now() - interval '1 day' WHERE id = '$d->{data}{id}'");
    ($s, $d) = api(POST => "/api/invitations/$tok/accept", token => $dan->{token});
    is $s, 410, 'expired → 410';
    like $d->{error}, qr/expired/i, 'says expired';
    ($s) = api(GET => "/api/organizations/$org->{id}", token => $dan->{token});
    is $s, 404, 'not joined';
    ($s, $d) = api(GET => $url, token => $admin->{token});
    ok !grep({ $_->{email} eq lc $dan->{email} } @{ $d->{data}{data} }), 'expired not listed as pending';
};

subtest 'concurrent accepts' => sub {
    for my $round (1 .. 3) {
        my $eve = new_user();
        invite($owner, $org, $eve->{email}, 'admin');
        my $token = invite_token($eve->{email});
        my @st = parallel(4, sub {
            my ($st) = api(POST => "/api/invitations/$token/accept", token => $eve->{token});
            return $st;
        });
        is_deeply [sort @st], [200, 410, 410, 410], "round $round: one accept wins, the others 410";
        my ($n) = psql_row("SELECT count(*) FROM organization_members WHERE organization_id = '$org->{id}' AND user_id = '$eve->{id}'");
        is $n, 1, 'one membership';
        my ($used) = psql_row("SELECT count(*) FROM organization_invitations WHERE organization_id = '$org->{id}'"
                              . " AND email = '$eve->{email}' AND accepted_at IS NOT NULL");
        is $used, 1, 'accepted once';
    }
};

subtest 'deleted organization' => sub {
    my $o2 = new_org($owner);
    my $fay = new_user();
    invite($owner, $o2, $fay->{email});
    my $token = invite_token($fay->{email});
    api(DELETE => "/api/organizations/$o2->{id}", token => $owner->{token});
    ($s) = api(POST => "/api/invitations/$token/accept", token => $fay->{token});
    is $s, 410, 'the invitation of a deleted organization → 410';
};

done_testing;
