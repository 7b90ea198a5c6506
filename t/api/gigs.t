# Gigs: create (validation, drafts), read (views, draft privacy), edit, delete, status
# transitions with their side effects, bookmarks, usage, the monthly free limit.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $poster = new_user();
my $other = new_user();
my ($gig, $draft, $g2);   # shared by the subtests below

subtest 'create' => sub {
    ($s, $d) = api(POST => '/api/gigs', json => gig_input());
    is $s, 401, 'create needs auth';
    ($s, $d) = api(POST => '/api/gigs', token => $poster->{token}, json => gig_input());
    is $s, 201, 'create 201';
    $gig = $d->{data};
    is $gig->{status}, 'active', 'active by default';
    is $gig->{poster}{id}, $poster->{id}, 'poster embedded';
    ok !exists $gig->{poster}{email}, 'poster has no email';
    is $gig->{budget_max}, 250.5, 'money in major units';
    is $gig->{gig_type}, 'planned', 'gig_type planned';
    is $gig->{applications_count}, 0, 'no applications';
    my ($bmax) = psql_row("SELECT budget_max FROM gigs WHERE id = '$gig->{id}'");
    is $bmax, 25050, 'stored in minor units';

    for my $case (
        [{ title => undef }, 'title', 'required'],
        [{ title => '' }, 'title', 'required'],
        [{ title => 'x' x 201 }, 'title', 'at most 200'],
        [{ title => 42 }, 'title', 'string'],
        [{ description => 'x' x 10001 }, 'description', 'at most 10000'],
        [{ category => '' }, 'category', 'required'],
        [{ skills_required => 'react' }, 'skills_required', 'array'],
        [{ skills_required => [('s') x 31] }, 'skills_required', 'at most 30'],
        [{ ai_tools_preferred => [7] }, 'ai_tools_preferred', 'array of strings'],
        [{ budget_type => 'weekly' }, 'budget_type', 'one of'],
        [{ budget_min => -5 }, 'budget_min', 'at least 0'],
        [{ budget_min => 'lots' }, 'budget_min', 'number'],
        [{ budget_max => 10.001 }, 'budget_max', 'decimal'],
        [{ budget_min => 500, budget_max => 100 }, 'budget_max', 'budget_min'],
        [{ location_type => 'moon' }, 'location_type', 'one of'],
        [{ location => 'x' x 201 }, 'location', 'at most 200'],
        [{ duration => 'x' x 101 }, 'duration', 'at most 100'],
        [{ status => 'paused' }, 'status', 'one of'],
    ) {
        my ($over, $field, $msg) = @$case;
        my $in = gig_input(%$over);
        delete $in->{title} if exists $over->{title} && !defined $over->{title};
        ($s, $d) = api(POST => '/api/gigs', token => $other->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
    }
    ($s, $d) = api(POST => '/api/gigs', token => $other->{token}, json => {});
    is_deeply [sort keys %{ $d->{fields} }], [qw(budget_type category description location_type title)], 'all required named';
    my ($n_other) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$other->{id}'");
    is $n_other, 0, 'invalid creates stored nothing';
    my ($used) = psql_row("SELECT coalesce(sum(count), 0) FROM post_usage WHERE user_id = '$other->{id}'");
    is $used, 0, 'invalid creates took no quota';
};

subtest 'read' => sub {
    ($s, $d) = api(GET => "/api/gigs/$gig->{id}");
    is $s, 200, 'public read';
    is $d->{data}{poster}{username}, $poster->{username}, 'poster embedded on read';
    my $views = sub { (psql_row("SELECT coalesce((SELECT views_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)"))[0] };
    # Views are buffered per worker and flushed in batches (GIGS_VIEWS_FLUSH_MS, 1 s).
    ok wait_for(sub { $views->() == 1 }, 15), 'the read counts a view (after the flush)';
    api(GET => "/api/gigs/$gig->{id}") for 1 .. 3;
    sleep 2.5;
    is $views->(), 1, 'the same anonymous viewer counts once per day';
    api(GET => "/api/gigs/$gig->{id}", token => $other->{token}) for 1 .. 2;
    ok wait_for(sub { $views->() == 2 }, 15), 'a signed-in viewer counts once';
    api(GET => "/api/gigs/$gig->{id}", token => $poster->{token});
    sleep 2.5;
    is $views->(), 2, "the poster's own read does not count";
    my ($rows) = psql_row("SELECT count(*) FROM gig_views WHERE gig_id = '$gig->{id}'");
    is $rows, 2, 'one gig_views row per viewer';
    ($s, $d) = api(GET => '/api/gigs/' . uuid_random());
    is $s, 404, 'unknown gig 404';
    ($s) = api(GET => '/api/gigs/not-a-uuid');
    is $s, 404, 'malformed id 404';
    ($s) = api(GET => "/api/gigs/1'%20OR%20'1'='1");
    is $s, 404, 'SQL metacharacters in id 404';
};

subtest 'drafts' => sub {
    ($s, $d) = api(POST => '/api/gigs', token => $poster->{token}, json => gig_input(status => 'draft', title => 'Secret draft'));
    is $s, 201, 'draft created';
    $draft = $d->{data};
    is $draft->{status}, 'draft', 'status draft';
    ($s) = api(GET => "/api/gigs/$draft->{id}");
    is $s, 404, 'draft hidden from the public';
    ($s) = api(GET => "/api/gigs/$draft->{id}", token => $other->{token});
    is $s, 404, 'draft hidden from other users';
    ($s, $d) = api(GET => "/api/gigs/$draft->{id}", token => $poster->{token});
    is $s, 200, 'draft visible to its poster';
};

subtest 'usage' => sub {
    ($s, $d) = api(GET => '/api/subscription/usage', token => $poster->{token});
    is_deeply $d->{data}, { posts_used => 1, posts_limit => 10, can_post => JSON::PP::true }, 'a draft takes no post';
    ($s) = api(GET => '/api/subscription/usage');
    is $s, 401, 'usage needs auth';
};

subtest 'edit' => sub {
    ($s, $d) = api(PATCH => "/api/gigs/$gig->{id}", token => $poster->{token}, json => { title => 'New title', budget_min => 50 });
    is $s, 200, 'patch 200';
    is $d->{data}{title}, 'New title', 'title changed';
    is $d->{data}{budget_min}, 50, 'budget_min changed';
    is $d->{data}{description}, $gig->{description}, 'others kept';
    ($s, $d) = api(PATCH => "/api/gigs/$gig->{id}", token => $poster->{token}, json => { budget_min => 1000 });
    is $s, 400, 'patch budget_min above stored budget_max → 400';
    like $d->{fields}{budget_max} // '', qr/budget_min/, 'names budget_max';
    ($s, $d) = api(PATCH => "/api/gigs/$gig->{id}", token => $poster->{token}, json => { title => undef, location_type => 'x' });
    is_deeply [sort keys %{ $d->{fields} }], [qw(location_type title)], 'patch validation names each';
    ($s, $d) = api(PATCH => "/api/gigs/$gig->{id}", token => $other->{token}, json => { title => 'Hijack' });
    is $s, 404, "another user's gig → 404";
    ($s) = api(PATCH => "/api/gigs/$gig->{id}", json => { title => 'Hijack' });
    is $s, 401, 'patch needs auth';
    my ($title) = psql_row("SELECT title FROM gigs WHERE id = '$gig->{id}'");
    is $title, 'New title', 'unchanged by the refused patches';
};

subtest 'status' => sub {
    ($s, $d) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'draft' });
    is $s, 400, 'active → draft illegal';
    like $d->{fields}{status}, qr/cannot change from active to draft/, 'says why';
    ($s, $d) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'bogus' });
    is $s, 400, 'unknown status 400';
    ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $other->{token}, json => { status => 'paused' });
    is $s, 404, "another user's status change → 404";
    ($s, $d) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'paused' });
    is $s, 200, 'active → paused';
    is $d->{data}{status}, 'paused', 'paused';
    ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'active' });
    is $s, 200, 'paused → active';
    ($s, $d) = api(PUT => "/api/gigs/$draft->{id}/status", token => $poster->{token}, json => { status => 'active' });
    is $s, 200, 'draft published';
    ($s, $d) = api(GET => '/api/subscription/usage', token => $poster->{token});
    is $d->{data}{posts_used}, 3, 'created, re-activated and published each count once';

    # filling rejects undecided applications and notifies each applicant once
    my @apps;
    for (1 .. 2) {
        my $a = new_user();
        my ($as, $ad) = apply_to($a, $gig->{id});
        is $as, 201, 'applied';
        push @apps, [$a, $ad->{data}];
    }
    ($s, $d) = api(PUT => "/api/applications/$apps[1][1]{id}/status", token => $poster->{token}, json => { status => 'accepted' });
    is $s, 200, 'one accepted';
    ($s, $d) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'filled' });
    is $s, 200, 'filled';
    my ($st0) = psql_row("SELECT status FROM applications WHERE id = '$apps[0][1]{id}'");
    is $st0, 'rejected', 'pending application rejected';
    my ($st1) = psql_row("SELECT status FROM applications WHERE id = '$apps[1][1]{id}'");
    is $st1, 'accepted', 'accepted application kept';
    my ($nn) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$apps[0][0]{id}' AND type = 'application_status'");
    is $nn, 1, 'rejected applicant notified once';
    ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'active' });
    is $s, 400, 'filled is final';
    ($s, $d) = apply_to(new_user(), $gig->{id});
    is $s, 400, 'cannot apply to a filled gig';
};

