# GET /api/gigs: every filter, full text, sorting, pagination edges, invalid parameters,
# SQL metacharacters; and GET /api/me/recommended-gigs.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $tag = 'zq' . int(rand(1e9));    # a category unique to this run isolates our gigs
my $p = new_user();

my %g;
$g{react} = new_gig($p, category => $tag, title => "React dashboard $tag", description => 'Charts and tables in a single page app',
                    skills_required => ['react', 'typescript'], ai_tools_preferred => ['copilot'], budget_min => 100, budget_max => 200,
                    location_type => 'remote');
$g{python} = new_gig($p, category => $tag, title => 'Data pipeline', description => 'Python ETL with pandas and airflow scheduling',
                     skills_required => ['python'], ai_tools_preferred => ['claude', 'chatgpt'], budget_min => 1000, budget_max => 3000,
                     location_type => 'onsite', budget_type => 'hourly');
$g{design} = new_gig($p, category => $tag, title => 'Logo design', description => 'A modern logo for a coffee shop',
                     skills_required => ['figma'], ai_tools_preferred => ['midjourney'], budget_min => undef, budget_max => undef,
                     location_type => 'hybrid');
$g{old} = new_gig($p, category => $tag, title => 'Old react job', description => 'Maintaining a legacy react codebase',
                  skills_required => ['react'], ai_tools_preferred => [], budget_min => 10, budget_max => 20, location_type => 'remote');
psql("UPDATE gigs SET created_at = now() - interval '10 days' WHERE id = '$g{old}{id}'");
$g{draft} = new_gig($p, category => $tag, status => 'draft', title => 'Hidden react draft', skills_required => ['react']);
$g{paused} = new_gig($p, category => $tag, title => 'Paused react gig', skills_required => ['react']);
api(PUT => "/api/gigs/$g{paused}{id}/status", token => $p->{token}, json => { status => 'paused' });

sub ids { my ($res) = @_; return [sort map { $_->{id} } @{ $res->{data}{data} }] }
sub want { return [sort map { $g{$_}{id} } @_] }
sub search { my ($q) = @_; return api(GET => "/api/gigs?category=$tag&$q") }

($s, $d) = search('');
is $s, 200, 'search 200 without auth';
is_deeply ids($d), want(qw(react python design old)), 'active only (no draft, no paused)';
is $d->{data}{total}, 4, 'total';
is $d->{data}{page}, 1, 'page 1';
is $d->{data}{limit}, 20, 'default limit 20';
is $d->{data}{hasMore}, JSON::PP::false, 'no more';
is $d->{data}{data}[0]{id}, $g{design}{id}, 'newest first by default';
is $d->{data}{data}[-1]{id}, $g{old}{id}, 'oldest last';
ok $d->{data}{data}[0]{poster}{username}, 'poster embedded';

# full text
($s, $d) = search('search=react');
is_deeply ids($d), want(qw(react old)), 'full text: react';
($s, $d) = search('search=pipelines');
is_deeply ids($d), want(qw(python)), 'full text is stemmed (pipelines → pipeline)';
($s, $d) = search('search=' . 'coffee%20-logo');
is_deeply ids($d), [], 'websearch syntax: exclusion';
($s, $d) = search('search=%22legacy%20react%22');
is_deeply ids($d), want(qw(old)), 'websearch syntax: phrase';
($s, $d) = search('search=dashboard%20OR%20airflow');
is_deeply ids($d), want(qw(react python)), 'websearch syntax: OR';

# arrays: match any
($s, $d) = search('skills=python,figma');
is_deeply ids($d), want(qw(python design)), 'skills match any';
($s, $d) = search('skills=%20react%20,,');
is_deeply ids($d), want(qw(react old)), 'skills trimmed, empties ignored';
($s, $d) = search('ai_tools=claude');
is_deeply ids($d), want(qw(python)), 'ai_tools';
($s, $d) = search('skills=react&ai_tools=copilot');
is_deeply ids($d), want(qw(react)), 'filters combine with AND';

