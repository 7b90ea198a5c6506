# GET /api/gigs/:id and the pages of GET /api/gigs (search) render in the worker
# (lib/json_out.c, gigs.c gigs_render) what gig_json() renders in PostgreSQL: for gigs with and without an organization, nulls,
# unicode, quotes, control characters, odd arrays and amounts, the two outputs are the
# same bytes once whitespace outside strings is removed (same keys in the same order,
# same types, same number and time formats).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use GigdMarket;
use GigdOrg;

# JSON text without the whitespace between tokens (strings kept byte for byte).
sub squeeze {
    my ($t) = @_;
    my $out = '';
    while ($t =~ /\G(?:("(?:[^"\\]|\\.)*")|(\s+)|([^"\s]+))/gcs) {
        $out .= $1 // $3 // '';
    }
    die "unparsed JSON at " . pos($t) if (pos($t) // 0) < length $t;
    return $out;
}

sub sql_json {
    my ($id) = @_;
    my ($sql) = psql_row("SELECT gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE g.id = '$id'");
    return squeeze($sql);
}

# The worker's bytes for the gig as $user sees it, and gig_json's for the same row. A view
# by someone other than the gig's managers is counted by a batched flush that may land
# between the two reads: gig_json is read before and after, and the one the worker's
# views_count matches is compared.
sub both {
    my ($user, $id) = @_;
    my $before = sql_json($id);
    my ($s, $res) = api_raw(GET => "/api/gigs/$id", $user ? (token => $user->{token}) : ());
    is $s, 200, "GET $id";
    my $body = $res->{content};
    $body =~ s/^\{"success":true,"data":// and $body =~ s/\}$// or die "unexpected envelope: $body";
    my $worker = squeeze($body);
    my $after = sql_json($id);
    return ($worker, $worker eq $after ? $after : $before);
}

sub same {
    my ($user, $id, $name) = @_;
    my ($worker, $sql) = both($user, $id);
    is $worker, $sql, "$name: same bytes as gig_json";
    my $j = JSON::PP->new;
    is_deeply $j->decode($worker), $j->decode($sql), "$name: same structure" if $worker ne $sql;
    return $j->decode($worker);
}

my $poster = new_user(full_name => "Zoë \"Q\" O'Brien");

subtest 'personal gigs' => sub {
    my $g = new_gig($poster);
    my $d = same($poster, $g->{id}, 'default gig');
    is $d->{budget_max}, 250.5, 'money in major units';
    is ref $d->{poster}, 'HASH', 'poster embedded';
    is $d->{organization}, undef, 'no organization';
    like $d->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339 UTC, whole seconds';

    $g = new_gig($poster, title => "Naïve \"quoted\" \\ back/slash — 日本語 😀",
                 description => "Line one\nLine two\ttabbed \\n not a newline",
                 skills_required => ['a b', 'x,y', 'q"uote', 'back\\slash', 'NULL', '{}', 'ünï'],
                 ai_tools_preferred => [], budget_min => undef, budget_max => undef,
                 duration => undef, location => undef);
    same($poster, $g->{id}, 'unicode, quotes, escapes, odd array items, nulls');

    $g = new_gig($poster, budget_min => 0, budget_max => 0.05, duration => '2 weeks', location_type => 'onsite',
                 location => 'Zürich', budget_type => 'hourly');
    same($poster, $g->{id}, 'zero and cents');

    $g = new_gig($poster, status => 'draft');
    same($poster, $g->{id}, 'draft seen by its poster');
    my ($s) = api(GET => "/api/gigs/$g->{id}");
    is $s, 404, 'a draft stays hidden from others';

    # Values the API would not write: control characters, a NULL array element, large counts.
    my $odd = new_gig($poster);
    psql("UPDATE gigs SET title = E'ctl \\x01\\x1f\\x08\\x0c\\x7f end', skills_required = ARRAY['x', NULL, ''],"
         . " budget_max = 100000000, updated_at = '2026-01-02 03:04:05.999999+00' WHERE id = '$odd->{id}'");
    psql("INSERT INTO gig_stats (gig_id, views_count, applications_count) VALUES ('$odd->{id}', 9007199254740993, 0)"
         . " ON CONFLICT (gig_id) DO UPDATE SET views_count = excluded.views_count, applications_count = 0");
    psql("UPDATE profiles SET bio = E'multi\\nline \"bio\"', hourly_rate = 12345, skills = ARRAY['go','c'],"
         . " portfolio_urls = ARRAY['https://example.test/a?b=c&d'], timezone = 'Europe/Paris', genres = '{}',"
         . " avatar_url = NULL, location = NULL WHERE id = '$poster->{id}'");
    $d = same($poster, $odd->{id}, 'control characters, NULL element, big numbers, profile fields');
    is $d->{title}, "ctl \x01\x1f\x08\x0c\x7f end", 'control characters round-trip';
    is $d->{updated_at}, '2026-01-02T03:04:05Z', 'fraction truncated as iso() does';
    same(undef, $odd->{id}, 'seen anonymously');
};

subtest 'organization jobs' => sub {
    my $owner = new_user();
    my $member = new_user();
    my $org = new_org($owner, description => "We \"hire\" — ünicode");
    add_member($owner, $org, $member, 'member');
    my ($s, $d) = api(POST => "/api/organizations/$org->{id}/categories", token => $owner->{token},
                      json => { name => 'Design' });
    is $s, 201, 'category';
    my $cat = $d->{data};
    ($s, $d) = api(POST => "/api/organizations/$org->{id}/jobs", token => $member->{token},
                   json => gig_input(title => 'Designer', category_id => $cat->{id}));
    is $s, 201, 'job posted';
    my $job = $d->{data};
    $d = same($member, $job->{id}, 'organization job');
    is $d->{poster_id}, undef, 'no personal poster_id';
    is $d->{poster}, undef, 'no personal poster';
    is $d->{organization}{id}, $org->{id}, 'organization embedded';
    is $d->{category_id}, $cat->{id}, 'category_id';
    ($s, $d) = api(POST => "/api/organizations/$org->{id}/jobs", token => $member->{token},
                   json => gig_input(title => 'Draft job', status => 'draft'));
    is $s, 201, 'draft job';
    same($owner, $d->{data}{id}, 'draft job seen by another member');
    psql("UPDATE organizations SET website = NULL, logo_url = NULL WHERE id = '$org->{id}'");
    same(undef, $job->{id}, 'organization with nulls, anonymous');
};

# The items of a squeezed JSON array, as text (a scanner of brackets outside strings).
sub items {
    my ($t) = @_;
    $t =~ s/^\[// and $t =~ s/\]$// or die "not an array: $t";
    my ($depth, $cur, @out) = (0, '');
    while ($t =~ /\G(?:("(?:[^"\\]|\\.)*")|([\[{])|([\]}])|(,)|([^"\[\]{},]+))/gcs) {
        if (defined $4 && $depth == 0) { push @out, $cur; $cur = ''; next }
        $depth++ if defined $2;
        $depth-- if defined $3;
        $cur .= $1 // $2 // $3 // $4 // $5;
    }
    push @out, $cur if length $cur;
    return @out;
}