subtest 'my gigs' => sub {
    ($s, $d) = api(GET => '/api/me/gigs', token => $poster->{token});
    is $s, 200, 'my gigs';
    is scalar @{ $d->{data}{data} }, 2, 'both of mine, every status';
    is $d->{data}{total}, 2, 'paginated: total';
    ($s, $d) = api(GET => '/api/me/gigs', token => $other->{token});
    is_deeply $d->{data}{data}, [], 'none for the other user';
    is $d->{data}{total}, 0, 'total 0';
};

subtest 'bookmarks' => sub {
    $g2 = new_gig($poster);
    ($s) = api(POST => "/api/gigs/$g2->{id}/save");
    is $s, 401, 'save needs auth';
    ($s, $d) = api(POST => "/api/gigs/$g2->{id}/save", token => $other->{token});
    is $s, 200, 'saved';
    ($s) = api(POST => "/api/gigs/$g2->{id}/save", token => $other->{token});
    is $s, 200, 'save is idempotent';
    ($s, $d) = api(GET => '/api/me/saved-gigs', token => $other->{token});
    is scalar @{ $d->{data}{data} }, 1, 'one saved gig';
    is $d->{data}{total}, 1, 'paginated: total';
    is $d->{data}{data}[0]{id}, $g2->{id}, 'the saved gig with poster';
    is $d->{data}{data}[0]{poster}{id}, $poster->{id}, 'poster embedded';
    my $d2 = new_gig($poster, status => 'draft');
    ($s) = api(POST => "/api/gigs/$d2->{id}/save", token => $other->{token});
    is $s, 404, "someone else's draft cannot be saved";
    ($s) = api(POST => '/api/gigs/' . uuid_random() . '/save', token => $other->{token});
    is $s, 404, 'unknown gig 404';
    ($s) = api(DELETE => "/api/gigs/$g2->{id}/save", token => $other->{token});
    is $s, 200, 'unsaved';
    ($s) = api(DELETE => "/api/gigs/$g2->{id}/save", token => $other->{token});
    is $s, 200, 'unsave is idempotent';
    ($s, $d) = api(GET => '/api/me/saved-gigs', token => $other->{token});
    is_deeply $d->{data}{data}, [], 'no saved gigs';
};

