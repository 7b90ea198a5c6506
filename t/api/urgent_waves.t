# Waves (GIGD_MATCH_WAVE = 5 best first; the next only after GIGD_MATCH_WAVE_INTERVAL and
# only while nobody is selected, via cron urgent-gigs/match), the quota under concurrent
# gigs, two concurrent selects, and availability's routes and validation.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);
my $req = new_user();
my $cron = sub { api(POST => '/api/cron/urgent-gigs/match', headers => { Authorization => 'Bearer ' . cron_secret() }) };

# --- waves ---
my ($lat, $lng) = spot();
my @p = map { provider(lat => $lat, lng => $lng, km => 1 + $_) } 0 .. 11;
($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
my $gig = $d->{gig_id};
is $d->{estimated_matches}, 12, 'twelve candidates';
hold_webhook($gig);
my @o = offers_of($gig);
is scalar @o, 5, 'first wave: five';
is_deeply [sort @o], [sort map { $_->{id} } @p[0 .. 4]], 'the five nearest (best score, same history)';
($s) = api(POST => '/api/cron/urgent-gigs/match');
is $s, 401, 'cron without the secret 401';
($s, $d) = $cron->();
is $s, 200, 'cron 200';
@o = offers_of($gig);
is scalar @o, 5, 'no second wave before the interval';
psql("UPDATE gigs SET last_wave_at = now() - interval '301 seconds' WHERE id = '$gig'");
($s, $d) = $cron->();
@o = offers_of($gig);
is scalar @o, 10, 'second wave after the interval: five more';
my ($w2) = psql_row("SELECT count(*) FROM gig_responses WHERE gig_id = '$gig' AND wave = 2");
is $w2, 5, 'recorded as wave 2';
ok !(grep { $_ eq $p[0]{id} } map { $_->[0] } psql("SELECT provider_id FROM gig_responses WHERE gig_id = '$gig' AND wave = 2")),
    'nobody offered twice';
# gigctl runs the same job
system("$ENV{GIGD_TEST_BUILD}/gigctl cron urgent-gigs/match >/dev/null 2>&1");
is $? >> 8, 0, 'gigctl cron urgent-gigs/match runs';

# a selection stops the waves
api(POST => "/api/gigs/$gig/respond", token => $p[0]{token}, json => { action => 'accept' });
my ($r0) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$p[0]{id}'");

# --- two concurrent selects: one 200, one 409, one project ---
api(POST => "/api/gigs/$gig/respond", token => $p[1]{token}, json => { action => 'accept' });
my ($r1) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$p[1]{id}'");
my @res = parallel(2, sub { my ($st) = api(POST => "/api/gigs/$gig/select", token => $req->{token},
                                          json => { response_id => $_[0] ? $r1 : $r0 }); $st });
is_deeply [sort @res], [200, 409], 'concurrent selects: one 200, one 409';
my ($projects) = psql_row("SELECT count(*) FROM projects WHERE gig_id = '$gig'");
is $projects, 1, 'one project';
my ($selected) = psql_row("SELECT count(*) FROM gig_responses WHERE gig_id = '$gig' AND selected_at IS NOT NULL");
is $selected, 1, 'one selected response';

psql("UPDATE gigs SET last_wave_at = now() - interval '1 hour' WHERE id = '$gig'");
$cron->();
@o = offers_of($gig);
is scalar @o, 10, 'no wave after a selection';

# --- the quota under concurrent gigs ---
{
    my ($la, $ln) = spot();
    my $busy = provider(lat => $la, lng => $ln, max_per_day => 1);
    my @gigs = map { my (undef, $dd) = urgent_gig($req, lat => $la, lng => $ln); $dd->{gig_id} } 1 .. 4;
    parallel(4, sub { my ($st) = hold_webhook($gigs[$_[0]]); $st });
    my ($n) = psql_row("SELECT count(*) FROM gig_responses WHERE provider_id = '$busy->{id}'");
    is $n, 1, 'four gigs held at once: a provider with a quota of 1 gets one offer';
    my ($q) = psql_row("SELECT count(*) FROM notification_rate_limits WHERE user_id = '$busy->{id}'");
    is $q, 1, 'one quota row';
}

# --- availability ---
my $u = new_user();
($s) = api(GET => '/api/user/availability');
is $s, 401, 'availability: no auth 401';
psql("UPDATE profiles SET timezone = 'Europe/Paris' WHERE id = '$u->{id}'");
($s, $d) = api(GET => '/api/user/availability', token => $u->{token});
is $s, 200, 'GET creates the default row';
is $d->{data}{max_radius_km}, 20, 'default radius';
is $d->{data}{max_notifications_per_day}, 5, 'default quota';
ok !$d->{data}{available_for_urgent_gigs}, 'not available by default';
is $d->{data}{timezone}, 'Europe/Paris', 'time zone taken from the profile';
my $id = $d->{data}{id};
($s, $d) = api(GET => '/api/user/availability', token => $u->{token});
is $d->{data}{id}, $id, 'the same row on a second read';
($s, $d) = api(PATCH => '/api/user/availability', token => $u->{token},
               json => { hourly_rate => 40.5, dnd_start => '23:00', dnd_end => '08:00',
                         availability_schedule => { friday => { available => JSON::PP::true, hours => '18:00-23:00' } } });
is $s, 200, 'PATCH';
is $d->{data}{hourly_rate}, 40.5, 'hourly_rate';
is $d->{data}{dnd_start}, '23:00:00', 'dnd as TIME';
is $d->{data}{max_radius_km}, 20, 'untouched fields kept';
is $d->{data}{availability_schedule}{friday}{hours}, '18:00-23:00', 'schedule';
for my $case (
    [{ current_lat => 91, current_lng => 0 }, 'current_lat'],
    [{ current_lat => 10 }, 'current_lng'],
    [{ general_area_lat => 1, general_area_lng => 181 }, 'general_area_lng'],
    [{ max_radius_km => 0 }, 'max_radius_km'],
    [{ max_radius_km => 201 }, 'max_radius_km'],
    [{ max_radius_km => 2.5 }, 'max_radius_km'],
    [{ hourly_rate => -1 }, 'hourly_rate'],
    [{ per_gig_rate => 'ten' }, 'per_gig_rate'],
    [{ available_for_urgent_gigs => 'yes' }, 'available_for_urgent_gigs'],
    [{ rate_negotiable => 1 }, 'rate_negotiable'],
    [{ availability_schedule => { funday => { available => JSON::PP::true } } }, 'availability_schedule'],
    [{ availability_schedule => { monday => { available => JSON::PP::true, hours => '18-23' } } }, 'availability_schedule'],
    [{ availability_schedule => { monday => { available => JSON::PP::true, hours => '25:00-26:00' } } }, 'availability_schedule'],
    [{ availability_schedule => { monday => { hours => 'all_day' } } }, 'availability_schedule'],
    [{ availability_schedule => [] }, 'availability_schedule'],
    [{ dnd_start => '24:00', dnd_end => '08:00' }, 'dnd_start'],
    [{ dnd_start => '23:00' }, 'dnd_end'],
    [{ max_notifications_per_day => -1 }, 'max_notifications_per_day'],
    [{ max_notifications_per_day => 101 }, 'max_notifications_per_day'],
    [{ timezone => 'Mars/Olympus' }, 'timezone'],
    [{ general_area => 'x' x 201 }, 'general_area'],
) {
    ($s, $d) = api(PATCH => '/api/user/availability', token => $u->{token}, json => $case->[0]);
    is $s, 400, "PATCH invalid $case->[1] 400";
    ok $d->{fields}{$case->[1]}, "fields.$case->[1]" or diag explain $d;
}
($s) = api(PATCH => '/api/user/availability', token => $u->{token}, body => '[', headers => { 'Content-Type' => 'application/json' });
is $s, 400, 'PATCH malformed JSON 400';
($s) = api(PATCH => '/api/user/availability', json => {});
is $s, 401, 'PATCH no auth 401';
($s, $d) = api(POST => '/api/user/availability/location', token => $u->{token}, json => { lat => 51.88, lng => -0.42 });
is $s, 200, 'location 200';
is_deeply $d, { success => json_true() }, '{success:true}';
my ($row) = psql("SELECT current_lat, current_lng, last_location_update > now() - interval '1 minute' FROM user_availability WHERE user_id = '$u->{id}'");
is_deeply $row, ['51.88', '-0.42', 't'], 'stored with last_location_update';
for my $case ([{ lat => 91, lng => 0 }, 'lat'], [{ lat => 0 }, 'lng'], [{ lat => 'x', lng => 0 }, 'lat']) {
    ($s, $d) = api(POST => '/api/user/availability/location', token => $u->{token}, json => $case->[0]);
    is $s, 400, "location invalid $case->[1] 400";
    ok $d->{fields}{$case->[1]}, "fields.$case->[1]";
}
($s) = api(POST => '/api/user/availability/location', json => { lat => 1, lng => 1 });
is $s, 401, 'location no auth 401';

done_testing;
