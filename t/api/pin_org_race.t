# Races behind the organization locks, made deterministic by t/lib/Race.pm: two owners
# demoting each other at once leave one owner (st_org_role_lock, the organization row);
# two accepts of one invitation, and an accept queued behind its revocation, see the first
# one's result (st_inv_lock, the invitation row).
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdOrg;
use Race;

sub call { my ($m, $path, $u, $json) = @_; return sub { my ($s, $d) = api($m => $path, token => $u->{token}, defined $json ? (json => $json) : ()); return { s => $s, d => $d } } }
sub owners { my ($org) = @_; return (psql_row("SELECT count(*) FROM organization_members WHERE organization_id = '$org->{id}' AND role = 'owner'"))[0] }

subtest 'two owners demoting each other at once: one owner remains' => sub {
    my ($a, $b) = (new_user(), new_user());
    my $org = new_org($a);
    add_member($a, $org, $b, 'owner');
    is owners($org), 2, 'two owners';
    # Each demotion stops at its target's member row; the organization lock must have
    # queued the second before it read its own role and the owner count.
    my @r = race("SELECT 1 FROM organization_members WHERE organization_id = '$org->{id}' FOR SHARE",
                 call(PUT => "/api/organizations/$org->{id}/members/$b->{id}", $a, { role => 'admin' }),
                 call(PUT => "/api/organizations/$org->{id}/members/$a->{id}", $b, { role => 'admin' }));
    is $r[0]{s}, 200, 'the first demotion 200';
    ok $r[1]{s} == 403 || $r[1]{s} == 409, "the second refused ($r[1]{s})";
    is owners($org), 1, 'one owner left';
};

subtest 'two accepts of one invitation: one 200, one 410' => sub {
    my ($a, $b) = (new_user(), new_user());
    my $org = new_org($a);
    my ($s, $d) = invite($a, $org, $b->{email}, 'admin');
    is $s, 201, 'invited';
    my $token = invite_token($b->{email});
    my @r = race("SELECT 1 FROM organization_invitations WHERE id = '$d->{data}{id}' FOR SHARE",
                 map { call(POST => "/api/invitations/$token/accept", $b) } 1 .. 2);
    is_deeply [map { $_->{s} } @r], [200, 410], 'the second sees the invitation used';
};

subtest 'accept queued behind the revocation: 410, not a member' => sub {
    my ($a, $b) = (new_user(), new_user());
    my $org = new_org($a);
    my ($s, $d) = invite($a, $org, $b->{email}, 'member');
    is $s, 201, 'invited';
    my $inv = $d->{data}{id};
    my $token = invite_token($b->{email});
    my @r = race("SELECT 1 FROM organization_invitations WHERE id = '$inv' FOR SHARE",
                 call(DELETE => "/api/organizations/$org->{id}/invitations/$inv", $a),
                 call(POST => "/api/invitations/$token/accept", $b));
    is $r[0]{s}, 200, 'revoked';
    is $r[1]{s}, 410, 'the accept behind it 410';
    my ($m) = psql_row("SELECT count(*) FROM organization_members WHERE organization_id = '$org->{id}' AND user_id = '$b->{id}'");
    is $m, 0, 'not a member';
};

done_testing;
