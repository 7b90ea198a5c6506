# Suspension (issue 15, item 4): every session of the suspended user dies at once —
# HTTP tokens and open real-time streams (EventSource and WebSocket) — sign-in answers
# 403 ACCOUNT_SUSPENDED (only to who knows the password), their content is hidden from
# others, a moderator cannot suspend a peer; lifting it restores sign-in and content.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;
use GigdStream;

my ($s, $d);
my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";
sub role { my ($u, $r) = @_; `$gigctl user role '$u->{email}' $r 2>&1`; return $? >> 8 }
sub signin {
    my ($u, $pw) = @_;
    return api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $pw // $u->{password} });
}
sub stream { my ($mode, $path, %o) = @_; return GigdStream->new($mode, $ENV{GIGD_TEST_BASE}, $path, %o) }

my $mod = new_user();
my $mod2 = new_user();
my $admin = new_user();
my $bad = new_user();
my $other = new_user();
is role($mod, 'moderator'), 0, 'moderator';
is role($mod2, 'moderator'), 0, 'second moderator';
is role($admin, 'admin'), 0, 'admin';

my $word = 'zqsusp' . int(rand(1e9));
my $gig = new_gig($bad, title => "Suspicious $word gig");
my $ogig = new_gig($other, title => "Honest $word gig");
my (undef, $app) = apply_to($bad, $ogig->{id});
api(PUT => "/api/applications/$app->{data}{id}/status", token => $other->{token}, json => { status => 'accepted' });
(undef, $d) = api(POST => '/api/reviews', token => $bad->{token}, json => { gig_id => $ogig->{id}, reviewee_id => $other->{id}, rating => 1 });
my $review = $d->{data}{id};
(undef, $d) = api(POST => '/api/conversations', token => $bad->{token}, json => { participant_id => $other->{id} });
my $cid = $d->{data}{id};
(undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $bad->{token}, json => { content => 'spam spam' });
my $msg = $d->{data}{id};
ok $review && $msg, 'the user\'s content';
# A gig taken down before the suspension stays taken down after it is lifted.
my $gig2 = new_gig($bad, title => "Second $word gig");
($s) = api(POST => "/api/admin/gigs/$gig2->{id}/takedown", token => $mod->{token}, json => { reason => 'dup' });
is $s, 200, 'one gig taken down first';

sub visible {
    my (undef, $g) = api(GET => "/api/gigs/$gig->{id}", token => $other->{token});
    my (undef, $srch) = api(GET => "/api/gigs?search=$word&limit=100");
    my (undef, $m) = api(GET => "/api/conversations/$cid/messages", token => $other->{token});
    my (undef, $r) = api(GET => "/api/users/$other->{id}/reviews");
    return {
        gig => $g->{success} ? 1 : 0,
        search => scalar(grep { $_->{id} eq $gig->{id} } @{ $srch->{data}{data} || [] }),
        gig2 => scalar(grep { $_->{id} eq $gig2->{id} } @{ $srch->{data}{data} || [] }),
        message => scalar(grep { $_->{id} eq $msg } @{ $m->{data}{data} || [] }),
        review => scalar(grep { $_->{id} eq $review } @{ $r->{data} || [] }),
    };
}

subtest 'who may suspend whom' => sub {
    ($s) = api(POST => "/api/admin/users/$bad->{id}/suspend", token => $other->{token});
    is $s, 403, 'a user cannot';
    ($s) = api(POST => "/api/admin/users/$mod2->{id}/suspend", token => $mod->{token});
    is $s, 403, 'a moderator cannot suspend a moderator';
    ($s) = api(POST => "/api/admin/users/$admin->{id}/suspend", token => $mod->{token});
    is $s, 403, 'nor an admin';
    ($s) = api(POST => "/api/admin/users/$mod->{id}/suspend", token => $mod->{token});
    is $s, 403, 'nor themselves';
    ($s) = api(POST => '/api/admin/users/' . uuid_random() . '/suspend', token => $mod->{token});
    is $s, 404, 'unknown user → 404';
    ($s) = api(POST => "/api/admin/users/$bad->{id}/suspend", token => $mod->{token}, json => { reason => 7 });
    is $s, 400, 'reason not a string → 400';
    my (undef, $sess) = api(GET => '/api/auth/session', token => $mod2->{token});
    ok $sess->{success}, 'the refused target\'s session lives';
};

