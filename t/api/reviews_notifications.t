# Reviews (poster ↔ accepted applicant only, once, rating 1–5, review_received) and
# ratings; notifications (list, unread_only, read, read-all, unread-count, ownership).
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $poster = new_user();
my $worker = new_user();
my $loser = new_user();
my $stranger = new_user();
my $gig = new_gig($poster);
my (undef, $wa) = apply_to($worker, $gig->{id});
my (undef, $la) = apply_to($loser, $gig->{id});

sub review { my ($u, %o) = @_; return api(POST => '/api/reviews', token => $u->{token}, json => { gig_id => $gig->{id}, rating => 5, %o }) }

($s) = api(POST => '/api/reviews', json => { gig_id => $gig->{id}, reviewee_id => $worker->{id}, rating => 5 });
is $s, 401, 'review needs auth';
($s, $d) = review($poster, reviewee_id => $worker->{id});
is $s, 403, 'no accepted applicant yet → 403';
api(PUT => "/api/applications/$wa->{data}{id}/status", token => $poster->{token}, json => { status => 'accepted' });

for my $case (
    [{ reviewee_id => $worker->{id}, rating => 0 }, 'rating', 'at least 1'],
    [{ reviewee_id => $worker->{id}, rating => 6 }, 'rating', 'at most 5'],
    [{ reviewee_id => $worker->{id}, rating => 4.5 }, 'rating', 'integer'],
    [{ reviewee_id => $worker->{id}, rating => '5' }, 'rating', 'number'],
    [{ reviewee_id => 'bob' }, 'reviewee_id', 'UUID'],
    [{ reviewee_id => $worker->{id}, comment => 'x' x 2001 }, 'comment', 'at most 2000'],
    [{ reviewee_id => $worker->{id}, gig_id => 'x' }, 'gig_id', 'UUID'],
    [{ reviewee_id => $poster->{id} }, 'reviewee_id', 'yourself'],
) {
    my ($in, $field, $msg) = @$case;
    ($s, $d) = review($poster, %$in);
    is $s, 400, "invalid $field → 400";
    like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
}
($s) = review($poster, reviewee_id => $loser->{id});
is $s, 403, 'poster cannot review a non-accepted applicant';
($s) = review($stranger, reviewee_id => $poster->{id});
is $s, 403, 'a stranger cannot review the poster';
($s) = review($loser, reviewee_id => $poster->{id});
is $s, 403, 'a non-accepted applicant cannot review the poster';
($s) = review($poster, reviewee_id => $worker->{id}, gig_id => uuid_random());
is $s, 404, 'unknown gig → 404';

($s, $d) = review($poster, reviewee_id => $worker->{id}, rating => 4, comment => "Great work'; --");
is $s, 201, 'poster reviews accepted applicant';
is $d->{data}{rating}, 4, 'rating';
is $d->{data}{reviewer}{id}, $poster->{id}, 'reviewer embedded';
is $d->{data}{comment}, "Great work'; --", 'comment verbatim';
($s, $d) = review($poster, reviewee_id => $worker->{id}, rating => 1);
is $s, 409, 'second review → 409';
($s, $d) = review($worker, reviewee_id => $poster->{id}, rating => 5);
is $s, 201, 'accepted applicant reviews the poster';
my ($rn) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$worker->{id}' AND type = 'review_received'");
is $rn, 1, 'review_received notification';

($s, $d) = api(GET => "/api/users/$worker->{id}/reviews");
is $s, 200, 'reviews public';
is scalar @{ $d->{data}{data} }, 1, 'one review';
is_deeply [@{ $d->{data} }{qw(total page limit)}], [1, 1, 20], 'paginated: total, page, limit';
ok !$d->{data}{hasMore}, 'hasMore false';
is $d->{data}{data}[0]{reviewer}{username}, $poster->{username}, 'with reviewer';
ok !exists $d->{data}{data}[0]{reviewer}{email}, 'reviewer without email';
($s, $d) = api(GET => "/api/users/$worker->{id}/reviews?limit=0");
is $s, 400, 'reviews: bad limit 400';
ok $d->{fields}{limit}, 'naming limit';
($s, $d) = api(GET => "/api/users/$worker->{id}/rating");
is_deeply $d->{data}, { average => 4, count => 1 }, 'rating {average, count}';
($s, $d) = api(GET => "/api/profiles/$worker->{username}");
is_deeply $d->{data}{rating}, { average => 4, count => 1 }, 'rating on the public profile';
($s, $d) = api(GET => "/api/users/$stranger->{id}/rating");
is_deeply $d->{data}, { average => 0, count => 0 }, 'no reviews: 0/0';
($s) = api(GET => '/api/users/' . uuid_random() . '/reviews');
is $s, 404, 'unknown user reviews 404';
($s) = api(GET => '/api/users/nope/rating');
is $s, 404, 'malformed user id 404';

