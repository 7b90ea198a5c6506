# Subscriptions end to end: checkout at the fake Stripe → webhook → pro/active →
# payment failed (past_due + notification) → portal → cancel at period end → paid again →
# deleted (free/canceled). Also auth and the "nothing to manage" answers.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;

my ($s, $d);
my ($u, $uid, $cus, $sub, $t0, $p, $ps, $pe);   # shared by the subtests below

subtest 'no auth → 401' => sub {
    for my $rt (['GET', '/api/subscription'], ['POST', '/api/subscription/checkout'],
                ['POST', '/api/subscription/portal'], ['POST', '/api/subscription/cancel']) {
        ($s, $d) = api($rt->[0] => $rt->[1]);
        is $s, 401, "$rt->[0] $rt->[1] without auth → 401";
        is $d->{code}, 'UNAUTHORIZED', 'UNAUTHORIZED envelope';
    }

    $u = new_user();
    $uid = $u->{id};
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    is $s, 200, 'GET subscription 200';
    ok $d->{success} && exists $d->{data} && !defined $d->{data}, 'free user: data is null';

    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    is $s, 404, 'portal without a Stripe customer → 404';
    like $d->{error}, qr/billing account/i, 'clear message';
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    is $s, 404, 'cancel without a subscription → 404';
    is scalar(stripe_reqs($uid)), 0, 'nothing sent to Stripe yet';
};