subtest 'delete' => sub {
    ($s) = api(DELETE => "/api/gigs/$g2->{id}", token => $other->{token});
    is $s, 404, "deleting another user's gig → 404";
    my ($still) = psql_row("SELECT count(*) FROM gigs WHERE id = '$g2->{id}'");
    is $still, 1, 'still there';
    ($s) = api(DELETE => "/api/gigs/$g2->{id}", token => $poster->{token});
    is $s, 200, 'deleted';
    ($s) = api(GET => "/api/gigs/$g2->{id}");
    is $s, 404, 'gone';
    ($s) = api(DELETE => "/api/gigs/$g2->{id}", token => $poster->{token});
    is $s, 404, 'second delete 404';
};

# The counters live in gig_stats (sql/026), created by the first count and deleted with
# their gig; the API shows 0 for a gig without a row.
subtest 'counters (gig_stats)' => sub {
    my $owner = new_user();
    my $fan = new_user();
    my $c = new_gig($owner);
    my $stats = sub { psql_row("SELECT applications_count, views_count FROM gig_stats WHERE gig_id = '$c->{id}'") };
    is_deeply [$stats->()], [], 'a new gig has no stats row';
    ($s, $d) = api(GET => "/api/gigs/$c->{id}", token => $owner->{token});
    is_deeply [@{ $d->{data} }{qw(applications_count views_count)}], [0, 0], '… and reads as 0 and 0';
    ($s) = apply_to($fan, $c->{id});
    is $s, 201, 'applied';
    api(GET => "/api/gigs/$c->{id}", token => $fan->{token});
    ok wait_for(sub { my @r = $stats->(); @r && $r[1] == 1 }, 15), 'the view counted (after the flush)';
    is_deeply [$stats->()], [1, 1], 'one row: 1 application, 1 view';
    ($s, $d) = api(GET => "/api/gigs/$c->{id}", token => $owner->{token});
    is_deeply [@{ $d->{data} }{qw(applications_count views_count)}], [1, 1], 'the API shows them';
    ($s) = api(DELETE => "/api/gigs/$c->{id}", token => $owner->{token});
    is $s, 200, 'gig deleted';
    my ($left) = psql_row("SELECT (SELECT count(*) FROM gig_stats WHERE gig_id = '$c->{id}')"
                          . " + (SELECT count(*) FROM gig_views WHERE gig_id = '$c->{id}')");
    is $left, 0, 'its stats and view rows went with it';
};

