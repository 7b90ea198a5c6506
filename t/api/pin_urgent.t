# Urgent-gig money rules not pinned elsewhere (lib/urgent.c): confirm-payment refuses a
# PaymentIntent whose metadata names another gig, and starts nothing; the platform fee is
# rounded half up to the penny (12 % of £120.05 is 1440.6p: 1441p). In the fake
# Stripe's seq group (every urgent gig creates a PaymentIntent).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($lat, $lng) = spot();
my $req = new_user();
my $p = provider(lat => $lat, lng => $lng, km => 1);
my @gigs = map {
    my ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
    is $s, 201, 'urgent gig';
    $d->{gig_id};
} 1 .. 2;

subtest 'confirm-payment with a PaymentIntent of another gig: 409, nothing held' => sub {
    my $pi2 = pi_of($gigs[1]);
    psql("UPDATE gigs SET stripe_payment_intent_id = NULL WHERE id = '$gigs[1]'");
    psql("UPDATE gigs SET stripe_payment_intent_id = '$pi2' WHERE id = '$gigs[0]'");
    my ($s, $d) = api(POST => "/api/gigs/$gigs[0]/confirm-payment", token => $req->{token});
    is $s, 409, '409';
    is $d->{error}, 'This payment belongs to another gig', 'says why';
    my ($ps, $us) = psql_row("SELECT payment_status, urgent_status FROM gigs WHERE id = '$gigs[0]'");
    is "$ps $us", 'pending searching', 'still pending';
    is scalar(my @o = offers_of($gigs[0])), 0, 'nobody offered';
};

subtest 'the platform fee rounds half up' => sub {
    my ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng, extra => { payment_amount => 120.05 });
    is $s, 201, 'urgent gig of £120.05';
    my $g = $d->{gig_id};
    ($s) = hold_webhook($g);
    is $s, 200, 'held';
    ($s) = api(POST => "/api/gigs/$g/respond", token => $p->{token}, json => { action => 'accept' });
    is $s, 200, 'accepted';
    my ($rid) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$g' AND provider_id = '$p->{id}'");
    ($s, $d) = api(POST => "/api/gigs/$g/select", token => $req->{token}, json => { response_id => $rid });
    is $s, 200, 'selected' or diag explain $d;
    my ($amount, $fee) = psql_row("SELECT amount, platform_fee FROM projects WHERE gig_id = '$g'");
    is "$amount $fee", '12005 1441', '12 % of 12005p is 1440.6p: 1441p';
};

done_testing;
