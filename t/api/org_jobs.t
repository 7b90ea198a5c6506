# Organization jobs: categories (admin+), jobs as gigs managed by any member (marketplace
# validation, transitions, quota of the owner's plan), visible in GET /api/gigs with the
# organization embedded, applicants and their status changes by members, notifications
# to members, the public job board (nothing private), deleting an organization closes
# its jobs and notifies each applicant once.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use GigdMarket;
use GigdOrg;

my ($s, $d);
my $owner = new_user();
my $admin = new_user();
my $member = new_user();
my $outsider = new_user();
my $org = new_org($owner, description => 'We hire');
add_member($owner, $org, $admin, 'admin');
add_member($owner, $org, $member, 'member');
my $base = "/api/organizations/$org->{id}";
my ($cat, $job, $draft);

subtest 'categories' => sub {
    ($s) = api(POST => "$base/categories", json => { name => 'Design' });
    is $s, 401, 'needs auth';
    ($s) = api(POST => "$base/categories", token => $member->{token}, json => { name => 'Design' });
    is $s, 403, 'member cannot create';
    ($s) = api(POST => "$base/categories", token => $outsider->{token}, json => { name => 'Design' });
    is $s, 404, 'outsider 404';
    ($s, $d) = api(POST => "$base/categories", token => $admin->{token}, json => { name => 'Design' });
    is $s, 201, 'admin creates';
    $cat = $d->{data};
    is $cat->{name}, 'Design', 'name';
    ($s, $d) = api(POST => "$base/categories", token => $admin->{token}, json => { name => 'design' });
    is $s, 409, 'same name (any case) → 409';
    ($s, $d) = api(POST => "$base/categories", token => $admin->{token}, json => { name => '' });
    is $s, 400, 'empty name 400';
    ok $d->{fields}{name}, 'names name';
    ($s, $d) = api(POST => "$base/categories", token => $admin->{token}, json => { name => 'x' x 101 });
    is $s, 400, 'long name 400';
    my $other = new_org($outsider);
    ($s) = api(POST => "/api/organizations/$other->{id}/categories", token => $outsider->{token}, json => { name => 'Design' });
    is $s, 201, 'the same name in another organization';
    ($s, $d) = api(GET => "$base/categories", token => $member->{token});
    is $s, 200, 'member lists';
    is $d->{data}{total}, 1, 'one';
    ($s) = api(GET => "$base/categories", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(GET => "$base/categories");
    is $s, 401, 'list needs auth';
    ($s, $d) = api(PATCH => "$base/categories/$cat->{id}", token => $admin->{token}, json => { name => 'Product design' });
    is $s, 200, 'rename';
    is $d->{data}{name}, 'Product design', 'renamed';
    ($s) = api(PATCH => "$base/categories/$cat->{id}", token => $member->{token}, json => { name => 'X' });
    is $s, 403, 'member cannot rename';
    ($s) = api(PATCH => "$base/categories/$cat->{id}", token => $outsider->{token}, json => { name => 'X' });
    is $s, 404, 'outsider cannot rename';
    ($s) = api(PATCH => "$base/categories/" . uuid_random(), token => $admin->{token}, json => { name => 'X' });
    is $s, 404, 'unknown category 404';
    ($s) = api(PATCH => "$base/categories/$cat->{id}", json => { name => 'X' });
    is $s, 401, 'rename needs auth';
};

subtest 'jobs' => sub {
    ($s) = api(POST => "$base/jobs", json => gig_input());
    is $s, 401, 'needs auth';
    ($s, $d) = api(POST => "$base/jobs", token => $outsider->{token}, json => gig_input());
    is $s, 404, 'outsider 404';
    ($s, $d) = api(POST => "$base/jobs", token => $member->{token},
                   json => gig_input(title => 'Senior designer wanted', category_id => $cat->{id}));
    is $s, 201, 'a member posts a job';
    $job = $d->{data};
    is $job->{organization_id}, $org->{id}, 'organization_id';
    is $job->{category_id}, $cat->{id}, 'category_id';
    is $job->{organization}{slug}, $org->{slug}, 'organization embedded';
    is $job->{poster}, undef, 'no personal poster';
    is $job->{status}, 'active', 'active';
    ($s, $d) = api(POST => "$base/jobs", token => $member->{token}, json => gig_input(title => ''));
    is $s, 400, 'marketplace validation';
    ok $d->{fields}{title}, 'names title';
    ($s, $d) = api(POST => "$base/jobs", token => $member->{token}, json => gig_input(category_id => 'nope'));
    is $s, 400, 'bad category_id';
    ok $d->{fields}{category_id}, 'names category_id';
    my ($ocat) = psql_row("SELECT id FROM job_categories WHERE organization_id <> '$org->{id}' LIMIT 1");
    ($s, $d) = api(POST => "$base/jobs", token => $member->{token}, json => gig_input(category_id => $ocat));
    is $s, 400, "another organization's category → 400";
    like $d->{fields}{category_id} // '', qr/category of this organization/, 'names category_id';
    ($s, $d) = api(POST => "$base/jobs", token => $admin->{token}, json => gig_input(title => 'Draft job', status => 'draft'));
    $draft = $d->{data};
    is $draft->{status}, 'draft', 'a draft';

    ($s, $d) = api(GET => "$base/jobs", token => $owner->{token});
    is $s, 200, 'list';
    is $d->{data}{total}, 2, 'both, drafts too';
    ($s, $d) = api(GET => "$base/jobs?status=draft", token => $owner->{token});
    is $d->{data}{total}, 1, 'status filter';
    ($s, $d) = api(GET => "$base/jobs?category_id=$cat->{id}", token => $owner->{token});
    is $d->{data}{total}, 1, 'category filter';
    ($s, $d) = api(GET => "$base/jobs?status=bogus&category_id=x", token => $owner->{token});
    is $s, 400, 'bad filters';
    ok $d->{fields}{status} && $d->{fields}{category_id}, 'both named';
    ($s) = api(GET => "$base/jobs", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(GET => "$base/jobs");
    is $s, 401, 'needs auth';

    ($s, $d) = api(GET => "$base/jobs/$draft->{id}", token => $member->{token});
    is $s, 200, 'member reads a draft';
    ($s) = api(GET => "$base/jobs/$draft->{id}", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(GET => "/api/gigs/$draft->{id}", token => $outsider->{token});
    is $s, 404, 'the draft is not public';
    ($s) = api(GET => "/api/gigs/$draft->{id}", token => $member->{token});
    is $s, 200, 'a member sees the draft through /api/gigs too';
    my $personal = new_gig($owner);
    ($s) = api(GET => "$base/jobs/$personal->{id}", token => $owner->{token});
    is $s, 404, "a gig not of this organization → 404";

    ($s, $d) = api(PATCH => "$base/jobs/$job->{id}", token => $admin->{token}, json => { title => 'Lead designer', category_id => undef });
    is $s, 200, 'another member edits';
    is $d->{data}{title}, 'Lead designer', 'title';
    is $d->{data}{category_id}, undef, 'uncategorised';
    ($s, $d) = api(PATCH => "$base/jobs/$job->{id}", token => $member->{token}, json => { category_id => $cat->{id}, budget_min => 500, budget_max => 100 });
    is $s, 400, 'budget range checked';
    ($s) = api(PATCH => "$base/jobs/$job->{id}", token => $outsider->{token}, json => { title => 'x' });
    is $s, 404, 'outsider 404';
    ($s) = api(PATCH => "/api/gigs/$job->{id}", token => $outsider->{token}, json => { title => 'x' });
    is $s, 404, 'not through /api/gigs either';
    ($s, $d) = api(PATCH => "$base/jobs/$job->{id}", token => $member->{token}, json => { category_id => $cat->{id} });
    is $d->{data}{category_id}, $cat->{id}, 'categorised again';

    ($s, $d) = api(PUT => "$base/jobs/$draft->{id}/status", token => $member->{token}, json => { status => 'filled' });
    is $s, 400, 'marketplace transitions (draft → filled refused)';
    ($s, $d) = api(PUT => "$base/jobs/$draft->{id}/status", token => $owner->{token}, json => { status => 'active' });
    is $s, 200, 'published';
    is $d->{data}{status}, 'active', 'active';
    ($s, $d) = api(PUT => "$base/jobs/$draft->{id}/status", token => $owner->{token}, json => { status => 'nope' });
    is $s, 400, 'bad status';
    ($s) = api(PUT => "$base/jobs/$draft->{id}/status", token => $outsider->{token}, json => { status => 'paused' });
    is $s, 404, 'outsider 404';
    ($s) = api(PUT => "$base/jobs/$draft->{id}/status", json => { status => 'paused' });
    is $s, 401, 'needs auth';

    # Deleting the category leaves its jobs uncategorised.
    ($s) = api(DELETE => "$base/categories/$cat->{id}", token => $member->{token});
    is $s, 403, 'member cannot delete a category';
    ($s) = api(DELETE => "$base/categories/$cat->{id}", token => $outsider->{token});
    is $s, 404, 'outsider cannot';
    ($s) = api(DELETE => "$base/categories/$cat->{id}", token => $admin->{token});
    is $s, 200, 'admin deletes';
    ($s, $d) = api(GET => "$base/jobs/$job->{id}", token => $member->{token});
    is $d->{data}{category_id}, undef, 'job uncategorised';
    is $d->{data}{status}, 'active', 'and still there';
};

subtest 'search' => sub {
    ($s, $d) = api(GET => '/api/gigs?search=' . 'designer&limit=100');
    my ($hit) = grep { $_->{id} eq $job->{id} } @{ $d->{data}{data} };
    ok $hit, 'the job is found by GET /api/gigs';
    is $hit->{organization}{id}, $org->{id}, 'with its organization';
    is $hit->{organization}{name}, $org->{name}, 'its name';
    is $hit->{poster}, undef, 'no personal poster';
    unlike encode_json($d), qr/\Q$member->{id}\E/, 'nothing names the member who posted it';
};

subtest 'applicants and notifications' => sub {
    my $ann = new_user();
    my $ben = new_user();
    ($s) = apply_to($member, $job->{id});
    is $s, 403, 'a member cannot apply to their own organization\'s job';
    ($s, $d) = apply_to($ann, $job->{id});
    is $s, 201, 'someone applies';
    my $app = $d->{data};
    apply_to($ben, $job->{id});
    for my $u ($owner, $admin, $member) {
        my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$u->{id}' AND type = 'new_application'"
                           . " AND data->>'gig_id' = '$job->{id}'");
        is $n, 2, 'each member notified of each application';
    }
    ($s, $d) = api(GET => "$base/jobs/$job->{id}/applicants", token => $member->{token});
    is $s, 200, 'member lists applicants';
    is scalar @{ $d->{data} }, 2, 'two';
    ok $d->{data}[0]{applicant}{username}, 'with the public profile';
    unlike encode_json($d), qr/\@example\.test/, 'no emails';
    ($s, $d) = api(GET => "$base/jobs/$job->{id}/applicants?status=accepted", token => $member->{token});
    is_deeply $d->{data}, [], 'status filter';
    ($s, $d) = api(GET => "$base/jobs/$job->{id}/applicants?status=bogus", token => $member->{token});
    is $s, 400, 'bad filter';
    ($s) = api(GET => "$base/jobs/$job->{id}/applicants", token => $outsider->{token});
    is $s, 404, 'outsider 404';
    ($s) = api(GET => "$base/jobs/$job->{id}/applicants");
    is $s, 401, 'needs auth';
    ($s) = api(PUT => "/api/applications/$app->{id}/status", token => $outsider->{token}, json => { status => 'shortlisted' });
    is $s, 404, 'an outsider cannot decide';
    ($s, $d) = api(PUT => "/api/applications/$app->{id}/status", token => $admin->{token}, json => { status => 'shortlisted' });
    is $s, 200, 'any member decides (not only the poster)';
    is $d->{data}{status}, 'shortlisted', 'shortlisted';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$ann->{id}' AND type = 'application_status'");
    is $n, 1, 'the applicant is notified';
};

subtest 'public job board' => sub {
    ($s, $d) = api(GET => "/api/o/$org->{slug}");
    is $s, 200, 'no auth needed';
    is $d->{data}{organization}{name}, $org->{name}, 'the public profile';
    is $d->{data}{organization}{description}, 'We hire', 'description';
    is $d->{data}{jobs}{total}, 2, 'active jobs';
    ok !grep({ $_->{status} ne 'active' } @{ $d->{data}{jobs}{data} }), 'active only';
    my $txt = encode_json($d);
    unlike $txt, qr/\@example\.test/, 'no emails';
    unlike $txt, qr/\Q$_->{id}\E/, 'no member ids' for $owner, $admin, $member;
    unlike $txt, qr/"role"|members/, 'no members or roles';
    my $hidden = api(POST => "$base/jobs", token => $member->{token}, json => gig_input(title => 'Secret draft', status => 'draft'));
    ($s, $d) = api(GET => "/api/o/$org->{slug}");
    unlike encode_json($d), qr/Secret draft/, 'no drafts';
    ($s, $d) = api(GET => "/api/o/$org->{slug}?limit=1&page=2");
    is $d->{data}{jobs}{page}, 2, 'paginated';
    is scalar @{ $d->{data}{jobs}{data} }, 1, 'one per page';
    ($s) = api(GET => "/api/o/$org->{slug}?limit=1000");
    is $s, 400, 'bad limit';
    ($s) = api(GET => '/api/o/' . rand_name('nobody'));
    is $s, 404, 'unknown slug 404';
};

subtest 'plan limits: the owner pays' => sub {
    my $boss = new_user();
    my $o2 = new_org($boss);
    my $poster = new_user();
    add_member($boss, $o2, $poster, 'member');
    for (1 .. 10) {
        ($s) = api(POST => "/api/organizations/$o2->{id}/jobs", token => $poster->{token}, json => gig_input());
    }
    is $s, 201, 'ten jobs';
    ($s, $d) = api(POST => "/api/organizations/$o2->{id}/jobs", token => $poster->{token}, json => gig_input());
    is $s, 402, "the eleventh exceeds the owner's free plan";
    ($s, $d) = api(GET => '/api/subscription/usage', token => $boss->{token});
    is $d->{data}{posts_used}, 10, "counted on the owner";
    ($s, $d) = api(GET => '/api/subscription/usage', token => $poster->{token});
    is $d->{data}{posts_used}, 0, 'not on the member who posted';
    ($s) = api(POST => '/api/gigs', token => $poster->{token}, json => gig_input());
    is $s, 201, 'the member still posts personal gigs';
};

subtest 'deleting the organization' => sub {
    my $boss = new_user();
    my $o3 = new_org($boss);
    my @jobs = map { (api(POST => "/api/organizations/$o3->{id}/jobs", token => $boss->{token}, json => gig_input()))[1]{data} } 1 .. 2;
    my @people = map { new_user() } 1 .. 3;
    apply_to($_, $jobs[0]{id}) for @people;
    apply_to($people[0], $jobs[1]{id});
    my (undef, $w) = apply_to($people[2], $jobs[1]{id});
    api(POST => "/api/applications/$w->{data}{id}/withdraw", token => $people[2]{token});
    my @st = parallel(2, sub {
        my ($st) = api(DELETE => "/api/organizations/$o3->{id}", token => $boss->{token});
        return $st;
    });
    is_deeply [sort @st], [200, 404], 'deleted once';
    for my $j (@jobs) {
        my ($status) = psql_row("SELECT status FROM gigs WHERE id = '$j->{id}'");
        is $status, 'closed', 'job closed';
    }
    my ($rej) = psql_row("SELECT count(*) FROM applications a JOIN gigs g ON g.id = a.gig_id"
                         . " WHERE g.organization_id = '$o3->{id}' AND a.status = 'rejected'");
    is $rej, 4, 'pending applications rejected (not the withdrawn one)';
    for my $i (0 .. 2) {
        my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$people[$i]{id}'"
                           . " AND type = 'application_status' AND data->>'status' = 'rejected'");
        is $n, ($i == 0 ? 2 : 1), "applicant $i notified once per application";
    }
    ($s) = api(GET => "/api/o/$o3->{slug}");
    is $s, 404, 'the board is gone';
    ($s, $d) = api(GET => "/api/gigs/$jobs[0]{id}");
    is $d->{data}{status}, 'closed', 'the job reads as closed';
    ($s, $d) = api(GET => '/api/me/applications', token => $people[1]{token});
    is $d->{data}{data}[0]{status}, 'rejected', 'the applicant sees the rejection';
    is $d->{data}{data}[0]{gig}{organization}{name}, $o3->{name}, 'with the organization';
};

done_testing;