# budget, location, recency
($s, $d) = search('budget_min=150');
is_deeply ids($d), want(qw(react python)), 'budget_min: gig pays at least';
($s, $d) = search('budget_max=150');
is_deeply ids($d), want(qw(react old)), 'budget_max: gig asks at most';
($s, $d) = search('budget_min=150&budget_max=2000.50');
is_deeply ids($d), want(qw(react python)), 'budget range';
($s, $d) = search('location_type=hybrid');
is_deeply ids($d), want(qw(design)), 'location_type';
($s, $d) = search('posted_within=week');
is_deeply ids($d), want(qw(react python design)), 'posted_within week';
($s, $d) = search('posted_within=month');
is_deeply ids($d), want(qw(react python design old)), 'posted_within month';
($s, $d) = search('posted_within=day');
is scalar @{ $d->{data}{data} }, 3, 'posted_within day';

# every filter at once, both sorts (each combination is its own prepared statement)
for my $sort (qw(newest budget)) {
    ($s, $d) = search("search=react&skills=react,go&ai_tools=copilot&budget_min=100&budget_max=200"
                      . "&location_type=remote&posted_within=day&sort=$sort&page=1&limit=5");
    is $s, 200, "all filters, sort=$sort";
    is_deeply ids($d), want(qw(react)), "all filters match only the react gig (sort=$sort)";
}

# sort by budget
($s, $d) = search('sort=budget');
is_deeply [map { $_->{id} } @{ $d->{data}{data} }], [map { $g{$_}{id} } qw(python react old design)], 'sort=budget, no budget last';

# pagination
($s, $d) = search('limit=3');
is scalar @{ $d->{data}{data} }, 3, 'limit 3';
is $d->{data}{hasMore}, JSON::PP::true, 'hasMore';
is $d->{data}{total}, 4, 'total stays exact';
($s, $d) = search('limit=3&page=2');
is scalar @{ $d->{data}{data} }, 1, 'page 2 has the rest';
is $d->{data}{hasMore}, JSON::PP::false, 'last page';
($s, $d) = search('limit=3&page=99');
is_deeply $d->{data}{data}, [], 'past the end: empty';
is $d->{data}{total}, 4, 'past the end: total still exact';
($s, $d) = search('limit=100');
is $s, 200, 'limit 100 allowed';
my %seen;
for my $page (1 .. 4) {
    ($s, $d) = search("limit=1&page=$page");
    $seen{ $d->{data}{data}[0]{id} }++;
}
is scalar keys %seen, 4, 'pages do not overlap or skip';
is $d->{data}{total_is_estimate}, JSON::PP::false, 'a small total is exact (total_is_estimate false)';