# --- notifications ---
($s) = api(GET => '/api/notifications');
is $s, 401, 'notifications need auth';
($s, $d) = api(GET => '/api/notifications', token => $poster->{token});
is $s, 200, 'list';
my @n = @{ $d->{data}{data} };
is $d->{data}{total}, 3, 'paginated: total';
ok !$d->{data}{hasMore}, 'hasMore false';
is scalar @n, 3, 'two new_application + one review_received';
is $n[0]{type}, 'review_received', 'newest first';
is $n[-1]{type}, 'new_application', 'oldest last';
ok !grep({ $_->{user_id} ne $poster->{id} } @n), 'only my own';
($s, $d) = api(GET => '/api/notifications/unread-count', token => $poster->{token});
is_deeply $d->{data}, { count => 3 }, 'unread count 3';

($s) = api(POST => "/api/notifications/$n[0]{id}/read", token => $worker->{token});
is $s, 404, "reading someone else's notification → 404";
my ($ra) = psql_row("SELECT read_at IS NULL FROM notifications WHERE id = '$n[0]{id}'");
is $ra, 't', 'still unread';
($s, $d) = api(POST => "/api/notifications/$n[0]{id}/read", token => $poster->{token});
is $s, 200, 'read';
like $d->{data}{read_at}, qr/^\d{4}-\d\d-\d\dT/, 'read_at set';
($s) = api(POST => '/api/notifications/' . uuid_random() . '/read', token => $poster->{token});
is $s, 404, 'unknown notification 404';
($s) = api(POST => '/api/notifications/x/read', token => $poster->{token});
is $s, 404, 'malformed id 404';
($s, $d) = api(GET => '/api/notifications?unread_only=true', token => $poster->{token});
is scalar @{ $d->{data}{data} }, 2, 'unread_only';
is $d->{data}{total}, 2, 'unread_only total';
($s, $d) = api(GET => '/api/notifications?unread_only=maybe', token => $poster->{token});
is $s, 400, 'bad unread_only 400';
ok $d->{fields}{unread_only}, 'names unread_only';
($s, $d) = api(GET => '/api/notifications?limit=1', token => $poster->{token});
is scalar @{ $d->{data}{data} }, 1, 'limit';
ok $d->{data}{hasMore}, 'hasMore with limit=1';
is $d->{data}{data}[0]{id}, $n[0]{id}, 'page 1 is the newest';
($s, $d) = api(GET => '/api/notifications?limit=1&page=3', token => $poster->{token});
is $d->{data}{data}[0]{id}, $n[2]{id}, 'page 3 of 1 is the oldest';
ok !$d->{data}{hasMore}, 'last page: hasMore false';
for my $bad ('limit=101', 'page=0', 'page=101&limit=100') {
    ($s, $d) = api(GET => "/api/notifications?$bad", token => $poster->{token});
    is $s, 400, "notifications $bad refused";
}
($s, $d) = api(GET => '/api/notifications/unread-count', token => $poster->{token});
is $d->{data}{count}, 2, 'unread count 2';
($s, $d) = api(POST => '/api/notifications/read-all', token => $poster->{token});
is $s, 200, 'read-all';
is $d->{data}{updated}, 2, 'two updated';
($s, $d) = api(GET => '/api/notifications/unread-count', token => $poster->{token});
is $d->{data}{count}, 0, 'none unread';
($s, $d) = api(GET => '/api/notifications/unread-count', token => $worker->{token});
ok $d->{data}{count} >= 1, "other users' notifications untouched";
($s) = api(POST => '/api/notifications/read-all');
is $s, 401, 'read-all needs auth';

done_testing;