subtest 'checkout' => sub {
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'checkout 200' or diag explain $d;
    like $d->{data}{url}, qr{^https://checkout\.stripe\.test/c/pay/cs_test_}, 'checkout url';
    my ($cus_req) = stripe_reqs($uid, qr{^/v1/customers$});
    ok $cus_req, 'customer created at Stripe';
    is $cus_req->{headers}{authorization}, 'Bearer sk_test_gigd', 'secret key as Bearer';
    is $cus_req->{form}{email}, $u->{email}, 'customer email';
    is $cus_req->{form}{'metadata[user_id]'}, $uid, 'customer metadata[user_id]';
    like $cus_req->{headers}{'idempotency-key'}, qr/^customer-\Q$uid\E-\d+$/, 'customer Idempotency-Key from our op id';
    my ($cs_req) = stripe_reqs($uid, qr{^/v1/checkout/sessions$});
    ok $cs_req, 'checkout session created';
    my $f = $cs_req->{form};
    is $f->{mode}, 'subscription', 'mode=subscription';
    is $f->{'line_items[0][price]'}, 'price_pro_test', 'price from GIGD_STRIPE_PRO_PRICE';
    is $f->{'line_items[0][quantity]'}, '1', 'quantity 1';
    is $f->{client_reference_id}, $uid, 'client_reference_id = user id';
    is $f->{'metadata[user_id]'}, $uid, 'metadata[user_id]';
    like $f->{success_url}, qr{^https://[^/]+/settings/billing\?checkout=success}, 'success_url from public url';
    like $f->{cancel_url}, qr{^https://[^/]+/settings/billing\?checkout=canceled}, 'cancel_url';
    like $cs_req->{headers}{'idempotency-key'}, qr/^checkout-\Q$uid\E-\d+$/, 'checkout Idempotency-Key';
    like $cs_req->{headers}{'content-type'}, qr{^application/x-www-form-urlencoded}, 'form-encoded';
    ($cus) = psql_row("SELECT stripe_customer_id FROM subscriptions WHERE user_id = '$uid'");
    like $cus, qr/^cus_/, 'customer stored';
    is $f->{customer}, $cus, 'session for the stored customer';

    # A second checkout reuses the customer and is a new operation.
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'second checkout 200';
    is scalar(stripe_reqs($uid, qr{^/v1/customers$})), 1, 'customer not created twice';
    my @cs = stripe_reqs($uid, qr{^/v1/checkout/sessions$});
    is scalar(@cs), 2, 'two sessions';
    isnt $cs[1]{headers}{'idempotency-key'}, $cs[0]{headers}{'idempotency-key'}, 'a new operation gets a new key';
};

subtest 'webhook: checkout completed → pro/active' => sub {
    $sub = 'sub_test_' . substr($uid, 0, 8);
    $t0 = time - 100;
    ($p) = event('checkout.session.completed',
        { id => 'cs_test_x', object => 'checkout.session', mode => 'subscription', client_reference_id => $uid,
          metadata => { user_id => $uid }, customer => $cus, subscription => $sub, payment_status => 'paid' },
        created => $t0);
    ($s, $d) = deliver($p);
    is $s, 200, 'checkout.session.completed 200' or diag explain $d;
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    is $d->{data}{plan}, 'pro', 'plan pro';
    is $d->{data}{status}, 'active', 'status active';
    is $d->{data}{stripe_subscription_id}, $sub, 'subscription linked';
    is $d->{data}{stripe_customer_id}, $cus, 'customer id';
    is $d->{data}{user_id}, $uid, 'user_id';
    ok !$d->{data}{cancel_at_period_end}, 'not canceling';
    like $d->{data}{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'created_at RFC 3339';
    is((psql_row("SELECT user_is_pro('$uid')"))[0], 't', 'user_is_pro');

    $ps = $t0 + 1; $pe = $ps + 30 * 86400;
    ($p) = event('customer.subscription.updated',
        { id => $sub, object => 'subscription', customer => $cus, status => 'active', cancel_at_period_end => JSON::PP::false,
          current_period_start => $ps, current_period_end => $pe, metadata => { user_id => $uid } }, created => $t0 + 1);
    ($s) = deliver($p);
    is $s, 200, 'subscription.updated 200';
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    my ($pe_db) = psql_row("SELECT extract(epoch FROM current_period_end)::bigint FROM subscriptions WHERE user_id = '$uid'");
    is $pe_db, $pe, 'period end stored';
    like $d->{data}{current_period_end}, qr/Z$/, 'current_period_end shown';

    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 409, 'checkout while pro → 409';
};

subtest 'invoice.payment_failed → past_due + notification' => sub {
    my $fail_id;
    ($p, $fail_id) = event('invoice.payment_failed',
        { id => 'in_test_1', object => 'invoice', customer => $cus, subscription => $sub, amount_due => 999,
          currency => 'gbp' }, created => $t0 + 2);
    ($s) = deliver($p);
    is $s, 200, 'invoice.payment_failed 200';
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    is $d->{data}{status}, 'past_due', 'status past_due';
    is $d->{data}{plan}, 'pro', 'still pro while past_due';
    my @n = psql("SELECT type, title, data->>'invoice_id' FROM notifications WHERE user_id = '$uid'");
    is scalar(@n), 1, 'one notification';
    is $n[0][0], 'payment_failed', 'notification type';
    is $n[0][2], 'in_test_1', 'notification names the invoice';
    ($s, $d) = deliver($p);
    is $s, 200, 'redelivered failure acknowledged';
    ok $d->{data}{duplicate}, 'marked duplicate';
    is((psql_row("SELECT count(*) FROM notifications WHERE user_id = '$uid'"))[0], 1, 'no second notification');
};

subtest 'portal' => sub {
    ($s, $d) = api(POST => '/api/subscription/portal', token => $u->{token});
    is $s, 200, 'portal 200';
    like $d->{data}{url}, qr{^https://billing\.stripe\.test/p/session/}, 'portal url';
    my ($pr) = stripe_reqs($uid, qr{^/v1/billing_portal/sessions$});
    is $pr->{form}{customer}, $cus, 'portal for the stored customer';
    like $pr->{form}{return_url}, qr{^https://}, 'return_url';
    like $pr->{headers}{'idempotency-key'}, qr/^portal-\Q$uid\E-\d+$/, 'portal Idempotency-Key';
};

subtest 'cancel at period end' => sub {
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    is $s, 200, 'cancel 200' or diag explain $d;
    ok $d->{data}{cancel_at_period_end}, 'cancel_at_period_end true in the answer';
    my @cr = stripe_reqs($uid, qr{^/v1/subscriptions/});
    is scalar(@cr), 1, 'one cancel request';
    is $cr[0]{path}, "/v1/subscriptions/$sub", 'cancel for the stored subscription';
    is $cr[0]{method}, 'POST', 'POST';
    is $cr[0]{form}{cancel_at_period_end}, 'true', 'cancel_at_period_end=true';
    like $cr[0]{headers}{'idempotency-key'}, qr/^cancel-\Q$uid\E-\d+$/, 'cancel Idempotency-Key';
    is((psql_row("SELECT cancel_at_period_end FROM subscriptions WHERE user_id = '$uid'"))[0], 't', 'stored');
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    is $s, 200, 'cancel again 200';
    is scalar(stripe_reqs($uid, qr{^/v1/subscriptions/})), 1, 'already canceling: Stripe not asked again';
};

subtest 'invoice.payment_succeeded → active again' => sub {
    ($p) = event('invoice.payment_succeeded',
        { id => 'in_test_2', object => 'invoice', customer => $cus,
          parent => { subscription_details => { subscription => $sub } } }, created => $t0 + 3);
    ($s) = deliver($p);
    is $s, 200, 'invoice.payment_succeeded 200';
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    is $d->{data}{status}, 'active', 'paid: active again (subscription under parent, new API shape)';
};

subtest 'deleted → free/canceled' => sub {
    ($p) = event('customer.subscription.deleted',
        { id => $sub, object => 'subscription', customer => $cus, status => 'canceled',
          current_period_start => $ps, current_period_end => $pe }, created => $t0 + 4);
    ($s) = deliver($p, path => '/api/stripe/webhook');
    is $s, 200, 'subscription.deleted via the alias route 200';
    ($s, $d) = api(GET => '/api/subscription', token => $u->{token});
    is $d->{data}{status}, 'canceled', 'status canceled';
    is $d->{data}{plan}, 'free', 'plan free';
    ok !$d->{data}{cancel_at_period_end}, 'cancel flag cleared';
    is((psql_row("SELECT user_is_pro('$uid')"))[0], 'f', 'no longer pro');
    ($s, $d) = api(POST => '/api/subscription/cancel', token => $u->{token});
    is $s, 404, 'cancel after deletion → 404';

    # A canceled user may subscribe again.
    ($s, $d) = api(POST => '/api/subscription/checkout', token => $u->{token});
    is $s, 200, 'checkout again after cancellation';

    # Concurrent first checkouts of one user: one Stripe customer (one operation, one key).
    my $u3 = new_user();
    my @st = parallel(4, sub { my ($st) = api(POST => '/api/subscription/checkout', token => $u3->{token}); $st });
    ok !(grep { $_ != 200 && $_ != 409 } @st), 'concurrent checkouts answer 200 (or 409 "in progress")' or diag "@st";
    ok((grep { $_ == 200 } @st) >= 1, 'at least one of them gets the checkout') or diag "@st";
    my %keys = map { $_->{headers}{'idempotency-key'} => 1 } stripe_reqs($u3->{id}, qr{^/v1/customers$});
    is scalar(keys %keys), 1, 'one customer operation at Stripe';
    my @cids = psql("SELECT stripe_customer_id FROM subscriptions WHERE user_id = '$u3->{id}'");
    is scalar(@cids), 1, 'one subscriptions row';
    like $cids[0][0], qr/^cus_/, 'customer stored';
};

done_testing;
