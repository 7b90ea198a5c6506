# Video calls: instant and scheduled calls, upcoming and history lists, ending once
# (second end is 409), the call-reminders cron job notifying exactly once, failures.
use strict;
use warnings;
use Test::More;
use Gigd;
use POSIX qw(strftime);

my ($s, $d);
my $a = new_user();
my $b = new_user();
my $c = new_user();
my $iso = sub { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + $_[0])) };
my ($call, $sched, $soon);   # shared by the subtests below

subtest 'instant' => sub {
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id} });
    is $s, 201, 'instant call 201';
    $call = $d->{data};
    like $call->{room_id}, qr/^[A-Za-z0-9_-]{43}$/, 'room_id is 256 random bits';
    is $call->{join_url}, "https://video.test/room/$call->{room_id}", 'join_url = GIGD_VIDEO_BASE_URL + room';
    ok $call->{started_at}, 'instant: started_at set';
    is $call->{scheduled_at}, undef, 'instant: not scheduled';
    is $call->{ended_at}, undef, 'not ended';
    is $call->{initiator_id}, $a->{id}, 'initiator';
    is $call->{initiator}{id}, $a->{id}, 'initiator embedded';
    is_deeply $call->{participant_ids}, [$a->{id}, $b->{id}], 'participant_ids';
    is scalar @{ $call->{participants} }, 2, 'participants embedded';
    (undef, my $d2) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id} });
    isnt $d2->{data}{room_id}, $call->{room_id}, 'rooms differ';
};

subtest 'failures' => sub {
    ($s) = api(POST => '/api/calls', json => { participant_id => $b->{id} });
    is $s, 401, 'anonymous 401';
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => {});
    is $s, 400, 'missing participant 400';
    is $d->{fields}{participant_id}, 'is required', 'fields.participant_id';
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $a->{id} });
    is $s, 400, 'call yourself 400';
    ($s) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => uuid_random() });
    is $s, 404, 'unknown participant 404';
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id}, scheduled_at => 'tomorrow' });
    is $s, 400, 'scheduled_at not RFC 3339 400';
    like $d->{fields}{scheduled_at}, qr/RFC 3339/, 'says RFC 3339';
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id}, scheduled_at => $iso->(-60) });
    is $s, 400, 'scheduled_at in the past 400';
    like $d->{fields}{scheduled_at}, qr/future/, 'says future';
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, body => '{', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
};

subtest 'scheduled' => sub {
    ($s, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $b->{id}, scheduled_at => $iso->(3600) });
    is $s, 201, 'scheduled call 201';
    $sched = $d->{data};
    is $sched->{started_at}, undef, 'scheduled: not started';
    is $sched->{scheduled_at}, $iso->(3600) =~ s/\d\dZ$//r . substr($sched->{scheduled_at}, -3), 'scheduled_at kept';
    my ($nb) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$b->{id}' AND type = 'call_scheduled' AND data->>'call_id' = '$sched->{id}'");
    is $nb, 1, 'participant notified call_scheduled';
    my ($na) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$a->{id}' AND type = 'call_scheduled'");
    is $na, 0, 'initiator not notified';
    (undef, $d) = api(POST => '/api/calls', token => $b->{token}, json => { participant_id => $a->{id}, scheduled_at => $iso->(600) });
    $soon = $d->{data};

    ($s, $d) = api(GET => '/api/calls/upcoming', token => $b->{token});
    is $s, 200, 'upcoming 200';
    is_deeply [map { $_->{id} } @{ $d->{data} }], [$soon->{id}, $sched->{id}], 'upcoming: scheduled only, soonest first';
    ($s, $d) = api(GET => '/api/calls/upcoming', token => $c->{token});
    is_deeply $d->{data}, [], 'outsider has none';
    ($s) = api(GET => '/api/calls/upcoming');
    is $s, 401, 'anonymous upcoming 401';
};

