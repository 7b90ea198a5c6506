# Notification preferences (issue 15, item 6): the routes and their checks, and the push
# deliverer honouring them — a type whose push is off never reaches the fake Expo, quiet
# hours in the user's time zone defer a push to their end, and a push muted after it was
# queued is cancelled; gig_update notifications (item 7) end to end. The email channel:
# prefs_mail.t (it waits on the fake SMTP, this file on the fake Expo: tools/test-run
# runs each with the other files that use that fake).
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;
use JSON::PP;
use POSIX qw(strftime);

my ($s, $d);
my $JSON = JSON::PP->new->utf8;
my $tag = rand_name('p');
my $put = sub { my ($u, $body) = @_; api(PUT => '/api/me/notification-preferences', token => $u->{token}, json => $body) };
my $expo_for = sub {
    my ($token) = @_;
    grep { $_->{path} =~ m{/push/send$} && index($_->{body}, $token) >= 0 } fake_requests('expo');
};
sub register_token {
    my ($u, $name) = @_;
    my $t = "ExponentPushToken[$tag-$name]";
    my ($st) = api(POST => '/api/push-tokens', token => $u->{token}, json => { push_token => $t, platform => 'ios' });
    is $st, 201, "push token $name";
    return $t;
}
sub hhmm { strftime('%H:%M', gmtime($_[0])) }

