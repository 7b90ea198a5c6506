# Gig ratings (seed 003 section 3.3): only the parties of a completed project, the other
# party only, once; the other's rating hidden until both have rated; public list of
# visible ratings; visible ratings feed the matching score (user_ratings).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);
my $stranger = new_user();
my $p = project_gig();
my ($req, $prov) = ($p->{req}, $p->{prov});
my %good = (project_id => $p->{project}, ratee_id => $prov->{id}, overall_rating => 5,
            professionalism_rating => 4, punctuality_rating => 5, review_text => 'Brilliant');

subtest 'before completion' => sub {
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => \%good);
    is $s, 409, 'project not completed 409';
};
($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $req->{token});
is $s, 200, 'completed';

subtest 'create: auth, validation, strangers' => sub {
    ($s) = api(POST => '/api/gig-ratings', json => \%good);
    is $s, 401, 'no auth 401';
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, body => '{"project_id":',
                   headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    for my $case (
        [project_id => undef], [project_id => 'x'], [ratee_id => undef], [overall_rating => undef],
        [overall_rating => 0], [overall_rating => 6], [overall_rating => 4.5], [overall_rating => '5'],
        [professionalism_rating => undef], [professionalism_rating => 9], [punctuality_rating => undef],
        [punctuality_rating => 0], [quality_rating => 6], [payment_promptness_rating => 0],
        [review_text => 'x' x 1001], [review_text => 7],
    ) {
        my ($k, $v) = @$case;
        my %b = %good;
        if (defined $v) { $b{$k} = $v } else { delete $b{$k} }
        ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => \%b);
        is $s, 400, "$k " . ($v // 'missing') . ': 400';
        ok $d->{fields}{$k}, "fields.$k" or diag explain $d;
    }
    ($s, $d) = api(POST => '/api/gig-ratings', token => $stranger->{token}, json => { %good, ratee_id => $req->{id} });
    is $s, 404, 'a stranger 404';
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => { %good, ratee_id => $req->{id} });
    is $s, 400, 'rating yourself 400';
    ok $d->{fields}{ratee_id}, 'fields.ratee_id';
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => { %good, ratee_id => $stranger->{id} });
    is $s, 400, 'rating a third person 400';
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => { %good, project_id => uuid_random() });
    is $s, 404, 'unknown project 404';
};

subtest 'visibility' => sub {
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token},
                   json => { %good, quality_rating => 4, payment_promptness_rating => undef });
    is $s, 201, 'requester rates 201';
    ok $d->{success}, 'success';
    ($s, $d) = api(POST => '/api/gig-ratings', token => $req->{token}, json => \%good);
    is $s, 409, 'twice 409';

    ($s, $d) = api(GET => "/api/gig-ratings/project/$p->{project}", token => $req->{token});
    is $s, 200, 'requester reads 200';
    is_deeply [@{ $d->{data} }{qw(both_submitted has_rated)}], [json_false(), json_true()], 'not both; has rated';
    is $d->{data}{my_rating}{overall_rating}, 5, 'my_rating';
    is $d->{data}{my_rating}{quality_rating}, 4, 'optional sub-rating stored';
    is $d->{data}{their_rating}, undef, 'their_rating null';
    ($s, $d) = api(GET => "/api/gig-ratings/project/$p->{project}", token => $prov->{token});
    is_deeply [@{ $d->{data} }{qw(both_submitted has_rated)}], [json_false(), json_false()], 'provider: has not rated';
    is $d->{data}{my_rating}, undef, 'no my_rating';
    is $d->{data}{their_rating}, undef, 'the requester\'s rating is hidden until the provider rates';
    ($s, $d) = api(GET => "/api/gig-ratings/user/$prov->{id}");
    is $s, 200, 'public list 200 without auth';
    is $d->{data}{total_reviews}, 0, 'hidden from the public too';
    is $d->{data}{average_rating}, undef, 'no average yet';
    my ($n) = psql_row("SELECT count(*) FROM user_ratings WHERE user_id = '$prov->{id}'");
    is $n, 0, 'and from matching';

    ($s) = api(POST => '/api/gig-ratings', token => $prov->{token},
               json => { project_id => $p->{project}, ratee_id => $req->{id}, overall_rating => 3,
                         professionalism_rating => 3, punctuality_rating => 4, payment_promptness_rating => 5 });
    is $s, 201, 'provider rates 201';
    ($s, $d) = api(GET => "/api/gig-ratings/project/$p->{project}", token => $prov->{token});
    is $d->{data}{both_submitted}, json_true(), 'both submitted';
    is $d->{data}{their_rating}{overall_rating}, 5, 'their_rating visible';
    is $d->{data}{their_rating}{review_text}, 'Brilliant', 'with its text';
    is $d->{data}{my_rating}{payment_promptness_rating}, 5, 'my_rating';
    ($s, $d) = api(GET => "/api/gig-ratings/user/$prov->{id}");
    is $d->{data}{total_reviews}, 1, 'public: one review';
    is $d->{data}{average_rating}, 5, 'average';
    is $d->{data}{ratings}[0]{rater_profile}{id}, $req->{id}, 'rater_profile';
    is $d->{data}{ratings}[0]{rater_id}, $req->{id}, 'rater_id';
    ($n) = psql_row("SELECT avg(rating) FROM user_ratings WHERE user_id = '$prov->{id}'");
    is 0 + $n, 5, 'feeds the matching score';

    ($s) = api(GET => "/api/gig-ratings/project/$p->{project}");
    is $s, 401, 'project ratings: no auth 401';
    ($s) = api(GET => "/api/gig-ratings/project/$p->{project}", token => $stranger->{token});
    is $s, 404, 'a stranger 404';
    ($s) = api(GET => '/api/gig-ratings/project/nope', token => $req->{token});
    is $s, 404, 'malformed id 404';
    ($s) = api(GET => '/api/gig-ratings/user/nope');
    is $s, 404, 'malformed user id 404';
    ($s, $d) = api(GET => "/api/gig-ratings/user/$stranger->{id}");
    is_deeply [$d->{data}{total_reviews}, scalar @{ $d->{data}{ratings} }], [0, 0], 'nobody rated: empty';
};

sub json_false { JSON::PP::false }

done_testing;