subtest 'suspension: every token and stream dies at once, content hidden' => sub {
    my $v = visible();
    ok $v->{gig} && $v->{search} && $v->{message} && $v->{review}, 'content visible before';
    my (undef, $g2) = signin($bad);
    my $tok2 = $g2->{data}{token};
    ok $tok2, 'a second session';
    my %st = (
        'notifications EventSource' => stream('sse', "/api/realtime/notifications?access_token=$bad->{token}"),
        'notifications WebSocket' => stream('ws', '/api/realtime/notifications', token => $tok2),
        'conversation EventSource' => stream('sse', "/api/realtime/conversations/$cid", token => $tok2),
    );
    for my $k (sort keys %st) {
        is $st{$k}{status}, ($k =~ /WebSocket/ ? 101 : 200), "$k open";
    }
    ($s, $d) = api(POST => "/api/admin/users/$bad->{id}/suspend", token => $mod->{token}, json => { reason => 'spam ring' });
    is $s, 200, 'suspended';
    ok $d->{data}{suspended}, 'suspended: true';
    is $d->{data}{sessions_revoked}, 2, 'both sessions revoked';
    for my $t ($bad->{token}, $tok2) {
        ($s) = api(GET => '/api/auth/session', token => $t);
        is $s, 401, 'a token is dead';
    }
    ($s) = api(POST => '/api/gigs', token => $bad->{token}, json => gig_input());
    is $s, 401, 'nothing can be written with it';
    for my $k (sort keys %st) {
        my $t = $st{$k}->ends_within(5);
        ok defined $t, "$k ended" . (defined $t ? sprintf(' (%.2f s)', $t) : ' (still open after 5 s)');
        $st{$k}->close;
    }
    my $again = stream('sse', "/api/realtime/notifications?access_token=$tok2");
    isnt $again->{status}, 200, 'a stream cannot be reopened with it';
    $again->close;

    ($s, $d) = signin($bad);
    is $s, 403, 'sign-in refused';
    is $d->{code}, 'ACCOUNT_SUSPENDED', 'ACCOUNT_SUSPENDED';
    ok !$d->{data}, 'no token';
    ($s, $d) = signin($bad, 'wrong password 123');
    is $s, 401, 'a wrong password is still 401: the suspension is not told to strangers';
    my ($n) = psql_row("SELECT count(*) FROM sessions WHERE user_id = '$bad->{id}' AND revoked_at IS NULL");
    is $n, 0, 'no live session left';

    $v = visible();
    is $v->{gig}, 0, 'their gig: 404 to others';
    is $v->{search}, 0, 'gone from search';
    is $v->{message}, 0, 'their message hidden from the other participant';
    is $v->{review}, 0, 'their review hidden';
    ($s) = api(GET => "/api/profiles/$bad->{username}");
    is $s, 404, 'their public profile: 404';
    ($s) = api(POST => '/api/reports', token => $other->{token}, json => { subject_type => 'user', subject_id => $bad->{id}, reason => 'x' });
    is $s, 404, 'a suspended user is not reportable (already handled)';
    ($s) = api(POST => "/api/admin/users/$bad->{id}/suspend", token => $mod->{token});
    is $s, 200, 'suspending again is harmless';
};

subtest 'a session cannot be created for a suspended account, even bypassing sign-in' => sub {
    my $ok = eval {
        psql("INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ('$bad->{id}', '\\x01', now() + interval '1 day')");
        1;
    };
    ok !$ok, 'the database refuses it';
};

subtest 'lifting the suspension' => sub {
    ($s) = api(POST => "/api/admin/users/$bad->{id}/unsuspend", token => $other->{token});
    is $s, 403, 'a user cannot';
    ($s, $d) = api(POST => "/api/admin/users/$bad->{id}/unsuspend", token => $mod->{token}, json => { reason => 'appeal' });
    is $s, 200, 'unsuspended';
    ok !$d->{data}{suspended}, 'suspended: false';
    ($s, $d) = signin($bad);
    is $s, 200, 'sign-in works again';
    my $v = visible();
    ok $v->{gig} && $v->{search} && $v->{message} && $v->{review}, 'content visible again';
    is $v->{gig2}, 0, 'the gig taken down before stays down';
    ($s) = api(GET => "/api/profiles/$bad->{username}");
    is $s, 200, 'the profile is back';
    my (undef, $audit) = api(GET => '/api/admin/audit-log?limit=100', token => $admin->{token});
    my %acts = map { $_->{action} => 1 } grep { $_->{subject_id} eq $bad->{id} } @{ $audit->{data}{data} };
    ok $acts{'user.suspend'} && $acts{'user.unsuspend'}, 'both in the audit log';
    ($s) = api(DELETE => "/api/admin/users/$bad->{id}/suspend", token => $admin->{token});
    is $s, 200, 'an admin may act too (DELETE alias)';
};

done_testing;
