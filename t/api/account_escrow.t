# Deleting an account while money is held in escrow for one of its urgent gigs (issue 15's
# leftover): refused with 409 for the requester and for the selected provider, nothing
# changed (the session still works, the subscription untouched); once the money is
# released, both can delete. In the Stripe seq group of tools/test-run (PaymentIntents at
# the fake).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my $p = project_gig();
my ($req, $prov) = ($p->{req}, $p->{prov});
my ($held) = psql_row("SELECT payment_status FROM gigs WHERE id = '$p->{gig}'");
is $held, 'escrowed', 'the payment is held';

# The requester has a live Pro subscription, as the webhook would have stored it: a refused
# deletion must not have cancelled it at Stripe first.
my $sub = 'sub_' . rand_name('esc');
psql("INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, status, plan)"
     . " VALUES ('$req->{id}', 'cus_" . rand_name('c') . "', '$sub', 'active', 'pro')");

for my $who ([requester => $req], [provider => $prov]) {
    my ($name, $u) = @$who;
    my ($s, $d) = api(DELETE => '/api/me', token => $u->{token}, json => { password => $u->{password} });
    is $s, 409, "the $name cannot delete the account while money is held";
    like $d->{error} // '', qr/escrow/i, 'and is told why';
    my ($deleted) = psql_row("SELECT deleted_at IS NOT NULL FROM users WHERE id = '$u->{id}'");
    is $deleted, 'f', 'the account is unchanged';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 200, 'its session still works';
}
is scalar(grep { $_->{path} eq "/v1/subscriptions/$sub" } fake_requests('stripe')), 0,
    'the subscription was not touched at Stripe';

# The provider completes, then the requester: the money is released.
my ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $prov->{token});
is $s, 200, 'provider marks complete';
($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $req->{token});
is $s, 200, 'requester completes';
($held) = psql_row("SELECT payment_status FROM gigs WHERE id = '$p->{gig}'");
is $held, 'released', 'released';

for my $who ([requester => $req], [provider => $prov]) {
    my ($name, $u) = @$who;
    my ($s) = api(DELETE => '/api/me', token => $u->{token}, json => { password => $u->{password} });
    is $s, 200, "the $name can delete the account now";
}

done_testing;
