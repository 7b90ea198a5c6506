# Organizations: create (slug rules and collisions), list mine, read, update, delete;
# members and roles with the last-owner rules; who may do what (404 for outsiders,
# 403 below the needed role).
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
my $org;

subtest 'create' => sub {
    ($s) = api(POST => '/api/organizations', json => { name => 'Acme' });
    is $s, 401, 'needs auth';
    my $slug = rand_name('acme');
    ($s, $d) = api(POST => '/api/organizations', token => $owner->{token},
                   json => { name => 'Acme Hiring', slug => $slug, description => 'We build things',
                             website => 'https://acme.test', logo_url => 'https://acme.test/logo.png' });
    is $s, 201, 'create 201';
    $org = $d->{data};
    is $org->{slug}, $slug, 'slug kept';
    is $org->{role}, 'owner', 'creator is owner';
    is $org->{members_count}, 1, 'one member';
    is $org->{website}, 'https://acme.test', 'website';
    ($s, $d) = api(POST => '/api/organizations', token => $member->{token}, json => { name => 'Other', slug => $slug });
    is $s, 409, 'slug taken → 409';
    is $d->{code}, 'CONFLICT', 'CONFLICT';
    my $name = 'Big  Co. ' . rand_name('n') . '!';
    ($s, $d) = api(POST => '/api/organizations', token => $member->{token}, json => { name => $name });
    is $s, 201, 'slug derived';
    (my $want = lc $name) =~ s/[^a-z0-9]+/-/g;
    $want =~ s/^-+|-+$//g;
    is $d->{data}{slug}, $want, "slug from the name ($want)";
    ($s, $d) = api(POST => '/api/organizations', token => $outsider->{token}, json => { name => $name });
    is $s, 409, 'derived slug taken → 409';
    for my $case (
        [{}, 'name', 'required'],
        [{ name => '' }, 'name', 'required'],
        [{ name => 'x' x 101 }, 'name', 'at most 100'],
        [{ name => 'A', slug => 'Upper' }, 'slug', 'lowercase'],
        [{ name => 'A', slug => 'a--b' }, 'slug', 'lowercase'],
        [{ name => 'A', slug => '-ab' }, 'slug', 'lowercase'],
        [{ name => 'A', slug => 'a' }, 'slug', 'lowercase'],
        [{ name => 'A', slug => 'a_b' }, 'slug', 'lowercase'],
        [{ name => 'A', slug => 'x' x 51 }, 'slug', 'at most'],
        [{ name => '!!!' }, 'slug', 'required'],
        [{ name => 'A', website => 'ftp://x' }, 'website', 'http'],
        [{ name => 'A', logo_url => 'nope' }, 'logo_url', 'http'],
        [{ name => 'A', description => 'x' x 5001 }, 'description', 'at most'],
        [{ name => 5 }, 'name', 'string'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(POST => '/api/organizations', token => $outsider->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
    }
    ($s, $d) = api(POST => '/api/organizations', token => $outsider->{token}, body => '{"name":',
                   headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON → 400';
    ($s, $d) = api(POST => '/api/organizations', token => $outsider->{token},
                   json => { name => 'Big', description => 'x' x (1024 * 1024 + 10) });
    is $s, 413, 'too large → 413';
};

add_member($owner, $org, $admin, 'admin');
add_member($owner, $org, $member, 'member');

subtest 'list and read' => sub {
    ($s) = api(GET => '/api/organizations');
    is $s, 401, 'list needs auth';
    ($s, $d) = api(GET => '/api/organizations', token => $admin->{token});
    is $s, 200, 'list 200';
    is $d->{data}{total}, 1, 'one organization';
    is $d->{data}{data}[0]{id}, $org->{id}, 'mine';
    is $d->{data}{data}[0]{role}, 'admin', 'with my role';
    ($s, $d) = api(GET => '/api/organizations?limit=0', token => $admin->{token});
    is $s, 400, 'bad limit 400';
    ($s, $d) = api(GET => "/api/organizations/$org->{id}", token => $member->{token});
    is $s, 200, 'member reads';
    is $d->{data}{role}, 'member', 'role member';
    is $d->{data}{members_count}, 3, 'three members';
    ($s, $d) = api(GET => "/api/organizations/$org->{id}", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ok !exists $d->{data}, 'no data for outsiders';
    ($s) = api(GET => "/api/organizations/$org->{id}");
    is $s, 401, 'read needs auth';
    ($s) = api(GET => '/api/organizations/not-a-uuid', token => $owner->{token});
    is $s, 404, 'malformed id 404';
};

subtest 'update' => sub {
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $admin->{token},
                   json => { description => 'Now hiring', website => undef });
    is $s, 200, 'admin updates';
    is $d->{data}{description}, 'Now hiring', 'description';
    is $d->{data}{website}, undef, 'website cleared';
    is $d->{data}{name}, 'Acme Hiring', 'name unchanged';
    is $d->{data}{role}, 'admin', 'role rendered';
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $member->{token}, json => { name => 'X' });
    is $s, 403, 'member → 403';
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $outsider->{token}, json => { name => 'X' });
    is $s, 404, 'outsider → 404';
    ($s) = api(PATCH => "/api/organizations/$org->{id}", json => { name => 'X' });
    is $s, 401, 'needs auth';
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $admin->{token}, json => { name => undef });
    is $s, 400, 'null name → 400';
    ok $d->{fields}{name}, 'names name';
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $admin->{token}, json => { slug => 'Bad Slug' });
    is $s, 400, 'bad slug → 400';
    my $other = new_org($outsider);
    ($s, $d) = api(PATCH => "/api/organizations/$org->{id}", token => $admin->{token}, json => { slug => $other->{slug} });
    is $s, 409, 'slug of another organization → 409';
};

