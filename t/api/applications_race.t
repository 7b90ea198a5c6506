# Concurrency: 25 simultaneous applications keep applications_count exact; 20 simultaneous
# posts by one free user → exactly 10 succeed.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my $poster = new_user();
my $gig = new_gig($poster);
my @users = map { new_user() } 1 .. 25;
my @res = parallel(25, sub {
    my ($i) = @_;
    my ($s) = apply_to($users[$i], $gig->{id});
    return { status => $s };
});
is scalar(grep { $_->{status} == 201 } @res), 25, '25 applications accepted';
my ($count) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)");
is $count, 25, 'applications_count exactly 25';
my ($rows) = psql_row("SELECT count(*) FROM applications WHERE gig_id = '$gig->{id}'");
is $rows, 25, '25 rows';
my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$poster->{id}' AND type = 'new_application'");
is $n, 25, 'one notification each';

# the same applicant 10 times at once: exactly one succeeds
my $dup = new_user();
@res = parallel(10, sub { my ($s) = apply_to($dup, $gig->{id}); return { status => $s } });
is scalar(grep { $_->{status} == 201 } @res), 1, 'one of ten identical applications succeeds';
is scalar(grep { $_->{status} == 409 } @res), 9, 'the rest 409';
($count) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)");
is $count, 26, 'count still exact';

my $free = new_user();
@res = parallel(20, sub {
    my ($s) = api(POST => '/api/gigs', token => $free->{token}, json => gig_input(title => "race $_[0]"));
    return { status => $s };
});
is scalar(grep { $_->{status} == 201 } @res), 10, 'exactly 10 of 20 simultaneous posts succeed';
is scalar(grep { $_->{status} == 402 } @res), 10, 'the other 10 → 402';
my ($gigs) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$free->{id}'");
is $gigs, 10, '10 gigs stored';
my ($used) = psql_row("SELECT count FROM post_usage WHERE user_id = '$free->{id}'");
is $used, 10, 'usage 10';

done_testing;
