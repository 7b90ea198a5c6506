# Matching filters, each on its own (a fresh spot on the map per case): skill, genre,
# radius from the gig's and the provider's side, stale location → general area, schedule
# and do-not-disturb (crossing midnight) in non-UTC zones, the daily quota counted in the
# provider's local day at a day boundary, availability off, never the requester.
# Zones and windows are chosen relative to the real clock (no test clock).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my $req = new_user();

# Creates a gig at (lat, lng), holds it, returns the ids offered.
sub wave_for {
    my (%o) = @_;
    my ($s, $d) = urgent_gig($req, %o);
    die "create $s" unless $s == 201;
    hold_webhook($d->{gig_id});
    return ($d->{gig_id}, { map { $_ => 1 } offers_of($d->{gig_id}) }, $d->{estimated_matches});
}

sub case {
    my ($name, $providers, $gig_opts) = @_;
    my ($lat, $lng) = spot();
    my (@in, @out);
    for my $p (@$providers) {
        my ($want, %o) = @$p;
        my $u = provider(lat => $lat, lng => $lng, %o);
        push @{ $want ? \@in : \@out }, $u;
    }
    my ($gig, $got, $est) = wave_for(lat => $lat, lng => $lng, %{ $gig_opts || {} });
    ok((!grep { !$got->{ $_->{id} } } @in), "$name: the matching ones are offered");
    ok((!grep { $got->{ $_->{id} } } @out), "$name: the others are not");
    is $est, scalar @in, "$name: estimated_matches agrees";
    return $gig;
}

case('skill', [[1, skills => ['TRUMPETER']], [0, skills => ['Drummer']]]);
case('genre', [[1, genres => ['Gospel', 'jazz']], [0, genres => ['jazz']]]);
case('no genre on the gig', [[1, genres => ['jazz']]], { extra => { genre => [] } });
case('radius, gig side', [[1, km => 3], [0, km => 8]], { extra => { location_radius_km => 5 } });
case('radius, provider side', [[1, km => 8, radius => 10], [0, km => 8, radius => 5]]);
case('stale location falls back to the general area',
     [[0, stale => 1, km => 1, area_km => 100], [1, stale => 1, km => 100, area_km => 1], [1, current => 1, km => 2]]);
case('available_for_urgent_gigs off', [[1], [0, available => JSON::PP::false]]);

# The (skill, point) index behind matching follows later changes of skills, availability
# and position (sql/015_matching_points.sql's triggers), not only the first PATCH.
subtest 'later changes reach the matching index' => sub {
    my ($lat, $lng) = spot();
    my $learns = provider(lat => $lat, lng => $lng, skills => ['Drummer']);
    my $quits = provider(lat => $lat, lng => $lng);
    my $moves = provider(lat => $lat, lng => $lng, stale => 1, km => 1, area_km => 100);
    my ($s) = api(PATCH => '/api/profile', token => $learns->{token}, json => { skills => ['Drummer', 'trumpeter'] });
    is $s, 200, 'skill added after availability';
    ($s) = api(PATCH => '/api/user/availability', token => $quits->{token},
               json => { available_for_urgent_gigs => JSON::PP::false });
    is $s, 200, 'availability switched off';
    my ($mlat, $mlng) = Urgent::north($lat, $lng, 2);
    ($s) = api(POST => '/api/user/availability/location', token => $moves->{token},
               json => { lat => $mlat, lng => $mlng });
    is $s, 200, 'fresh position sent';
    my ($gig, $got) = wave_for(lat => $lat, lng => $lng);
    ok $got->{ $learns->{id} }, 'a provider who learned the skill is offered';
    ok !$got->{ $quits->{id} }, 'a provider who switched off is not';
    ok $got->{ $moves->{id} }, 'a fresh position replaces the far general area';
    ($s) = api(PATCH => '/api/profile', token => $learns->{token}, json => { skills => ['Drummer'] });
    my ($gig2, $got2) = wave_for(lat => $lat, lng => $lng);
    ok !$got2->{ $learns->{id} }, 'a skill removed is no longer matched';
};

# --- schedule at date_needed, in the provider's zone ---
{
    my $tz = 'Asia/Tokyo';
    my $when = future_iso(3 * 3600);
    my ($day, $hm) = psql_row("SELECT lower(to_char(t, 'FMDay')), to_char(t, 'HH24:MI'), to_char(t + interval '1 hour', 'HH24:MI')"
                              . " FROM (SELECT '$when'::timestamptz AT TIME ZONE '$tz' AS t) x");
    my ($h, $m) = split /:/, $hm;
    my $win = sprintf('%02d:%02d-%02d:%02d', ($h + 23) % 24, $m, ($h + 1) % 24, $m);     # covers (maybe across midnight)
    my $miss = sprintf('%02d:%02d-%02d:%02d', ($h + 2) % 24, $m, ($h + 4) % 24, $m);    # does not
    my ($other) = grep { $_ ne $day } qw(monday tuesday);
    case('schedule in the provider\'s zone', [
        [1, timezone => $tz, availability_schedule => { $day => { available => JSON::PP::true, hours => $win } }],
        [1, timezone => $tz, availability_schedule => { $day => { available => JSON::PP::true, hours => 'all_day' } }],
        [0, timezone => $tz, availability_schedule => { $day => { available => JSON::PP::true, hours => $miss } }],
        [0, timezone => $tz, availability_schedule => { $day => { available => JSON::PP::false } }],
        [0, timezone => $tz, availability_schedule => { $other => { available => JSON::PP::true } }],
    ], { extra => { date_needed => $when } });
}

