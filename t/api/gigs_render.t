# GET /api/gigs/:id renders in the worker (lib/json_out.c, gigs.c render_gig) what
# gig_json() renders in PostgreSQL: for gigs with and without an organization, nulls,
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

subtest 'not found' => sub {
    my ($s) = api(GET => '/api/gigs/' . uuid_random());
    is $s, 404, 'unknown id';
    ($s) = api(GET => '/api/gigs/not-a-uuid');
    is $s, 404, 'malformed id';
};

done_testing();