subtest 'routes' => sub {
    my $u = new_user();
    ($s, $d) = api(GET => '/api/me/notification-preferences', token => $u->{token});
    is $s, 200, 'get';
    is_deeply $d->{data}{types}{new_message}, { in_app => JSON::PP::true, push => JSON::PP::true, email => JSON::PP::false },
        'defaults: in-app and push on, email off';
    ok exists $d->{data}{types}{$_}, "type $_ listed" for qw(gig_alert gig_update application_status urgent_gig);
    is $d->{data}{quiet_hours}, undef, 'no quiet hours';

    ($s, $d) = $put->($u, { types => { new_message => { push => JSON::PP::false, email => JSON::PP::true } },
                            quiet_hours => { start => '22:00', end => '07:30', time_zone => 'Europe/London' } });
    is $s, 200, 'put';
    is_deeply $d->{data}{types}{new_message}, { in_app => JSON::PP::true, push => JSON::PP::false, email => JSON::PP::true },
        'new_message changed';
    is_deeply $d->{data}{quiet_hours}, { start => '22:00', end => '07:30', time_zone => 'Europe/London' }, 'quiet hours';
    ($s, $d) = $put->($u, { types => { new_message => { email => JSON::PP::false }, gig_alert => { push => JSON::PP::false } } });
    is_deeply $d->{data}{types}{new_message}, { in_app => JSON::PP::true, push => JSON::PP::false, email => JSON::PP::false },
        'a channel not sent keeps its value';
    is $d->{data}{types}{gig_alert}{push}, JSON::PP::false, 'another type';
    is $d->{data}{quiet_hours}{start}, '22:00', 'quiet hours not sent: kept';
    ($s, $d) = $put->($u, { quiet_hours => undef });
    is $d->{data}{quiet_hours}, undef, 'null turns them off';
    ($s, $d) = api(GET => '/api/me/notification-preferences', token => $u->{token});
    is $d->{data}{types}{gig_alert}{push}, JSON::PP::false, 'stored';
    (undef, $d) = api(GET => '/api/me/notification-preferences', token => new_user()->{token});
    is $d->{data}{types}{gig_alert}{push}, JSON::PP::true, "another user's are their own";

    for my $case (
        [{ types => { bogus_type => { push => JSON::PP::false } } }, 'types.bogus_type'],
        [{ types => { new_message => { push => 'no' } } }, 'types.new_message.push'],
        [{ types => { new_message => { in_app => JSON::PP::false } } }, 'types.new_message.in_app'],
        [{ types => { new_message => 1 } }, 'types.new_message'],
        [{ types => [] }, 'types'],
        [{ quiet_hours => 'night' }, 'quiet_hours'],
        [{ quiet_hours => { start => '25:00', end => '07:00', time_zone => 'UTC' } }, 'quiet_hours.start'],
        [{ quiet_hours => { start => '22:00', time_zone => 'UTC' } }, 'quiet_hours.end'],
        [{ quiet_hours => { start => '22:00', end => '22:00', time_zone => 'UTC' } }, 'quiet_hours.end'],
        [{ quiet_hours => { start => '22:00', end => '07:00', time_zone => 'Mars/Olympus' } }, 'quiet_hours.time_zone'],
        [{ quiet_hours => { start => '22:00', end => '07:00' } }, 'quiet_hours.time_zone'],
    ) {
        my ($in, $field) = @$case;
        ($s, $d) = $put->($u, $in);
        is $s, 400, "$field refused";
        ok $d->{fields}{$field}, "fields.$field" or diag explain $d;
    }
    ($s, $d) = api(GET => '/api/me/notification-preferences', token => $u->{token});
    is $d->{data}{quiet_hours}, undef, 'a refused PUT changed nothing';
    ($s) = api(GET => '/api/me/notification-preferences');
    is $s, 401, 'get needs auth';
    ($s) = api(PUT => '/api/me/notification-preferences', json => {});
    is $s, 401, 'put needs auth';
    ($s) = api(PUT => '/api/me/notification-preferences', token => $u->{token}, body => '{"types":',
               headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
};

subtest 'a type whose push is off never reaches Expo' => sub {
    my $u = new_user();
    my $t = register_token($u, 'mute');
    $put->($u, { types => { review_received => { push => JSON::PP::false } } });
    psql("SELECT notify('$u->{id}', 'review_received', 'Muted review', 'muted body', '{}')");
    psql("SELECT notify('$u->{id}', 'application_status', 'Pushed status', 'pushed body', '{}')");
    ok wait_for(sub { scalar $expo_for->($t) }, 10), 'the type left on was pushed';
    sleep 1;   # the deliverer has had its chance at everything queued with it
    my @bodies = map { @{ $JSON->decode($_->{body}) } } $expo_for->($t);
    is_deeply [sort map { $_->{title} } @bodies], ['Pushed status'], 'Expo got only the type left on';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$u->{id}'");
    is $n, 2, 'in-app: both stored';
    my ($rows) = psql_row("SELECT count(*) FROM push_outbox WHERE push_token = '$t'");
    is $rows, 1, 'the muted type queued no push';
};

subtest 'quiet hours defer a push to their end, in the user\'s zone' => sub {
    my $u = new_user();
    my $t = register_token($u, 'quiet');
    # Tokyo is UTC+9 all year: quiet from an hour ago to an hour from now, local time.
    my $now = time;
    ($s, $d) = $put->($u, { quiet_hours => { start => hhmm($now + 9 * 3600 - 3600), end => hhmm($now + 9 * 3600 + 3600),
                                              time_zone => 'Asia/Tokyo' } });
    is $s, 200, 'quiet hours set';
    psql("SELECT notify('$u->{id}', 'application_status', 'Quiet one', 'later', '{}')");
    my ($wait) = psql_row("SELECT round(extract(epoch FROM next_attempt_at - now()) / 60) FROM push_outbox WHERE push_token = '$t'");
    ok $wait >= 58 && $wait <= 61, "deferred to the end of the quiet hours (~60 min, got $wait)";
    sleep 1.5;
    is scalar($expo_for->($t)), 0, 'nothing sent meanwhile';
    psql("UPDATE push_outbox SET next_attempt_at = now() WHERE push_token = '$t'");
    ok wait_for(sub { scalar $expo_for->($t) }, 10), 'sent once they are over (deferred, not dropped)';

    my $v = new_user();
    my $tv = register_token($v, 'loud');
    $put->($v, { quiet_hours => { start => hhmm($now + 9 * 3600 + 3600), end => hhmm($now + 9 * 3600 + 7200),
                                  time_zone => 'Asia/Tokyo' } });
    psql("SELECT notify('$v->{id}', 'application_status', 'Not quiet', 'now', '{}')");
    ok wait_for(sub { scalar $expo_for->($tv) }, 10), 'outside the quiet hours: sent at once';
};

subtest 'a push muted after it was queued is cancelled by the deliverer' => sub {
    my $u = new_user();
    my $t = register_token($u, 'late');
    my $now = time;
    $put->($u, { quiet_hours => { start => hhmm($now - 3600), end => hhmm($now + 3600), time_zone => 'UTC' } });
    psql("SELECT notify('$u->{id}', 'gig_alert', 'Late mute', 'x', '{}')");
    $put->($u, { types => { gig_alert => { push => JSON::PP::false } } });
    psql("UPDATE push_outbox SET next_attempt_at = now() WHERE push_token = '$t'");
    ok wait_for(sub { (psql_row("SELECT status FROM push_outbox WHERE push_token = '$t'"))[0] eq 'cancelled' }, 10),
        'cancelled';
    is scalar($expo_for->($t)), 0, 'never sent';
};

subtest 'gig_update: title, budget, status changes told to the applicants' => sub {
    my $poster = new_user();
    my ($ann, $bob) = (new_user(), new_user());
    my $t = register_token($ann, 'upd');
    my $gig = new_gig($poster);
    apply_to($ann, $gig->{id});
    my (undef, $w) = apply_to($bob, $gig->{id});
    api(POST => "/api/applications/$w->{data}{id}/withdraw", token => $bob->{token});
    my $updates = sub { psql("SELECT data->>'changes', body FROM notifications WHERE user_id = '$_[0]{id}' AND type = 'gig_update' ORDER BY created_at, id") };
    ($s) = api(PATCH => "/api/gigs/$gig->{id}", token => $poster->{token}, json => { description => 'Only the text changes here' });
    is $s, 200, 'description changed';
    is scalar($updates->($ann)), 0, 'not material: no gig_update';
    ($s) = api(PATCH => "/api/gigs/$gig->{id}", token => $poster->{token}, json => { title => 'A new title', budget_max => 300 });
    my @u = $updates->($ann);
    is scalar @u, 1, 'title and budget: one gig_update';
    is_deeply $JSON->decode($u[0][0]), ['title', 'budget'], 'naming both changes';
    like $u[0][1], qr/A new title/, 'the body names the gig';
    ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => 'paused' });
    @u = $updates->($ann);
    is scalar @u, 2, 'status change: another';
    is_deeply $JSON->decode($u[1][0]), ['status'], 'status';
    is scalar($updates->($bob)), 0, 'not to a withdrawn applicant';
    is scalar($updates->($poster)), 0, 'not to the poster';
    (undef, $d) = api(GET => '/api/notifications', token => $ann->{token});
    is $d->{data}{data}[0]{type}, 'gig_update', 'in the list';
    is $d->{data}{data}[0]{data}{gig_id}, $gig->{id}, 'with gig_id';
    ok wait_for(sub { grep { index($_->{body}, 'Gig updated') >= 0 } $expo_for->($t) }, 10), 'pushed';
};

subtest 'closed or filled: the applicants still in the running get "not selected" only' => sub {
    my $poster = new_user();
    for my $to (qw(closed filled)) {
        my $ann = new_user();
        my $gig = new_gig($poster);
        my ($st) = apply_to($ann, $gig->{id});
        is $st, 201, "$to: ann applied";
        ($s) = api(PUT => "/api/gigs/$gig->{id}/status", token => $poster->{token}, json => { status => $to });
        is $s, 200, "gig $to";
        my @n = psql("SELECT type, title FROM notifications WHERE user_id = '$ann->{id}' AND data->>'gig_id' = '$gig->{id}'");
        is_deeply \@n, [['application_status', 'Application not selected']], "$to: one notification, the specific one";
    }
};

done_testing;
