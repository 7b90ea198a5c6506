# Reports (issue 15, item 3): POST /api/reports stores one report per reporter and
# subject (201, then 200 with the stored report unchanged); each field validated; a
# subject the reporter cannot see is 404, whatever its type.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $me = new_user();
my $x = new_user();
my $y = new_user();

sub report { my ($u, %o) = @_; return api(POST => '/api/reports', token => $u->{token}, json => { reason => 'spam', %o }) }

subtest 'auth and validation' => sub {
    ($s) = api(POST => '/api/reports', json => { subject_type => 'user', subject_id => $x->{id}, reason => 'spam' });
    is $s, 401, 'needs auth';
    for my $case (
        [{ subject_type => 'planet', subject_id => $x->{id} }, 'subject_type', 'one of'],
        [{ subject_id => $x->{id} }, 'subject_type', 'required'],
        [{ subject_type => 'user', subject_id => 'bob' }, 'subject_id', 'UUID'],
        [{ subject_type => 'user' }, 'subject_id', 'required'],
        [{ subject_type => 'user', subject_id => $x->{id}, reason => '' }, 'reason', 'required'],
        [{ subject_type => 'user', subject_id => $x->{id}, reason => 'r' x 201 }, 'reason', 'at most 200'],
        [{ subject_type => 'user', subject_id => $x->{id}, reason => 5 }, 'reason', 'string'],
        [{ subject_type => 'user', subject_id => $x->{id}, details => 'd' x 5001 }, 'details', 'at most 5000'],
        [{ subject_type => 'user', subject_id => $me->{id} }, 'subject_id', 'yourself'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = report($me, %$in);
        is $s, 400, "invalid $field → 400";
        is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
    }
    ($s, $d) = api(POST => '/api/reports', token => $me->{token}, body => '{"subject_type":',
                   headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON → 400';
    ($s) = api(POST => '/api/reports', token => $me->{token}, body => '{"reason":"' . ('x' x (1024 * 1024 + 10)) . '"}',
               headers => { 'Content-Type' => 'application/json' });
    is $s, 413, 'body over 1 MiB → 413';
};

subtest 'a user: once per reporter' => sub {
    ($s, $d) = report($me, subject_type => 'user', subject_id => $x->{id}, reason => 'harassment', details => 'rude');
    is $s, 201, 'reported → 201';
    my $r = $d->{data};
    is $r->{subject_type}, 'user', 'subject_type';
    is $r->{subject_id}, $x->{id}, 'subject_id';
    is $r->{reason}, 'harassment', 'reason';
    is $r->{details}, 'rude', 'details';
    is $r->{status}, 'open', 'open';
    ($s, $d) = report($me, subject_type => 'user', subject_id => $x->{id}, reason => 'something else');
    is $s, 200, 'again → 200 (idempotent)';
    is $d->{data}{id}, $r->{id}, 'the same report';
    is $d->{data}{reason}, 'harassment', 'unchanged';
    my ($n) = psql_row("SELECT count(*) FROM reports WHERE reporter_id = '$me->{id}' AND subject_id = '$x->{id}'");
    is $n, 1, 'stored once';
    my @twice = parallel(4, sub {
        my (undef, $dd) = report($y, subject_type => 'user', subject_id => $x->{id});
        return $dd->{data}{id};
    });
    is scalar(grep { defined && $_ eq $twice[0] } @twice), 4, 'four at once: one report, answered to all';
    ($s) = report($y, subject_type => 'user', subject_id => $me->{id});
    is $s, 201, 'another reporter files their own';
    ($s) = report($me, subject_type => 'user', subject_id => uuid_random());
    is $s, 404, 'unknown user → 404';
};

subtest 'a gig: only one the reporter can see' => sub {
    my $gig = new_gig($x);
    my $draft = new_gig($x, status => 'draft');
    ($s) = report($me, subject_type => 'gig', subject_id => $gig->{id});
    is $s, 201, 'an active gig';
    ($s, $d) = report($me, subject_type => 'gig', subject_id => $draft->{id});
    is $s, 404, 'someone else\'s draft → 404';
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND';
    ($s) = report($x, subject_type => 'gig', subject_id => $draft->{id});
    is $s, 201, 'its poster sees it (a self-report is harmless)';
    ($s) = report($me, subject_type => 'gig', subject_id => uuid_random());
    is $s, 404, 'unknown gig → 404';
};

subtest 'a message: only in the reporter\'s conversations' => sub {
    (undef, $d) = api(POST => '/api/conversations', token => $x->{token}, json => { participant_id => $y->{id} });
    my $cid = $d->{data}{id};
    (undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $x->{token}, json => { content => 'buy now' });
    my $mid = $d->{data}{id};
    ok $mid, 'a message between x and y';
    ($s) = report($me, subject_type => 'message', subject_id => $mid);
    is $s, 404, 'not a participant → 404';
    ($s) = report($y, subject_type => 'message', subject_id => $mid);
    is $s, 201, 'its recipient reports it';
    ($s) = report($y, subject_type => 'message', subject_id => $mid, reason => 'again');
    is $s, 200, 'once';
};

subtest 'a review' => sub {
    my $gig = new_gig($x);
    my (undef, $app) = apply_to($y, $gig->{id});
    api(PUT => "/api/applications/$app->{data}{id}/status", token => $x->{token}, json => { status => 'accepted' });
    (undef, $d) = api(POST => '/api/reviews', token => $x->{token}, json => { gig_id => $gig->{id}, reviewee_id => $y->{id}, rating => 1 });
    my $rid = $d->{data}{id};
    ok $rid, 'a review';
    ($s) = report($me, subject_type => 'review', subject_id => $rid);
    is $s, 201, 'reviews are public: anyone reports one';
    ($s) = report($me, subject_type => 'review', subject_id => uuid_random());
    is $s, 404, 'unknown review → 404';
    ($s) = report($me, subject_type => 'review', subject_id => $x->{id});
    is $s, 404, 'a user id as a review → 404';
};

done_testing;
