# Saved searches (issue 15, item 5): the routes, their filters checked by the gig
# search's own parser, at most 20 per user; gig_alert notifications raised in the
# database when a matching gig becomes active (created active or published), never to
# the poster, at most one per saved search per GIGD_ALERT_MIN_INTERVAL with the count
# held back carried by the next alert (or by the alert-digests job once the interval is
# over) — also under 50 concurrent activations.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $tag = rand_name('cat');   # a category no other test uses: only our gigs match

sub save_search {
    my ($u, $body) = @_;
    return api(POST => '/api/me/saved-searches', token => $u->{token}, json => $body);
}
sub alerts {
    my ($u, $extra) = @_;
    $extra //= '';
    return psql("SELECT data->>'gig_id', data->>'saved_search_id', data->>'digest_count', body FROM notifications"
                . " WHERE user_id = '$u->{id}' AND type = 'gig_alert' $extra ORDER BY created_at, id");
}
# A poster on the pro plan (no monthly post limit), so many activations are possible.
sub pro_user {
    my $u = new_user();
    psql("INSERT INTO subscriptions (user_id, status, plan) VALUES ('$u->{id}', 'active', 'pro')");
    return $u;
}

subtest 'routes' => sub {
    my $u = new_user();
    my $other = new_user();
    ($s, $d) = save_search($u, { name => 'Rust jobs', filters => { category => $tag, skills => ['rust', 'go'],
                                 budget_min => 100, location_type => 'remote', posted_within => 'week' } });
    is $s, 201, 'created 201';
    my $ss = $d->{data};
    like $ss->{id}, qr/^[0-9a-f-]{36}$/, 'an id';
    is $ss->{name}, 'Rust jobs', 'name';
    is_deeply $ss->{filters}, { category => $tag, skills => ['rust', 'go'], budget_min => 100,
                                location_type => 'remote', posted_within => 'week' }, 'the checked filters';
    ($s, $d) = save_search($u, { search => 'kubernetes operator', skills => 'k8s, helm' });
    is $s, 201, 'GigFilters at the top level, skills as a comma list';
    is_deeply $d->{data}{filters}{skills}, ['k8s', 'helm'], 'the list as the search reads it';
    ($s, $d) = api(GET => '/api/me/saved-searches', token => $u->{token});
    is $s, 200, 'list';
    is $d->{data}{total}, 2, 'total 2';
    is $d->{data}{data}[1]{id}, $ss->{id}, 'newest first';
    ok !$d->{data}{hasMore}, 'hasMore false';
    ($s, $d) = api(GET => '/api/me/saved-searches?limit=1&page=2', token => $u->{token});
    is $d->{data}{data}[0]{id}, $ss->{id}, 'paged';
    ($s, $d) = api(GET => '/api/me/saved-searches?limit=0', token => $u->{token});
    is $s, 400, 'bad limit 400';
    ($s, $d) = api(GET => '/api/me/saved-searches', token => $other->{token});
    is $d->{data}{total}, 0, "another user sees none of them";

    ($s) = api(DELETE => "/api/me/saved-searches/$ss->{id}", token => $other->{token});
    is $s, 404, "another user's saved search: 404";
    ($s) = api(DELETE => "/api/me/saved-searches/$ss->{id}", token => $u->{token});
    is $s, 200, 'deleted';
    ($s) = api(DELETE => "/api/me/saved-searches/$ss->{id}", token => $u->{token});
    is $s, 404, 'gone: 404';
    ($s) = api(DELETE => '/api/me/saved-searches/not-a-uuid', token => $u->{token});
    is $s, 404, 'malformed id 404';

    ($s) = api(GET => '/api/me/saved-searches');
    is $s, 401, 'list needs auth';
    ($s) = api(POST => '/api/me/saved-searches', json => { search => 'x' });
    is $s, 401, 'create needs auth';
    ($s) = api(DELETE => "/api/me/saved-searches/$ss->{id}");
    is $s, 401, 'delete needs auth';
    ($s) = api(POST => '/api/me/saved-searches', token => $u->{token}, body => '{"filters":',
               headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
};

subtest 'invalid filters: each named, as GET /api/gigs names them' => sub {
    my $u = new_user();
    for my $case (
        [{ filters => { budget_min => -5 } }, 'filters.budget_min'],
        [{ filters => { budget_min => 1.234 } }, 'filters.budget_min'],
        [{ filters => { budget_min => 'lots' } }, 'filters.budget_min'],
        [{ filters => { budget_min => 300, budget_max => 100 } }, 'filters.budget_max'],
        [{ filters => { location_type => 'moon' } }, 'filters.location_type'],
        [{ filters => { posted_within => 'year' } }, 'filters.posted_within'],
        [{ filters => { sort => 'random' } }, 'filters.sort'],
        [{ filters => { skills => [1, 2] } }, 'filters.skills'],
        [{ filters => { skills => [] } }, 'filters.skills'],
        [{ filters => { ai_tools => { a => 1 } } }, 'filters.ai_tools'],
        [{ filters => { search => 'x' x 201 } }, 'filters.search'],
        [{ filters => { category => 7 } }, 'filters.category'],
        [{ filters => 'rust' }, 'filters'],
        [{ filters => {} }, 'filters'],
        [{ name => 'n' x 101, search => 'rust' }, 'name'],
        [{ name => 5, search => 'rust' }, 'name'],
    ) {
        my ($in, $field) = @$case;
        ($s, $d) = save_search($u, $in);
        is $s, 400, "$field refused";
        is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
        ok $d->{fields}{$field}, "fields.$field" or diag explain $d;
    }
    ($s, $d) = save_search($u, { name => 'n' x 101, filters => { location_type => 'moon', posted_within => 'year' } });
    ok $d->{fields}{name} && $d->{fields}{'filters.location_type'} && $d->{fields}{'filters.posted_within'},
        'every bad field in one answer';
    my ($n) = psql_row("SELECT count(*) FROM saved_searches WHERE user_id = '$u->{id}'");
    is $n, 0, 'nothing stored';
};

subtest 'at most 20 per user, also when created at once' => sub {
    my $u = new_user();
    my @st = parallel(24, sub { my ($st) = save_search($u, { search => "word$_[0]" }); return $st });
    is scalar(grep { $_ == 201 } @st), 20, '20 created';
    is scalar(grep { $_ == 409 } @st), 4, 'the rest 409';
    ($s, $d) = save_search($u, { search => 'one more' });
    is $s, 409, 'the 21st: 409';
    is $d->{code}, 'CONFLICT', 'CONFLICT';
    like $d->{error}, qr/20/, 'says the limit';
    my ($n) = psql_row("SELECT count(*) FROM saved_searches WHERE user_id = '$u->{id}'");
    is $n, 20, 'exactly 20 stored';
};

subtest 'a matching gig becoming active raises one gig_alert' => sub {
    my $watcher = new_user();
    my $poster = pro_user();
    my $cat = "$tag-a";
    ($s, $d) = save_search($watcher, { name => 'Design', filters => { category => $cat, skills => ['figma'], budget_min => 200 } });
    my $ssid = $d->{data}{id};
    ($s, $d) = save_search($poster, { filters => { category => $cat } });
    is $s, 201, 'the poster saves a matching search too';

    new_gig($poster, category => $cat, skills_required => ['sketch'], budget_min => 300, budget_max => 400);
    new_gig($poster, category => $cat, skills_required => ['figma'], budget_min => 50, budget_max => 150);
    new_gig($poster, category => "$cat-x", skills_required => ['figma'], budget_min => 300, budget_max => 400);
    is scalar(alerts($watcher)), 0, 'no alert for gigs that miss a filter (skill, budget, category)';
    my $draft = new_gig($poster, category => $cat, skills_required => ['figma'], budget_min => 300, budget_max => 400,
                        status => 'draft');
    is scalar(alerts($watcher)), 0, 'no alert for a draft';
    ($s) = api(PUT => "/api/gigs/$draft->{id}/status", token => $poster->{token}, json => { status => 'active' });
    is $s, 200, 'published';
    my @a = alerts($watcher);
    is scalar @a, 1, 'publishing raised one alert';
    is $a[0][0], $draft->{id}, 'data.gig_id';
    is $a[0][1], $ssid, 'data.saved_search_id';
    is $a[0][2], 0, 'digest_count 0';
    like $a[0][3], qr/"Design"/, 'names the saved search';
    is scalar(alerts($poster)), 0, 'never the poster';

    (undef, $d) = api(GET => '/api/notifications', token => $watcher->{token});
    is $d->{data}{data}[0]{type}, 'gig_alert', 'in the notification list';
    my ($ts) = psql_row("SELECT last_alert_at IS NOT NULL FROM saved_searches WHERE id = '$ssid'");
    is $ts, 't', 'last_alert_at recorded';
    (undef, $d) = api(GET => '/api/me/saved-searches', token => $watcher->{token});
    ok $d->{data}{data}[0]{last_alert_at}, 'and shown';

    # Within the interval: held back and counted; after it: one alert with the count.
    new_gig($poster, category => $cat, skills_required => ['figma'], budget_min => 300, budget_max => 400) for 1 .. 2;
    is scalar(alerts($watcher)), 1, 'no second alert within the interval';
    my ($held) = psql_row("SELECT pending_count FROM saved_searches WHERE id = '$ssid'");
    is $held, 2, 'two matches held back';
    psql("UPDATE saved_searches SET last_alert_at = now() - interval '61 minutes' WHERE id = '$ssid'");
    my $next = new_gig($poster, category => $cat, skills_required => ['figma', 'ux'], budget_min => 300, budget_max => 400);
    @a = alerts($watcher);
    is scalar @a, 2, 'the interval passed: the next match alerts';
    is $a[1][0], $next->{id}, 'for the new gig';
    is $a[1][2], 2, 'digest_count: the two held back';
    like $a[1][3], qr/2 more/, 'the body says so';
    ($held) = psql_row("SELECT pending_count FROM saved_searches WHERE id = '$ssid'");
    is $held, 0, 'count reset';

    ($s) = api(PUT => "/api/gigs/$next->{id}/status", token => $poster->{token}, json => { status => 'paused' });
    psql("UPDATE saved_searches SET last_alert_at = now() - interval '2 hours' WHERE id = '$ssid'");
    ($s) = api(PUT => "/api/gigs/$next->{id}/status", token => $poster->{token}, json => { status => 'active' });
    is scalar(alerts($watcher)), 3, 're-activated after a pause: an activation too';
    api(DELETE => "/api/me/saved-searches/$ssid", token => $watcher->{token});
    psql("UPDATE saved_searches SET last_alert_at = NULL");
    new_gig($poster, category => $cat, skills_required => ['figma'], budget_min => 300, budget_max => 400);
    is scalar(alerts($watcher)), 3, 'a deleted saved search alerts no more';
};

subtest 'text, tool and budget-only searches' => sub {
    my $w = new_user();
    my $poster = pro_user();
    my $word = 'zq' . int(rand(1e9));   # a word no other gig has
    save_search($w, { search => "$word -draft" });
    save_search($w, { ai_tools => ["tool$word"] });
    save_search($w, { budget_min => 999999, location_type => 'hybrid' });
    new_gig($poster, title => "Needs $word work", category => "$tag-b");
    is scalar(alerts($w, "AND data->>'gig_id' IS NOT NULL")), 1, 'full-text match';
    new_gig($poster, title => "Other $word work", description => 'draft only', category => "$tag-b");
    is scalar(alerts($w)), 1, 'a negated word excludes';
    new_gig($poster, category => "$tag-b", ai_tools_preferred => ["tool$word"]);
    is scalar(alerts($w)), 2, 'tool match';
    new_gig($poster, category => "$tag-b", budget_min => 999999, budget_max => 1000000, location_type => 'hybrid');
    is scalar(alerts($w)), 3, 'budget and location only';
    new_gig($poster, category => "$tag-b", budget_min => 999999, budget_max => 1000000, location_type => 'onsite');
    is scalar(alerts($w)), 3, 'but not another location type';
};

# Row triggers fire in name order (C collation). Publishing a draft must lock the saved
# searches before its gig_counts shard, as creating an active gig does (row trigger, then
# gig_counts_insert, a statement trigger); the other order deadlocked now and then under
# the concurrent activations below (sql/025).
subtest 'activation locks saved searches before the status counter' => sub {
    my @fired = map { $_->[0] } psql("SELECT tgfoid::regproc FROM pg_trigger WHERE tgrelid = 'gigs'::regclass"
        . " AND NOT tgisinternal AND tgtype & 16 <> 0 AND tgtype & 1 <> 0 AND tgtype & 66 = 0" # AFTER UPDATE, FOR EACH ROW
        . " AND tgfoid IN ('gigs_raise_alerts'::regproc, 'gig_counts_status'::regproc)"
        . " ORDER BY tgname COLLATE \"C\"");
    is_deeply \@fired, ['gigs_raise_alerts', 'gig_counts_status'], 'the alert trigger fires first';
};

subtest '50 concurrent activations: exactly one alert, then the digest' => sub {
    my $w = new_user();
    my $cat = "$tag-c";
    ($s, $d) = save_search($w, { filters => { category => $cat } });
    my $ssid = $d->{data}{id};
    my @posters = map { pro_user() } 1 .. 5;
    my @drafts = map { new_gig($posters[$_ % 5], category => $cat, status => 'draft') } 0 .. 24;
    # Line the activations up: a session holds the saved search's row for a moment, so
    # the first activations all reach the match while it is locked and then race for it.
    my $locker = fork // die "fork: $!";
    if (!$locker) {
        exec 'psql', $ENV{GIGD_DATABASE_URL}, '-XqAt', '-c',
             "BEGIN; SELECT 1 FROM saved_searches WHERE id = '$ssid' FOR UPDATE; SELECT pg_sleep(1.2); COMMIT;";
        exit 1;
    }
    wait_for(sub { (psql_row("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.2)%' AND pid <> pg_backend_pid()"))[0] }, 5);
    my @st = parallel(50, sub {
        my ($i) = @_;
        my $p = $posters[$i % 5];
        my ($st) = $i < 25
            ? api(PUT => "/api/gigs/$drafts[$i]{id}/status", token => $p->{token}, json => { status => 'active' })
            : api(POST => '/api/gigs', token => $p->{token}, json => gig_input(category => $cat));
        return $st;
    });
    waitpid $locker, 0;
    # On a loaded machine a few requests may be refused before they start (503: nginx's
    # fail-fast connect, or the statement time limit behind the held row) — an answer that
    # changes nothing. Every other one must succeed, and the counts follow the successes.
    my $ok = grep { $_ == 200 || $_ == 201 } @st;
    is scalar(grep { $_ != 200 && $_ != 201 && $_ != 503 } @st), 0, 'every activation succeeded or was refused (503)'
        or diag "@st";
    cmp_ok $ok, '>=', 40, "most activations went through ($ok of 50)" or diag "@st";
    my ($active) = psql_row("SELECT count(*) FROM gigs WHERE category = '$cat' AND status = 'active'");
    is $active, $ok, 'exactly the successful ones are active';
    my @a = alerts($w);
    is scalar @a, 1, 'exactly one alert';
    my ($held) = psql_row("SELECT pending_count FROM saved_searches WHERE id = '$ssid'");
    is $held, $ok - 1, 'the others counted';
    psql("UPDATE saved_searches SET last_alert_at = now() - interval '61 minutes' WHERE id = '$ssid'");
    new_gig($posters[0], category => $cat);
    @a = alerts($w);
    is scalar @a, 2, 'after the interval: the next alert';
    is $a[1][2], $ok - 1, 'carrying them as its digest';
};

subtest 'the alert-digests job: held-back counts go out without a further match' => sub {
    my $w = new_user();
    my $poster = pro_user();
    my $cat = "$tag-e";
    ($s, $d) = save_search($w, { name => 'Digest me', filters => { category => $cat } });
    my $ssid = $d->{data}{id};
    new_gig($poster, category => $cat) for 1 .. 3;
    is scalar(alerts($w)), 1, 'one alert, two held back';
    my $cron = sub { api(POST => '/api/cron/alert-digests', headers => { Authorization => 'Bearer ' . cron_secret() }) };
    ($s, $d) = $cron->();
    is $s, 200, 'job runs';
    is scalar(alerts($w)), 1, 'within the interval: nothing';
    psql("UPDATE saved_searches SET last_alert_at = now() - interval '61 minutes' WHERE id = '$ssid'");
    ($s, $d) = $cron->();
    ok $d->{data}{digests} >= 1, 'the job counts its digests';
    my @a = alerts($w);
    is scalar @a, 2, 'after it: one digest';
    is $a[1][0], '', 'no gig';
    is $a[1][2], 2, 'digest_count 2';
    like $a[1][3], qr/^2 new gigs match "Digest me"/, 'the body says so';
    psql("UPDATE saved_searches SET last_alert_at = now() - interval '61 minutes' WHERE id = '$ssid'");
    $cron->();
    is scalar(alerts($w)), 2, 'nothing held back: no digest';
    my $out = `$ENV{GIGD_TEST_BUILD}/gigctl cron alert-digests 2>&1`;
    is $?, 0, 'gigctl cron alert-digests';
    ($s) = api(POST => '/api/cron/alert-digests');
    is $s, 401, 'the job needs the cron secret';
};

subtest 'deleted accounts: no alerts in the grace period, searches gone once erased' => sub {
    my $w = new_user();
    my $poster = pro_user();
    my $cat = "$tag-d";
    save_search($w, { filters => { category => $cat } });
    psql("UPDATE users SET deleted_at = now() WHERE id = '$w->{id}'");
    new_gig($poster, category => $cat);
    is scalar(alerts($w)), 0, 'a deactivated account gets no alert';
    psql("UPDATE users SET deleted_at = NULL WHERE id = '$w->{id}'");
    new_gig($poster, category => $cat);
    is scalar(alerts($w)), 1, 'restored: alerts again';
    psql("UPDATE users SET deleted_at = now(), erased_at = now() WHERE id = '$w->{id}'");
    my ($n) = psql_row("SELECT count(*) FROM saved_searches WHERE user_id = '$w->{id}'");
    is $n, 0, 'erased: its saved searches are gone';
};

subtest 'no alert across a block, nor to a suspended user' => sub {
    my ($w, $v) = (new_user(), new_user());
    my $poster = pro_user();
    my $cat = "$tag-f";
    save_search($_, { filters => { category => $cat } }) for $w, $v;
    ($s) = api(POST => "/api/users/$poster->{id}/block", token => $w->{token});
    ok $s == 200 || $s == 201, 'the watcher blocks the poster';
    psql("UPDATE users SET suspended_at = now() WHERE id = '$v->{id}'");
    new_gig($poster, category => $cat);
    is scalar(alerts($w)), 0, 'blocked: no alert';
    is scalar(alerts($v)), 0, 'suspended: no alert';
    api(DELETE => "/api/users/$poster->{id}/block", token => $w->{token});
    new_gig($poster, category => $cat);
    is scalar(alerts($w)), 1, 'unblocked: alerts again';
};

subtest 'candidates come from the anchors index' => sub {
    my ($anchors) = psql_row("SELECT saved_search_anchors('design', '{a}', '{b}', 'c', 'remote')::text");
    is $anchors, '{c:design}', 'category first';
    ($anchors) = psql_row("SELECT saved_search_anchors(NULL, NULL, NULL, 'plumbing -pipes', NULL)::text");
    is $anchors, '{w:plumb}', 'the positive words of a search';
    ($anchors) = psql_row("SELECT saved_search_anchors(NULL, NULL, NULL, NULL, NULL)::text");
    is $anchors, '{*}', 'no term: every gig is a candidate';
    my @plan = psql("SET enable_seqscan = off; EXPLAIN SELECT id FROM saved_searches WHERE anchors && ARRAY['c:x', 's:y']");
    ok scalar(grep { $_->[0] =~ /saved_searches_anchors_idx/ } @plan), 'the GIN index answers the candidate query';
};

done_testing;
