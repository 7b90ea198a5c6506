# Blocks (issue 15, item 3): block / unblock / list; a blocked pair — whichever of the two
# blocked — is refused 403 on every interaction path (open a conversation, send in an
# existing one, call, apply, review) and neither sees the other's gigs in search (signed in)
# or recommendations; unblocking restores all of it.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $word = 'zqblk' . int(rand(1e9));      # a word only this test's gigs carry
my $skill = "blkskill$word";
my $a = new_user();
my $b = new_user();
my $c = new_user();    # a bystander who sees everything
my $ga = new_gig($a, title => "Alpha $word job", skills_required => [$skill]);
my $gb = new_gig($b, title => "Bravo $word job", skills_required => [$skill]);

# Work done together before the block: a accepted b on a gig, and they talk.
my $gr = new_gig($a, title => "Review gig $word");
my (undef, $app) = apply_to($b, $gr->{id});
($s) = api(PUT => "/api/applications/$app->{data}{id}/status", token => $a->{token}, json => { status => 'accepted' });
is $s, 200, 'b accepted on a\'s gig';
(undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
my $cid = $d->{data}{id};
ok $cid, 'a conversation before the block';

sub search_ids {
    my ($u, $q) = @_;
    my ($st, $r) = api(GET => "/api/gigs?$q", $u ? (token => $u->{token}) : ());
    return ($st, $r, { map { $_->{id} => 1 } @{ $r->{data}{data} || [] } });
}
sub rec_ids {
    my ($u) = @_;
    my ($st, $r) = api(GET => '/api/me/recommended-gigs?limit=100', token => $u->{token});
    return { map { $_->{id} => 1 } @{ $r->{data}{data} || [] } };
}
# The profiles carry the gigs' rare skill, so both gigs are recommendation candidates.
for my $u ($a, $b, $c) {
    ($s) = api(PATCH => '/api/profile', token => $u->{token}, json => { skills => [$skill] });
    is $s, 200, 'profile skill set';
}

subtest 'block, its errors and the list' => sub {
    ($s) = api(POST => "/api/users/$b->{id}/block");
    is $s, 401, 'block needs auth';
    ($s) = api(GET => '/api/me/blocks');
    is $s, 401, 'list needs auth';
    ($s, $d) = api(POST => "/api/users/$a->{id}/block", token => $a->{token});
    is $s, 400, 'blocking yourself → 400';
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    ok $d->{fields}{id}, 'fields.id names it';
    ($s) = api(POST => '/api/users/' . uuid_random() . '/block', token => $a->{token});
    is $s, 404, 'unknown user → 404';
    ($s) = api(POST => '/api/users/nope/block', token => $a->{token});
    is $s, 404, 'malformed id → 404';

    ($s, $d) = api(POST => "/api/users/$b->{id}/block", token => $a->{token});
    is $s, 201, 'a blocks b → 201';
    is $d->{data}{user_id}, $b->{id}, 'user_id';
    is $d->{data}{user}{id}, $b->{id}, 'the blocked profile embedded';
    ok $d->{data}{created_at}, 'created_at';
    my $at = $d->{data}{created_at};
    ($s, $d) = api(POST => "/api/users/$b->{id}/block", token => $a->{token});
    is $s, 200, 'blocking again → 200 (idempotent)';
    is $d->{data}{created_at}, $at, 'the same block';
    my ($n) = psql_row("SELECT count(*) FROM blocks WHERE blocker_id = '$a->{id}'");
    is $n, 1, 'one row';

    ($s, $d) = api(GET => '/api/me/blocks', token => $a->{token});
    is $s, 200, 'list';
    is $d->{data}{total}, 1, 'total 1';
    is $d->{data}{page}, 1, 'page';
    is $d->{data}{limit}, 20, 'default limit';
    ok !$d->{data}{hasMore}, 'hasMore false';
    is $d->{data}{data}[0]{user_id}, $b->{id}, 'lists b';
    ($s, $d) = api(GET => '/api/me/blocks', token => $b->{token});
    is $d->{data}{total}, 0, 'the blocked user\'s own list is empty';
    ($s, $d) = api(GET => '/api/me/blocks?limit=0', token => $a->{token});
    is $s, 400, 'bad limit → 400';
    ok $d->{fields}{limit}, 'fields.limit';
};

# Both directions: the blocker and the blocked are refused alike.
for my $dir ([$a, $b, $gb, 'blocker → blocked'], [$b, $a, $ga, 'blocked → blocker']) {
    my ($me, $other, $other_gig, $name) = @$dir;
    subtest "refused: $name" => sub {
        ($s, $d) = api(POST => '/api/conversations', token => $me->{token}, json => { participant_id => $other->{id} });
        is $s, 403, 'open a conversation → 403';
        is $d->{code}, 'FORBIDDEN', 'FORBIDDEN';
        like $d->{error}, qr/blocked/, 'the message says why';
        ($s) = api(POST => '/api/conversations', token => $me->{token},
                   json => { participant_id => $other->{id}, gig_id => $other_gig->{id} });
        is $s, 403, 'open one about their gig → 403';
        ($s) = api(POST => "/api/conversations/$cid/messages", token => $me->{token}, json => { content => 'hello?' });
        is $s, 403, 'send in the existing conversation → 403';
        ($s) = api(POST => '/api/calls', token => $me->{token}, json => { participant_id => $other->{id} });
        is $s, 403, 'call them → 403';
        ($s, $d) = apply_to($me, $other_gig->{id});
        is $s, 403, 'apply to their gig → 403';
        like $d->{error}, qr/blocked/, 'the message says why';
        ($s) = api(POST => '/api/reviews', token => $me->{token},
                   json => { gig_id => $gr->{id}, reviewee_id => $other->{id}, rating => 5 });
        is $s, 403, 'review them → 403';
        my ($st, $r, $ids) = search_ids($me, "search=$word&limit=100");
        is $st, 200, 'search';
        ok !$ids->{ $other_gig->{id} }, 'their gig is not in my search';
        ok $ids->{ ($me == $a ? $ga : $gb)->{id} }, 'my own gig is';
        is $r->{data}{total}, scalar(keys %$ids), 'total counts only what is shown';
        (undef, undef, $ids) = search_ids($me, "skills=$skill&limit=100");
        ok !$ids->{ $other_gig->{id} }, 'nor in a skill search';
        (undef, undef, $ids) = search_ids($me, 'limit=100');
        ok !$ids->{ $other_gig->{id} }, 'nor in the unfiltered newest page';
        (undef, undef, $ids) = search_ids($me, "search=$word&sort=budget&limit=100");
        ok !$ids->{ $other_gig->{id} }, 'nor sorted by budget';
        ok !rec_ids($me)->{ $other_gig->{id} }, 'nor in my recommendations';
    };
}

subtest 'nobody else is affected' => sub {
    my (undef, $r, $ids) = search_ids($c, "search=$word&limit=100");
    ok $ids->{ $ga->{id} } && $ids->{ $gb->{id} }, 'a bystander sees both gigs';
    (undef, undef, $ids) = search_ids(undef, "search=$word&limit=100");
    ok $ids->{ $ga->{id} } && $ids->{ $gb->{id} }, 'so does an anonymous search';
    my $rec = rec_ids($c);
    ok $rec->{ $ga->{id} } && $rec->{ $gb->{id} }, 'and the bystander\'s recommendations';
    (undef, undef, $ids) = search_ids({ token => 'not-a-valid-token-at-all' }, "search=$word&limit=100");
    ok $ids->{ $ga->{id} } && $ids->{ $gb->{id} }, 'an invalid token searches as anonymous';
    ($s) = api(POST => '/api/conversations', token => $c->{token}, json => { participant_id => $b->{id} });
    ok $s == 200 || $s == 201, 'c still talks to b';
    ($s) = apply_to($c, $gb->{id});
    is $s, 201, 'c still applies to b\'s gig';
};

subtest 'unblock restores everything' => sub {
    ($s) = api(DELETE => "/api/users/$b->{id}/block");
    is $s, 401, 'unblock needs auth';
    ($s) = api(DELETE => "/api/users/$a->{id}/block", token => $b->{token});
    is $s, 200, 'b lifting a block that does not exist: 200 (idempotent), and a\'s block stays';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'hi' });
    is $s, 403, 'still refused: a\'s block is a\'s';
    ($s) = api(DELETE => "/api/users/$b->{id}/block", token => $a->{token});
    is $s, 200, 'a unblocks b';
    ($s, $d) = api(GET => '/api/me/blocks', token => $a->{token});
    is $d->{data}{total}, 0, 'list empty';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'hi again' });
    is $s, 201, 'b sends again';
    ($s) = apply_to($b, $ga->{id});
    is $s, 201, 'b applies to a\'s gig';
    ($s) = api(POST => '/api/reviews', token => $b->{token}, json => { gig_id => $gr->{id}, reviewee_id => $a->{id}, rating => 4 });
    is $s, 201, 'b reviews a';
    my (undef, undef, $ids) = search_ids($a, "search=$word&limit=100");
    ok $ids->{ $gb->{id} }, 'a sees b\'s gig again';
    ok rec_ids($a)->{ $gb->{id} }, 'and in recommendations';
};

done_testing;