subtest 'end' => sub {
    ($s, $d) = api(POST => "/api/calls/$call->{id}/end", token => $c->{token});
    is $s, 404, 'outsider cannot end (404)';
    ($s) = api(POST => "/api/calls/$call->{id}/end");
    is $s, 401, 'anonymous end 401';
    ($s) = api(POST => '/api/calls/' . uuid_random() . '/end', token => $a->{token});
    is $s, 404, 'unknown call 404';
    ($s) = api(POST => '/api/calls/nope/end', token => $a->{token});
    is $s, 404, 'malformed id 404';
    ($s, $d) = api(POST => "/api/calls/$call->{id}/end", token => $b->{token});
    is $s, 200, 'participant ends the call';
    ok $d->{data}{ended_at}, 'ended_at set';
    my $ended_at = $d->{data}{ended_at};
    ($s, $d) = api(POST => "/api/calls/$call->{id}/end", token => $a->{token});
    is $s, 409, 'second end 409';
    is $d->{code}, 'CONFLICT', 'CONFLICT';
    my ($still) = psql_row("SELECT iso(ended_at) FROM video_calls WHERE id = '$call->{id}'");
    is $still, $ended_at, 'ended_at set only once';
    api(POST => "/api/calls/$sched->{id}/end", token => $a->{token});

    ($s, $d) = api(GET => '/api/calls/history', token => $a->{token});
    is $s, 200, 'history 200';
    is_deeply [map { $_->{id} } @{ $d->{data} }], [$sched->{id}, $call->{id}], 'history: ended calls, newest first';
    ($s, $d) = api(GET => '/api/calls/history?limit=1', token => $a->{token});
    is scalar @{ $d->{data} }, 1, 'limit=1';
    ($s, $d) = api(GET => '/api/calls/history?limit=0', token => $a->{token});
    is $s, 400, 'limit=0 400';
    ($s, $d) = api(GET => '/api/calls/history?limit=x', token => $a->{token});
    is $s, 400, 'limit not a number 400';
    ($s, $d) = api(GET => '/api/calls/upcoming', token => $a->{token});
    is_deeply [map { $_->{id} } @{ $d->{data} }], [$soon->{id}], 'an ended scheduled call leaves upcoming';
};

subtest 'reminders' => sub {
    my $auth = { Authorization => 'Bearer ' . cron_secret() };
    my $rem = sub { (psql_row("SELECT count(*) FROM notifications WHERE type = 'call_reminder' AND data->>'call_id' = '$_[0]'"))[0] };
    ($s, $d) = api(POST => '/api/cron/call-reminders', headers => $auth);
    is $s, 200, 'call-reminders runs';
    is $rem->($soon->{id}), 2, 'a call 10 minutes away: both participants reminded';
    (undef, $d) = api(POST => '/api/calls', token => $a->{token}, json => { participant_id => $c->{id}, scheduled_at => $iso->(7200) });
    my $later = $d->{data};
    my @r = parallel(4, sub { (api(POST => '/api/cron/call-reminders', headers => $auth))[0] });
    is scalar(grep { $_ == 200 } @r), 4, 'concurrent runs all answer';
    is $rem->($soon->{id}), 2, 'exactly once, even with concurrent runs';
    is $rem->($later->{id}), 0, 'a call two hours away is not reminded yet';
    psql("UPDATE video_calls SET scheduled_at = now() + interval '14 minutes' WHERE id = '$later->{id}'");
    my $out = `$ENV{GIGD_TEST_BUILD}/gigctl cron call-reminders 2>&1`;
    is $?, 0, 'gigctl cron call-reminders';
    like $out, qr/"calls"\s*:\s*1/, 'one call reminded';
    is $rem->($later->{id}), 2, 'reminded once it is within 15 minutes';
    `$ENV{GIGD_TEST_BUILD}/gigctl cron call-reminders 2>&1`;
    is $rem->($later->{id}), 2, 'not again';
};

done_testing;