# bounded offsets: page × limit ≤ 10,000; deeper lists go by cursor
($s, $d) = search('page=100&limit=100');
is $s, 200, 'page 100 × limit 100 allowed';
($s, $d) = search('page=10000&limit=1');
is $s, 200, 'page 10000 × limit 1 allowed';
for my $q ('page=101&limit=100', 'page=10001&limit=1', 'page=501') {
    ($s, $d) = search($q);
    is $s, 400, "$q → 400 (offset over 10,000)";
    like $d->{fields}{page} // '', qr/10000/, "fields.page names the bound for $q";
}
for my $sort (qw(newest budget)) {
    my @order = map { $_->{id} } @{ (search("sort=$sort&limit=20"))[1]{data}{data} };
    my (@walk, $cursor, $pages);
    ($s, $d) = search("sort=$sort&limit=1");
    while (1) {
        is $s, 200, "$sort cursor page " . ($pages // 0) . ' 200';
        push @walk, map { $_->{id} } @{ $d->{data}{data} };
        $cursor = $d->{data}{next_cursor};
        last if !defined $cursor || ++$pages > 6;
        is $d->{data}{hasMore}, JSON::PP::true, "$sort: a next_cursor means hasMore";
        ($s, $d) = search("sort=$sort&limit=1&cursor=$cursor");
        is $d->{data}{page}, undef, "$sort: a cursor page has no page number";
    }
    is_deeply \@walk, \@order, "$sort: the cursor walk gives the page order, nothing skipped or repeated";
}
($s, $d) = search('sort=newest&limit=2');
my $c = $d->{data}{next_cursor};
ok defined $c, 'next_cursor on a page with more';
($s, $d) = search("sort=budget&cursor=$c");
is $s, 400, 'a newest cursor under sort=budget → 400';
ok $d->{fields}{cursor}, 'fields.cursor named';
for my $bad ('x', '1.2', "1.2.3.$g{react}{id}", "abc.$g{react}{id}", "1.not-a-uuid", "1'%20OR%201=1.$g{react}{id}") {
    ($s, $d) = search("cursor=$bad");
    is $s, 400, "cursor=$bad → 400";
}

# Pages past the count cap: a newest-first page deeper than the 1,001 rows the capped
# count walked starts after the last of them (lib/gigs_search.c resume_point). 1,150
# gigs of one word and one skill, three to a created_at (the id breaks the ties, also
# across the count's last row), long ago so that no other list sees them first.
{
    my $deep = 'zqdeep' . int(rand(1e9));
    my $u = new_user();
    psql("INSERT INTO gigs (poster_id, title, description, category, skills_required, budget_type, location_type,"
         . " status, created_at) SELECT '$u->{id}', 'Deep $deep ' || i, 'Paging past the cap', 'deep', ARRAY['$deep'],"
         . " 'fixed', 'remote', 'active', timestamptz '2020-01-01' + (i / 3) * interval '1 minute'"
         . " FROM generate_series(1, 1150) i");
    my $blocker = new_user();
    my ($hidden) = psql_row("SELECT id FROM gigs WHERE title = 'Deep $deep 1100'");
    psql("UPDATE gigs SET hidden_at = now(), hidden_cause = 'takedown' WHERE id = '$hidden'"); # trust: taken down, neither listed nor counted
    my $expect = sub {
        my ($offset, $limit) = @_;
        my @ids = psql("SELECT id FROM gigs WHERE '$deep' = ANY (skills_required) AND hidden_at IS NULL"
                            . " ORDER BY created_at DESC, id DESC OFFSET $offset LIMIT $limit");
        return [map { $_->[0] } @ids];
    };
    for my $q ("search=$deep", "skills=$deep", "category=deep&search=$deep") {
        for my $case ([11, 100], [12, 100], [15, 70], [1002, 1], [1003, 1], [1149, 1]) {
            my ($page, $limit) = @$case;
            my $offset = ($page - 1) * $limit;
            for my $who (undef, $blocker) {
                ($s, $d) = api(GET => "/api/gigs?$q&page=$page&limit=$limit", $who ? (token => $who->{token}) : ());
                is $s, 200, "$q page $page × $limit" . ($who ? ' signed in' : '');
                is_deeply [map { $_->{id} } @{ $d->{data}{data} }], $expect->($offset, $limit),
                    "$q page $page × $limit: the rows of that offset, in order" . ($who ? ' (signed in)' : '');
                is $d->{data}{total}, 1000, "$q: total is the cap";
                is $d->{data}{page}, $page, "$q: page $page";
                is $d->{data}{hasMore}, ($offset + $limit < 1149 ? JSON::PP::true : JSON::PP::false), "$q: hasMore";
            }
        }
    }
    psql("DELETE FROM gigs WHERE '$deep' = ANY (skills_required)");
}

# invalid parameters name themselves
for my $case (
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'], ['limit=1.5', 'limit'],
    ['page=0', 'page'], ['page=x', 'page'], ['page=100001', 'page'],
    ['budget_min=-1', 'budget_min'], ['budget_min=abc', 'budget_min'], ['budget_max=1.234', 'budget_max'],
    ['budget_min=1e5', 'budget_min'], ['budget_min=500&budget_max=100', 'budget_max'],
    ['location_type=space', 'location_type'], ['posted_within=year', 'posted_within'], ['sort=relevance', 'sort'],
    ['search=' . ('x' x 201), 'search'], ['skills=' . join(',', map {"s$_"} 1 .. 21), 'skills'],
    ['ai_tools=,,', 'ai_tools'], ['skills=' . ('y' x 51), 'skills'], ['search=', 'search'],
) {
    my ($q, $field) = @$case;
    ($s, $d) = api(GET => "/api/gigs?$q");
    is $s, 400, "$q → 400";
    ok $d->{fields}{$field}, "fields.$field named for $q";
}
($s, $d) = api(GET => '/api/gigs?limit=0&page=0&sort=x');
is_deeply [sort keys %{ $d->{fields} }], [qw(limit page sort)], 'every bad parameter named';

# SQL metacharacters in every text filter are just text
for my $evil ("'", "' OR '1'='1", "'; DROP TABLE gigs; --", '\\', '%', '_', '"', ');--', "\x{2019}") {
    my $enc = $evil;
    my $label = $evil =~ /[^\x00-\x7f]/ ? 'U+2019' : $evil;
    utf8::encode($enc);
    $enc =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
    for my $f (qw(search category skills ai_tools)) {
        ($s, $d) = api(GET => "/api/gigs?$f=$enc");
        is $s, 200, "$f with metacharacters ($label) → 200";
        is $d->{data}{total}, 0, "$f ($label) matches nothing" unless $f eq 'search';
    }
}
my ($gcount) = psql_row("SELECT count(*) FROM gigs WHERE category = '$tag'");
is $gcount, 6, 'gigs table intact';

# unfiltered totals come from per-status counters: they must stay exact
# (gigs hidden by moderation, sql/018, are neither listed nor counted)
sub active_count { my ($n) = psql_row("SELECT count(*) FROM gigs WHERE status = 'active' AND hidden_at IS NULL"); return $n }
($s, $d) = api(GET => '/api/gigs?limit=1');
is $d->{data}{total}, active_count(), 'unfiltered total exact';
api(PUT => "/api/gigs/$g{design}{id}/status", token => $p->{token}, json => { status => 'paused' });
($s, $d) = api(GET => '/api/gigs?limit=1');
is $d->{data}{total}, active_count(), 'exact after a status change';
api(PUT => "/api/gigs/$g{design}{id}/status", token => $p->{token}, json => { status => 'active' });
my $tmp = new_gig($p, category => $tag . 'x');
api(DELETE => "/api/gigs/$tmp->{id}", token => $p->{token});
($s, $d) = api(GET => '/api/gigs?limit=1');
is $d->{data}{total}, active_count(), 'exact after create and delete';
my ($cnt) = psql_row("SELECT sum(n) FROM gig_counts WHERE status = 'draft'");
my ($real) = psql_row("SELECT count(*) FROM gigs WHERE status = 'draft'");
is $cnt, $real, 'draft counter exact too';

# --- recommendations ---
my $me = new_user();
($s) = api(GET => '/api/me/recommended-gigs');
is $s, 401, 'recommended needs auth';
api(PATCH => '/api/profile', token => $me->{token},
    json => { skills => ['python', 'react'], ai_tools => ['claude'], hourly_rate => 20 });
($s, $d) = api(GET => '/api/me/recommended-gigs?limit=100', token => $me->{token});
is $s, 200, 'recommended 200';
my @rec = grep { ($_->{category} // '') eq $tag } @{ $d->{data}{data} };
is_deeply [sort map { $_->{id} } @rec], want(qw(react python old)), 'only gigs sharing a skill or tool';
is $rec[0]{id}, $g{python}{id}, 'python gig (skill + tool + budget fit) ranks first';
ok defined $rec[0]{match_score}, 'match_score shown';
ok $d->{data}{total} >= 3, 'paginated total';
($s, $d) = api(GET => '/api/me/recommended-gigs?limit=1&page=1', token => $me->{token});
is scalar @{ $d->{data}{data} }, 1, 'recommended limit';
($s, $d) = api(GET => '/api/me/recommended-gigs?limit=500', token => $me->{token});
is $s, 400, 'recommended limit validated';
($s, $d) = api(GET => '/api/me/recommended-gigs', token => $p->{token});
ok !(grep { $_->{poster_id} eq $p->{id} } @{ $d->{data}{data} }), 'never your own gigs';

done_testing;