subtest 'members and roles' => sub {
    ($s, $d) = api(GET => "/api/organizations/$org->{id}/members", token => $member->{token});
    is $s, 200, 'member lists members';
    is $d->{data}{total}, 3, 'three';
    is $d->{data}{data}[0]{role}, 'owner', 'owners first';
    is $d->{data}{data}[0]{user}{username}, $owner->{username}, 'with public profile';
    unlike encode_json_str($d), qr/\@example\.test/, 'no emails in the member list';
    ($s) = api(GET => "/api/organizations/$org->{id}/members", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(GET => "/api/organizations/$org->{id}/members");
    is $s, 401, 'needs auth';

    my $url = "/api/organizations/$org->{id}/members";
    ($s) = api(PUT => "$url/$admin->{id}", token => $member->{token}, json => { role => 'member' });
    is $s, 403, 'member cannot change roles';
    ($s) = api(PUT => "$url/$member->{id}", token => $outsider->{token}, json => { role => 'admin' });
    is $s, 404, 'outsider 404';
    ($s) = api(PUT => "$url/$member->{id}", json => { role => 'admin' });
    is $s, 401, 'needs auth';
    ($s, $d) = api(PUT => "$url/$member->{id}", token => $admin->{token}, json => { role => 'boss' });
    is $s, 400, 'bad role 400';
    ok $d->{fields}{role}, 'names role';
    ($s, $d) = api(PUT => "$url/$member->{id}", token => $admin->{token}, json => {});
    is $s, 400, 'role required';
    ($s) = api(PUT => "$url/$outsider->{id}", token => $admin->{token}, json => { role => 'admin' });
    is $s, 404, 'not a member → 404';
    ($s, $d) = api(PUT => "$url/$member->{id}", token => $admin->{token}, json => { role => 'owner' });
    is $s, 403, 'admin cannot make an owner';
    ($s, $d) = api(PUT => "$url/$owner->{id}", token => $admin->{token}, json => { role => 'member' });
    is $s, 403, 'admin cannot unmake an owner';
    ($s, $d) = api(PUT => "$url/$member->{id}", token => $admin->{token}, json => { role => 'admin' });
    is $s, 200, 'admin promotes a member';
    is $d->{data}{role}, 'admin', 'now admin';
    ($s, $d) = api(PUT => "$url/$member->{id}", token => $admin->{token}, json => { role => 'member' });
    is $d->{data}{role}, 'member', 'and back';

    ($s, $d) = api(PUT => "$url/$owner->{id}", token => $owner->{token}, json => { role => 'admin' });
    is $s, 409, 'the last owner cannot be demoted';
    ($s, $d) = api(DELETE => "$url/me", token => $owner->{token});
    is $s, 409, 'the last owner cannot leave';
    ($s, $d) = api(DELETE => "$url/$owner->{id}", token => $owner->{token});
    is $s, 409, 'the last owner cannot remove themselves';
    my ($n) = psql_row("SELECT count(*) FROM organization_members WHERE organization_id = '$org->{id}' AND role = 'owner'");
    is $n, 1, 'still one owner';

    ($s, $d) = api(PUT => "$url/$admin->{id}", token => $owner->{token}, json => { role => 'owner' });
    is $s, 200, 'owner makes an owner';
    ($s, $d) = api(PUT => "$url/$owner->{id}", token => $admin->{token}, json => { role => 'admin' });
    is $s, 200, 'a second owner can demote the first';
    ($s, $d) = api(PUT => "$url/$admin->{id}", token => $owner->{token}, json => { role => 'member' });
    is $s, 403, 'now an admin, cannot unmake the owner';
    ($s, $d) = api(PUT => "$url/$owner->{id}", token => $admin->{token}, json => { role => 'owner' });
    is $s, 200, 'restored';

    # Two owners demote each other at once: the organization's row lock lets one win.
    my @res = parallel(2, sub {
        my ($i) = @_;
        my ($who, $target) = $i ? ($owner, $admin) : ($admin, $owner);
        my ($st) = api(PUT => "$url/$target->{id}", token => $who->{token}, json => { role => 'member' });
        return $st;
    });
    @res = sort @res;
    is $res[0], 200, 'one demotion wins';
    like $res[1], qr/^40[39]$/, 'the other is refused (demoted first, or the last owner)';
    ($n) = psql_row("SELECT count(*) FROM organization_members WHERE organization_id = '$org->{id}' AND role = 'owner'");
    is $n, 1, 'exactly one owner left';
    my ($left_owner) = psql_row("SELECT user_id FROM organization_members WHERE organization_id = '$org->{id}' AND role = 'owner'");
    my ($boss, $other) = $left_owner eq $owner->{id} ? ($owner, $admin) : ($admin, $owner);
    api(PUT => "$url/$other->{id}", token => $boss->{token}, json => { role => 'admin' });
    ($owner, $admin) = ($boss, $other);

    my $temp = new_user();
    add_member($owner, $org, $temp, 'member');
    ($s) = api(DELETE => "$url/$temp->{id}", token => $member->{token});
    is $s, 403, 'member cannot remove others';
    ($s) = api(DELETE => "$url/$temp->{id}", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(DELETE => "$url/$temp->{id}");
    is $s, 401, 'needs auth';
    ($s) = api(DELETE => "$url/$owner->{id}", token => $admin->{token});
    is $s, 403, 'admin cannot remove an owner';
    ($s) = api(DELETE => "$url/$temp->{id}", token => $admin->{token});
    is $s, 200, 'admin removes a member';
    ($s) = api(GET => "/api/organizations/$org->{id}", token => $temp->{token});
    is $s, 404, 'removed member sees nothing';
    ($s) = api(DELETE => "$url/$temp->{id}", token => $admin->{token});
    is $s, 404, 'twice → 404';
    my $leaver = new_user();
    add_member($owner, $org, $leaver, 'member');
    ($s) = api(DELETE => "$url/me", token => $leaver->{token});
    is $s, 200, 'a member leaves';
    ($s) = api(DELETE => "$url/me", token => $leaver->{token});
    is $s, 404, 'then is not a member';
    ($s) = api(DELETE => "$url/me");
    is $s, 401, 'leave needs auth';
};

subtest 'delete' => sub {
    ($s) = api(DELETE => "/api/organizations/$org->{id}", token => $admin->{token});
    is $s, 403, 'admin cannot delete';
    ($s) = api(DELETE => "/api/organizations/$org->{id}", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(DELETE => "/api/organizations/$org->{id}");
    is $s, 401, 'needs auth';
    ($s) = api(DELETE => "/api/organizations/$org->{id}", token => $owner->{token});
    is $s, 200, 'owner deletes';
    ($s) = api(GET => "/api/organizations/$org->{id}", token => $owner->{token});
    is $s, 404, 'gone';
    ($s) = api(DELETE => "/api/organizations/$org->{id}", token => $owner->{token});
    is $s, 404, 'twice → 404';
    ($s, $d) = api(GET => '/api/organizations', token => $member->{token});
    ok !grep({ $_->{id} eq $org->{id} } @{ $d->{data}{data} }), 'not listed';
    ($s, $d) = api(POST => '/api/organizations', token => $outsider->{token}, json => { name => 'Reuse', slug => $org->{slug} });
    is $s, 201, 'a deleted organization gives its slug back';
};

sub encode_json_str { JSON::PP->new->canonical->encode($_[0]) }

done_testing;
