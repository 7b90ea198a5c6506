# Urgent.pm — helpers for the urgent-gig tests: providers with availability, gigs with
# their PaymentIntent at the fake Stripe, signed payment_intent.* webhooks, pushes.
package Urgent;
use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use POSIX qw(floor);
use Gigd;
use Payments;

our @EXPORT = qw(spot provider urgent_gig pi_of hold_webhook pi_event offered offers_of pushes_to
                 future_iso local_now tz_with_local_hour);

my $JSON = JSON::PP->new->utf8->canonical;

# A random spot on Earth for one test's gigs, far from other tests' (±55° lat).
sub spot { return (rand(110) - 55, rand(340) - 170) }

# A point d km north of (lat, lng).
sub north { my ($lat, $lng, $km) = @_; return ($lat + $km / 111.195, $lng) }

# A provider offering skill near (lat, lng) + km north. Options: skills, genres, timezone,
# radius, current (use the current position instead of the general area), stale (current
# position updated 31 minutes ago, general area elsewhere: area_km), schedule, dnd_start,
# dnd_end, max_per_day, per_gig_rate, hourly_rate, available (default 1), push (token).
sub provider {
    my (%o) = @_;
    my $u = new_user(full_name => $o{full_name});
    my ($s, $d) = api(PATCH => '/api/profile', token => $u->{token},
                      json => { skills => $o{skills} // ['Trumpeter'], genres => $o{genres} // ['gospel'] });
    die "profile ($s)" unless $s == 200;
    my ($lat, $lng) = north($o{lat}, $o{lng}, $o{km} // 1);
    my %av = (available_for_urgent_gigs => $o{available} // JSON::PP::true,
              max_radius_km => $o{radius} // 50, timezone => $o{timezone} // 'UTC',
              max_notifications_per_day => $o{max_per_day} // 5);
    if ($o{current}) {
        @av{qw(current_lat current_lng)} = ($lat, $lng);
    } else {
        my ($alat, $alng) = defined $o{area_km} ? north($o{lat}, $o{lng}, $o{area_km}) : ($lat, $lng);
        @av{qw(general_area general_area_lat general_area_lng)} = ('Somewhere', $alat, $alng);
        @av{qw(current_lat current_lng)} = ($lat, $lng) if $o{stale};
    }
    for my $k (qw(availability_schedule dnd_start dnd_end per_gig_rate hourly_rate)) {
        $av{$k} = $o{$k} if exists $o{$k};
    }
    ($s, $d) = api(PATCH => '/api/user/availability', token => $u->{token}, json => \%av);
    die "availability ($s): " . $JSON->encode($d) unless $s == 200;
    psql("UPDATE user_availability SET last_location_update = now() - interval '31 minutes' WHERE user_id = '$u->{id}'")
        if $o{stale};
    if ($o{push}) {
        $u->{push_token} = "ExponentPushToken[" . rand_name('urg') . "]";
        ($s) = api(POST => '/api/push-tokens', token => $u->{token},
                   json => { push_token => $u->{push_token}, platform => 'ios', device_id => 'd1' });
        die "push token ($s)" unless $s == 201;
    }
    return $u;
}

sub future_iso {
    my ($secs) = @_;
    my @t = gmtime(time + $secs);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0]);
}

# POST /api/gigs/urgent; returns (status, data, body sent).
sub urgent_gig {
    my ($req, %o) = @_;
    my %body = (skill_required => 'trumpeter', date_needed => future_iso(3 * 3600), payment_amount => 120,
                location_lat => $o{lat}, location_lng => $o{lng}, genre => ['gospel'],
                location_address => 'Luton Church', duration_hours => 2, %{ $o{extra} || {} });
    delete $body{$_} for @{ $o{drop} || [] };
    my ($s, $d) = api(POST => '/api/gigs/urgent', token => $req->{token}, json => \%body);
    return ($s, $d->{data} // $d, \%body);
}

sub pi_of { my ($gig) = @_; return (psql_row("SELECT stripe_payment_intent_id FROM gigs WHERE id = '$gig'"))[0] }

sub pi_event {
    my ($type, $gig, %o) = @_;
    my $amount = $o{amount} // (psql_row("SELECT payment_amount FROM gigs WHERE id = '$gig'"))[0];
    return event($type, { id => $o{pi} // pi_of($gig), object => 'payment_intent',
                          status => $o{status} // 'requires_capture', amount => 0 + $amount,
                          amount_capturable => 0 + ($o{capturable} // $amount), currency => 'gbp',
                          capture_method => 'manual', metadata => { gig_id => $gig } });
}

# The webhook that says the card is held.
sub hold_webhook {
    my ($gig, %o) = @_;
    my ($payload) = pi_event('payment_intent.amount_capturable_updated', $gig, %o);
    return deliver($payload);
}

# Provider ids offered the gig (gig_responses), sorted.
sub offers_of {
    my ($gig) = @_;
    return sort map { $_->[0] } psql("SELECT provider_id FROM gig_responses WHERE gig_id = '$gig'");
}
sub offered { my ($gig, $u) = @_; return scalar grep { $_ eq $u->{id} } offers_of($gig) }

# Push payloads queued for a user's token (push_outbox rows), oldest first.
sub pushes_to {
    my ($u, $type) = @_;
    return map { $JSON->decode($_->[0]) }
        psql("SELECT o.payload FROM push_outbox o JOIN notifications n ON n.id = o.notification_id"
             . " WHERE n.user_id = '$u->{id}'" . ($type ? " AND n.type = '$type'" : '') . " ORDER BY o.id");
}

# An Etc/GMT zone where the local hour is now $h (e.g. 23 → a zone where it is 23:xx).
sub tz_with_local_hour {
    my ($h) = @_;
    my $utc = (gmtime)[2];
    my $off = ($h - $utc) % 24;       # 0..23
    $off -= 24 if $off > 14;          # Etc zones span UTC-12 .. UTC+14
    return 'UTC' if $off == 0;
    # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
    return $off > 0 ? "Etc/GMT-$off" : 'Etc/GMT+' . (-$off);
}

1;
