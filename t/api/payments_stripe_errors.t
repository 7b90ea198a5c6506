# When Stripe fails: 500s and 429s are retried with the same Idempotency-Key, then give a
# clear 502/503 envelope; a timeout gives 503; a 4xx is final; nothing is half-written and
# the user's retry is the same operation at Stripe.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Gigd;
use Payments;

my ($s, $d);
my $u = new_user();
my $uid = $u->{id};
sub sub_row { (psql_row("SELECT count(*) FROM subscriptions WHERE user_id = '$uid'"))[0] }

subtest 'Stripe answers 500 every time' => sub {
    stripe_control({ status => 500 });
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    stripe_clear();
    is $s, 502, 'Stripe 500 → 502';
    is $d->{code}, 'UPSTREAM_ERROR', 'UPSTREAM_ERROR';
    like $d->{error}, qr/payment provider/i, 'clear message';
    unlike $d->{error}, qr/fake|api_error|control/i, 'Stripe internals not leaked';
    my @cr = stripe_reqs($uid, qr{^/v1/customers$});
    is scalar(@cr), 3, 'three attempts';
    is scalar(keys %{{ map { $_->{headers}{'idempotency-key'} => 1 } @cr }}), 1, 'all with one Idempotency-Key';
    is sub_row(), 0, 'nothing written to subscriptions';
    is scalar(stripe_reqs($uid, qr{^/v1/checkout/sessions$})), 0, 'no session attempted without a customer';
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    ok !defined $d->{data}, 'still no subscription';

    # The user's retry is the same operation at Stripe.
    my $key = $cr[0]{headers}{'idempotency-key'};
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'retry after the outage succeeds' or diag explain $d;
    @cr = stripe_reqs($uid, qr{^/v1/customers$});
    is $cr[-1]{headers}{'idempotency-key'}, $key, 'retry reuses the Idempotency-Key';
    is sub_row(), 1, 'customer stored once';
};

subtest 'one 500, then success: retried inside the request' => sub {
    my $n0 = () = stripe_reqs($uid, qr{^/v1/checkout/sessions$});
    stripe_control({ status => 500, count => 1 });
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'a single 500 is retried transparently';
    my @cs = stripe_reqs($uid, qr{^/v1/checkout/sessions$});
    is scalar(@cs) - $n0, 2, 'two attempts';
    is $cs[-1]{headers}{'idempotency-key'}, $cs[-2]{headers}{'idempotency-key'}, 'same key on the retry';
};

subtest '429 then success' => sub {
    stripe_control({ status => 429, count => 1, body => { error => { type => 'rate_limit_error', message => 'slow down' } } });
    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    is $s, 200, '429 is retried';
};

subtest 'persistent 429 → 503' => sub {
    stripe_control({ status => 429 });
    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    stripe_clear();
    is $s, 503, 'persistent 429 → 503';
    is $d->{code}, 'UNAVAILABLE', 'UNAVAILABLE';
};

subtest '4xx is final: not retried, a clear 502, and the operation is closed' => sub {
    my $p0 = () = stripe_reqs($uid, qr{^/v1/billing_portal/sessions$});
    stripe_control({ status => 400, count => 1,
        body => { error => { type => 'invalid_request_error', message => 'No configuration provided; secret detail' } } });
    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    is $s, 502, 'Stripe 400 → 502';
    unlike $d->{error}, qr/secret detail|configuration/, 'Stripe message not passed through';
    my @pr = stripe_reqs($uid, qr{^/v1/billing_portal/sessions$});
    is scalar(@pr) - $p0, 1, '4xx not retried';
    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    is $s, 200, 'next portal call works';
    @pr = stripe_reqs($uid, qr{^/v1/billing_portal/sessions$});
    isnt $pr[-1]{headers}{'idempotency-key'}, $pr[-2]{headers}{'idempotency-key'}, 'a refused operation is not replayed';
};

subtest 'timeout: Stripe slower than GIGD_STRIPE_TIMEOUT → 503, nothing half-written' => sub {
    my $sub = 'sub_to_' . substr($uid, 0, 8);
    my ($cus) = psql_row("SELECT stripe_customer_id FROM subscriptions WHERE user_id = '$uid'");
    my ($ev) = event('checkout.session.completed', { id => 'cs_to', mode => 'subscription', client_reference_id => $uid,
        customer => $cus, subscription => $sub, payment_status => 'paid' });
    ($s) = deliver($ev);
    is $s, 200, 'user is pro';
    my $timeout = $ENV{GIGD_STRIPE_TIMEOUT} // 3;
    stripe_control({ delay => $timeout + 3 });
    my $t0 = time;
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    my $el = time - $t0;
    stripe_clear();
    is $s, 503, 'Stripe timing out → 503';
    is $d->{code}, 'UNAVAILABLE', 'UNAVAILABLE envelope';
    like $d->{error}, qr/unavailable/i, 'clear message';
    cmp_ok $el, '<', 3 * $timeout + 2, "bounded time (${el}s)";
    is((psql_row("SELECT cancel_at_period_end FROM subscriptions WHERE user_id = '$uid'"))[0], 'f',
       'cancel flag not set after a timeout');
    my @k = map { $_->{headers}{'idempotency-key'} } stripe_reqs($uid, qr{^/v1/subscriptions/});
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    is $s, 200, 'cancel retried later succeeds';
    ok $d->{data}{cancel_at_period_end}, 'cancel_at_period_end true';
    my @k2 = map { $_->{headers}{'idempotency-key'} } stripe_reqs($uid, qr{^/v1/subscriptions/});
    is $k2[-1], $k[0], 'the retry is the same cancel operation (same Idempotency-Key)';
};

done_testing;
