# The hold and matching exactly once: webhook and confirm-payment racing, twice, out of
# order with payment_failed / canceled (→ cancelled, requester told, never matched); a
# hold smaller than the gig; create's validation and Stripe failing.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);
my $req = new_user();
my $stranger = new_user();

sub fresh {
    my ($lat, $lng) = spot();
    my @p = map { provider(lat => $lat, lng => $lng, km => 1 + $_) } 0 .. 1;
    my ($st, $dd) = urgent_gig($req, lat => $lat, lng => $lng);
    die "create $st" unless $st == 201;
    return ($dd->{gig_id}, @p);
}
sub offers { my @o = offers_of($_[0]); return scalar @o }
sub waves { return (psql_row("SELECT waves FROM gigs WHERE id = '$_[0]'"))[0] }

# --- confirm-payment: auth, foreign, idempotent ---
my ($gig) = fresh();
($s) = api(POST => "/api/gigs/$gig/confirm-payment");
is $s, 401, 'confirm: no auth 401';
($s) = api(POST => "/api/gigs/$gig/confirm-payment", token => $stranger->{token});
is $s, 404, 'confirm: another user\'s gig 404';
my $pi = pi_of($gig);
open my $fh, '>', "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pi_status/$pi" or die; print $fh "requires_payment_method"; close $fh;
($s, $d) = api(POST => "/api/gigs/$gig/confirm-payment", token => $req->{token});
is $s, 200, 'confirm before the card is held';
is $d->{data}{payment_status}, 'pending', 'still pending';
is offers($gig), 0, 'nobody offered';
unlink "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pi_status/$pi";
($s, $d) = api(POST => "/api/gigs/$gig/confirm-payment", token => $req->{token});
is $d->{data}{payment_status}, 'escrowed', 'held → escrowed';
is offers($gig), 2, 'first wave';
my $gets = grep { $_->{method} eq 'GET' && $_->{path} eq "/v1/payment_intents/$pi" } fake_requests('stripe');
is $gets, 2, 'asked Stripe each time while pending';
($s, $d) = api(POST => "/api/gigs/$gig/confirm-payment", token => $req->{token});
is $d->{data}{payment_status}, 'escrowed', 'confirm again: same answer';
hold_webhook($gig);
is waves($gig), 1, 'confirm twice + webhook: one wave';
is offers($gig), 2, 'still two offers';
$gets = grep { $_->{method} eq 'GET' && $_->{path} eq "/v1/payment_intents/$pi" } fake_requests('stripe');
is $gets, 2, 'no Stripe call once escrowed';

# --- webhook and confirm racing ---
for my $round (1 .. 3) {
    my ($g2) = fresh();
    my ($payload) = pi_event('payment_intent.amount_capturable_updated', $g2);
    my ($p2) = pi_event('payment_intent.amount_capturable_updated', $g2);   # a second event id
    my @r = parallel(4, sub {
        my $i = shift;
        return [ $i % 2 ? deliver($i == 1 ? $payload : $p2)
                        : api(POST => "/api/gigs/$g2/confirm-payment", token => $req->{token}) ]->[0];
    });
    is_deeply [sort @r], [200, 200, 200, 200], "race $round: every request 200";
    is waves($g2), 1, "race $round: matching started once";
    is offers($g2), 2, "race $round: each provider offered once";
}
# the same event delivered twice
{
    my ($g3) = fresh();
    my ($payload) = pi_event('payment_intent.amount_capturable_updated', $g3);
    deliver($payload);
    ($s, $d) = deliver($payload);
    ok $d->{data}{duplicate}, 'a redelivered event is a duplicate';
    is waves($g3), 1, 'one wave';
}