subtest 'monthly limit (sequential)' => sub {
    my $free = new_user();
    new_gig($free) for 1 .. 10;
    ($s, $d) = api(POST => '/api/gigs', token => $free->{token}, json => gig_input());
    is $s, 402, '11th post → 402';
    is $d->{code}, 'LIMIT_EXCEEDED', 'LIMIT_EXCEEDED';
    ($s, $d) = api(POST => '/api/gigs', token => $free->{token}, json => gig_input(status => 'draft'));
    is $s, 201, 'drafts still allowed at the limit';
    my $fd = $d->{data};
    ($s, $d) = api(PUT => "/api/gigs/$fd->{id}/status", token => $free->{token}, json => { status => 'active' });
    is $s, 402, 'publishing at the limit → 402';
    my ($fst) = psql_row("SELECT status FROM gigs WHERE id = '$fd->{id}'");
    is $fst, 'draft', 'still a draft';
    ($s, $d) = api(GET => '/api/subscription/usage', token => $free->{token});
    is_deeply $d->{data}, { posts_used => 10, posts_limit => 10, can_post => JSON::PP::false }, 'usage at the limit';
    # last month's usage does not count
    psql("UPDATE post_usage SET month = (usage_month() - interval '1 month')::date WHERE user_id = '$free->{id}'");
    ($s) = api(POST => '/api/gigs', token => $free->{token}, json => gig_input());
    is $s, 201, 'a new month starts afresh';

    # pro is unlimited
    my $pro = new_user();
    psql("INSERT INTO subscriptions (user_id, status, plan) VALUES ('$pro->{id}', 'active', 'pro')");
    new_gig($pro) for 1 .. 11;
    ($s, $d) = api(GET => '/api/subscription/usage', token => $pro->{token});
    is $d->{data}{posts_limit}, undef, 'pro posts_limit null';
    is $d->{data}{can_post}, JSON::PP::true, 'pro can post';
    is $d->{data}{posts_used}, 11, 'pro usage still counted';
};

done_testing;