# --- do-not-disturb 22:00-02:00 (crossing midnight) in zones where it is 23h, 0h and 12h now ---
case('DND crossing midnight', [
    [0, timezone => tz_with_local_hour(23), dnd_start => '22:00', dnd_end => '02:00'],
    [0, timezone => tz_with_local_hour(0), dnd_start => '22:00', dnd_end => '02:00'],
    [1, timezone => tz_with_local_hour(12), dnd_start => '22:00', dnd_end => '02:00'],
    [1, timezone => tz_with_local_hour(12), dnd_start => '13:30', dnd_end => '14:30'],
]);

# --- the daily quota, counted from the provider's local midnight ---
sub spend { my ($u, $at) = @_; psql("INSERT INTO notification_rate_limits (user_id, notification_type, sent_at, action)"
                                    . " VALUES ('$u->{id}', 'urgent_gig', $at, 'offer')") }
{
    my ($lat, $lng) = spot();
    my $full = provider(lat => $lat, lng => $lng, max_per_day => 2);
    spend($full, 'now()') for 1 .. 2;
    my $room = provider(lat => $lat, lng => $lng, max_per_day => 2);
    spend($room, 'now()');
    my $none = provider(lat => $lat, lng => $lng, max_per_day => 0);
    my ($gig, $got) = wave_for(lat => $lat, lng => $lng);
    ok !$got->{ $full->{id} }, 'quota: a provider at the quota is not offered';
    ok $got->{ $room->{id} }, 'quota: one under it is';
    ok !$got->{ $none->{id} }, 'quota: max 0 means never';
}
my ($utc_min) = psql_row("SELECT extract(hour FROM now() AT TIME ZONE 'UTC') * 60 + extract(minute FROM now() AT TIME ZONE 'UTC')");
my $midnight = sub { "(date_trunc('day', now() AT TIME ZONE '$_[0]') AT TIME ZONE '$_[0]')" };
SKIP: {
    skip 'needs UTC time after 01:02', 3 unless $utc_min >= 62;
    # UTC-1: local midnight is 01:00 UTC today; an offer at 00:59 UTC is yesterday locally.
    my ($lat, $lng) = spot();
    my $u = provider(lat => $lat, lng => $lng, max_per_day => 1, timezone => 'Etc/GMT+1');
    spend($u, $midnight->('Etc/GMT+1') . " - interval '1 minute'");
    my ($utc_today) = psql_row("SELECT count(*) FROM notification_rate_limits WHERE user_id = '$u->{id}'"
                               . " AND sent_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'");
    is $utc_today, 1, 'quota boundary: the offer is in today\'s UTC day';
    my ($gig, $got) = wave_for(lat => $lat, lng => $lng);
    ok $got->{ $u->{id} }, 'quota boundary (UTC-1): yesterday\'s local offer does not count today';
    ok 1, 'placeholder to keep the count';
}
SKIP: {
    skip 'needs UTC time before 22:58', 2 unless $utc_min <= 22 * 60 + 58;
    # UTC+1: local midnight is 23:00 UTC yesterday; an offer at 23:59 UTC yesterday is today locally.
    my ($lat, $lng) = spot();
    my $u = provider(lat => $lat, lng => $lng, max_per_day => 1, timezone => 'Etc/GMT-1');
    spend($u, "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 minute'");
    my ($local_today) = psql_row("SELECT count(*) FROM notification_rate_limits WHERE user_id = '$u->{id}'"
                                 . " AND sent_at >= " . $midnight->('Etc/GMT-1'));
    is $local_today, 1, 'quota boundary: the offer is in today\'s local day';
    my ($gig, $got) = wave_for(lat => $lat, lng => $lng);
    ok !$got->{ $u->{id} }, 'quota boundary (UTC+1): an offer before UTC midnight counts in the local day';
}

# --- never the requester, even when available nearby ---
{
    my ($lat, $lng) = spot();
    my $self = provider(lat => $lat, lng => $lng);
    my ($s, $d) = urgent_gig($self, lat => $lat, lng => $lng);
    is $s, 201, 'the provider creates a gig of their own';
    hold_webhook($d->{gig_id});
    my @o = offers_of($d->{gig_id});
    is scalar @o, 0, 'the requester is never offered their own gig';
}

done_testing;