# Each gig of a search page as the worker wrote it against gig_json's bytes for the same
# row. Other tests' gigs (unfiltered pages) are viewed and applied to meanwhile: their
# two counters are compared as numbers of any value (the rest byte for byte); this
# test's own gigs, which nobody else reads, are compared whole.
sub counters_masked { my ($t) = @_; $t =~ s/"(applications_count|views_count)":\d+/"$1":N/g; return $t }
our %mine;
sub same_page {
    my ($user, $query, $name, $min) = @_;
    my ($s, $res) = api_raw(GET => "/api/gigs?$query", $user ? (token => $user->{token}) : ());
    is $s, 200, "$name: GET /api/gigs?$query";
    my $body = squeeze($res->{content});
    $body =~ /^\{"success":true,"data":\{"data":(\[.*\]),"total":/ or die "unexpected page: $body";
    my @got = items($1);
    cmp_ok scalar @got, '>=', $min, "$name: at least $min gigs";
    my @ids;
    for my $item (@got) {
        $item =~ /^\{"id":"([0-9a-f-]{36})"/ or die "no id first: $item";
        my ($id, $sql) = ($1, sql_json($1));
        ($item, $sql) = (counters_masked($item), counters_masked($sql)) unless $mine{$id};
        # Another test's gig edited between the page and gig_json (its updated_at moved)
        # says nothing about the renderers.
        my ($at_page) = $item =~ /"updated_at":"([^"]*)"\}$/;
        my ($at_sql) = $sql =~ /"updated_at":"([^"]*)"\}$/;
        if (!$mine{$id} && ($at_page // '') ne ($at_sql // '')) {
            pass "$name: gig $id was edited meanwhile by another test";
            push @ids, $id;
            next;
        }
        is $item, $sql, "$name: gig $id, same bytes as gig_json" . ($mine{$id} ? '' : ' (counters aside)');
        push @ids, $id;
    }
    return @ids;
}

subtest 'search pages' => sub {
    my $word = 'zqrender' . int(rand(1e9));
    my $owner = new_user();
    my $org = new_org($owner, description => "Searched \"org\" — ünicode");
    my ($s, $d) = api(POST => "/api/organizations/$org->{id}/jobs", token => $owner->{token},
                      json => gig_input(title => "Org job $word", budget_max => 999));
    is $s, 201, 'organization job';
    my $plain = new_gig($poster, title => "Plain $word", budget_min => undef, budget_max => undef);
    my $odd = new_gig($poster, title => "Odd $word");
    psql("UPDATE gigs SET title = E'Odd $word \\x01 \"q\" \\\\ 日本語', skills_required = ARRAY['x', NULL, ''],"
         . " description = E'a\\nb\\tc', updated_at = '2026-01-02 03:04:05.5+00' WHERE id = '$odd->{id}'");
    $mine{$_} = 1 for $d->{data}{id}, $plain->{id}, $odd->{id};
    my @ids = same_page(undef, "search=$word", 'a rare word (few-matches form), anonymous', 3);
    is scalar @ids, 3, 'the three gigs';
    same_page($poster, "search=$word&sort=budget", 'budget sort, signed in', 3);
    same_page(undef, "search=$word&limit=1&page=2", 'second page of one', 1);
    same_page(undef, 'limit=50', 'unfiltered (walk form)', 3);
    same_page($owner, 'sort=budget&limit=50', 'unfiltered budget sort, signed in', 3);

    ($s, $d) = api(GET => "/api/gigs?search=$word&limit=2");
    is $s, 200, 'first page of two';
    ok $d->{data}{hasMore}, 'hasMore';
    my $cursor = $d->{data}{next_cursor};
    ok $cursor, 'next_cursor';
    ($s, $d) = api(GET => "/api/gigs?search=$word&limit=2&cursor=$cursor");
    is $s, 200, 'the page after the cursor';
    is_deeply [map { $_->{id} } @{$d->{data}{data}}], [$ids[2]], 'continues after the cursor';
};

subtest 'not found' => sub {
    my ($s) = api(GET => '/api/gigs/' . uuid_random());
    is $s, 404, 'unknown id';
    ($s) = api(GET => '/api/gigs/not-a-uuid');
    is $s, 404, 'malformed id';
};

done_testing();