# --- failure and cancellation ---
{
    my ($g4) = fresh();
    my ($f) = pi_event('payment_intent.payment_failed', $g4, status => 'requires_payment_method', capturable => 0);
    ($s) = deliver($f);
    is $s, 200, 'payment_failed handled';
    my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g4'");
    is_deeply $row, ['cancelled', 'failed'], 'gig cancelled, payment failed';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$req->{id}' AND type = 'urgent_gig_cancelled'"
                       . " AND data->>'gig_id' = '$g4'");
    is $n, 1, 'requester notified';
    hold_webhook($g4);
    ($s, $d) = api(POST => "/api/gigs/$g4/confirm-payment", token => $req->{token});
    is $d->{data}{urgent_status}, 'cancelled', 'confirm after a failure: still cancelled';
    is offers($g4), 0, 'a failed payment never matches (webhook or confirm after it)';
    ($s) = api(POST => "/api/gigs/$g4/select", token => $req->{token}, json => { response_id => uuid_random() });
    is $s, 409, 'select on a cancelled gig 409';
}
{
    my ($g5) = fresh();
    hold_webhook($g5);
    my ($f) = pi_event('payment_intent.payment_failed', $g5, status => 'requires_payment_method');
    deliver($f);
    my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g5'");
    is_deeply $row, ['searching', 'escrowed'], 'a stale payment_failed after the hold changes nothing';
    my ($c) = pi_event('payment_intent.canceled', $g5, status => 'canceled');
    deliver($c);
    ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g5'");
    is_deeply $row, ['cancelled', 'refunded'], 'a cancelled hold cancels a searching gig';
    my ($pending) = psql_row("SELECT count(*) FROM gig_responses WHERE gig_id = '$g5' AND status = 'pending'");
    is $pending, 0, 'its offers expire';
}
{
    my ($g6) = fresh();
    my $pi6 = pi_of($g6);
    open my $c, '>', "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pi_status/$pi6" or die; print $c "canceled"; close $c;
    ($s, $d) = api(POST => "/api/gigs/$g6/confirm-payment", token => $req->{token});
    is $d->{data}{urgent_status}, 'cancelled', 'confirm finding a cancelled PaymentIntent cancels';
    hold_webhook($g6);
    is offers($g6), 0, 'and it never matches';
}
{
    my ($g7) = fresh();
    hold_webhook($g7, capturable => 100);
    my ($row) = psql("SELECT payment_status FROM gigs WHERE id = '$g7'");
    is_deeply $row, ['pending'], 'a hold smaller than the payment is not escrow';
    is offers($g7), 0, 'and does not match';
}

# --- create: validation, auth, Stripe failing ---
my ($lat, $lng) = spot();
($s) = api(POST => '/api/gigs/urgent', json => { skill_required => 'x' });
is $s, 401, 'create: no auth 401';
($s) = api(POST => '/api/gigs/urgent', token => $req->{token}, body => '{"skill_required":', headers => { 'Content-Type' => 'application/json' });
is $s, 400, 'create: malformed JSON 400';
for my $case (
    [{ drop => ['skill_required'] }, 'skill_required'],
    [{ extra => { skill_required => '' } }, 'skill_required'],
    [{ drop => ['date_needed'] }, 'date_needed'],
    [{ extra => { date_needed => 'tomorrow' } }, 'date_needed'],
    [{ extra => { date_needed => future_iso(-60) } }, 'date_needed'],
    [{ extra => { date_needed => future_iso(8 * 86400) } }, 'date_needed'],
    [{ drop => ['payment_amount'] }, 'payment_amount'],
    [{ extra => { payment_amount => 0 } }, 'payment_amount'],
    [{ extra => { payment_amount => -5 } }, 'payment_amount'],
    [{ extra => { payment_amount => 10.555 } }, 'payment_amount'],
    [{ extra => { payment_amount => '120' } }, 'payment_amount'],
    [{ drop => ['location_lat'] }, 'location_lat'],
    [{ extra => { location_lat => 91 } }, 'location_lat'],
    [{ extra => { location_lng => -181 } }, 'location_lng'],
    [{ extra => { genre => 'gospel' } }, 'genre'],
    [{ extra => { genre => [('g') x 11] } }, 'genre'],
    [{ extra => { duration_hours => 0 } }, 'duration_hours'],
    [{ extra => { duration_hours => 25 } }, 'duration_hours'],
    [{ extra => { location_radius_km => 0 } }, 'location_radius_km'],
    [{ extra => { location_radius_km => 201 } }, 'location_radius_km'],
    [{ extra => { payment_currency => 'JPY' } }, 'payment_currency'],
    [{ extra => { location_address => 'x' x 301 } }, 'location_address'],
    [{ extra => { description => 5 } }, 'description'],
) {
    my ($o, $field) = @$case;
    ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng, %$o);
    is $s, 400, "create: invalid $field 400";
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    ok $d->{fields}{$field}, "fields.$field" or diag explain $d;
}
($s, $d) = urgent_gig($req, lat => $lat, lng => $lng, extra => { payment_currency => 'EUR', payment_amount => 12.5 });
is $s, 201, 'EUR 12.50';
is((psql_row("SELECT payment_amount, payment_currency FROM gigs WHERE id = '$d->{gig_id}'"))[0], 1250, 'stored 1250');

stripe_control({ status => 402, body => { error => { type => 'card_error', message => 'no' } }, count => 1 });
my ($before) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$req->{id}' AND urgent_status = 'searching'");
($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
stripe_clear();
is $s, 502, 'Stripe refusing the PaymentIntent: 502';
ok !$d->{data}{stripe_client_secret}, 'no client secret';
my ($after) = psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$req->{id}' AND urgent_status = 'searching'");
is $after, $before, 'the gig does not stay searching';

done_testing;
