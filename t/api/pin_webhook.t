# Stripe webhook edge cases (lib/webhook.c, lib/sql/webhook.sql): the payment status of a
# completed checkout decides pro, a paid invoice never revives a deleted subscription, a
# re-subscription whose subscription event overtakes its checkout, and events about a
# second subscription of the same customer never overwrite the live one; a failed invoice
# racing the subscription's deletion tells nobody (the row lock of st_wh_invoice_failed).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Race;

my $now = time;
sub state_of {
    my ($u) = @_;
    my @r = psql_row("SELECT status, plan, coalesce(stripe_subscription_id, '-') FROM subscriptions WHERE user_id = '$u->{id}'");
    return "@r";
}
sub send_ok {
    my ($type, $obj, $created, $what) = @_;
    my ($p) = event($type, $obj, created => $created);
    my ($s, $d) = deliver($p);
    is $s, 200, "$what: $type → 200" or diag explain $d;
}
sub checkout {
    my ($u, $cus, $sub, $ps) = @_;
    return { id => 'cs_' . rand_name('pin'), object => 'checkout.session', mode => 'subscription',
             client_reference_id => $u->{id}, customer => $cus, subscription => $sub, payment_status => $ps };
}
sub subscription {
    my ($u, $cus, $sub, $status) = @_;
    return { id => $sub, object => 'subscription', customer => $cus, status => $status,
             metadata => { user_id => $u->{id} }, current_period_start => $now, current_period_end => $now + 30 * 86400,
             cancel_at_period_end => JSON::PP::false };
}
sub ids { my $n = rand_name('pin'); return ("cus_$n", "sub_$n", "sub_${n}_b") }

subtest 'checkout.session.completed: payment_status decides' => sub {
    my $u = new_user();
    my ($cus, $sub) = ids();
    send_ok('checkout.session.completed', checkout($u, $cus, $sub, 'unpaid'), $now, 'unpaid');
    is state_of($u), "incomplete free $sub", 'unpaid: linked, not pro';
    my ($pro) = psql_row("SELECT user_is_pro('$u->{id}')");
    is $pro, 'f', 'user_is_pro false';
    my $v = new_user();
    ($cus, $sub) = ids();
    send_ok('checkout.session.completed', checkout($v, $cus, $sub, 'no_payment_required'), $now, 'trial');
    is state_of($v), "active pro $sub", 'no_payment_required (a free trial): pro';
    my $w = new_user();
    ($cus, $sub) = ids();
    send_ok('checkout.session.completed', checkout($w, $cus, $sub, 'paid'), $now, 'paid');
    is state_of($w), "active pro $sub", 'paid: pro';
};

subtest 'invoice.paid after the subscription was deleted: stays canceled' => sub {
    my $u = new_user();
    my ($cus, $sub) = ids();
    send_ok('checkout.session.completed', checkout($u, $cus, $sub, 'paid'), $now - 100, 'start');
    send_ok('customer.subscription.deleted', subscription($u, $cus, $sub, 'canceled'), $now - 50, 'cancel');
    is state_of($u), "canceled free $sub", 'canceled';
    for my $type ('invoice.paid', 'invoice.payment_succeeded') {
        send_ok($type, { id => 'in_' . rand_name('pin'), object => 'invoice', customer => $cus, subscription => $sub,
                         amount_paid => 900, currency => 'gbp' }, $now, 'late invoice');
        is state_of($u), "canceled free $sub", "$type later than the deletion: still canceled";
    }
};

subtest 're-subscribing after cancelling: subscription.created before the checkout' => sub {
    my $u = new_user();
    my ($cus, $old, $new) = ids();
    send_ok('checkout.session.completed', checkout($u, $cus, $old, 'paid'), $now - 1000, 'first');
    send_ok('customer.subscription.deleted', subscription($u, $cus, $old, 'canceled'), $now - 900, 'cancel');
    is state_of($u), "canceled free $old", 'canceled';
    send_ok('customer.subscription.created', subscription($u, $cus, $new, 'active'), $now - 10, 'new');
    is state_of($u), "active pro $new", 'the new subscription is live before its checkout arrives';
    send_ok('checkout.session.completed', checkout($u, $cus, $new, 'paid'), $now - 20, 'its checkout (older)');
    is state_of($u), "active pro $new", 'still pro on the new subscription';
    send_ok('customer.subscription.updated', subscription($u, $cus, $old, 'canceled'), $now, 'a late event of the old one');
    is state_of($u), "active pro $new", 'an event about the cancelled subscription does not undo the new one';
    my ($rows) = psql_row("SELECT count(*) FROM subscriptions WHERE user_id = '$u->{id}'");
    is $rows, 1, 'one row for the user';
};

subtest 'a second subscription of the same customer never overwrites the live one' => sub {
    my $u = new_user();
    my ($cus, $live, $other) = ids();
    send_ok('checkout.session.completed', checkout($u, $cus, $live, 'paid'), $now - 100, 'live');
    send_ok('customer.subscription.updated', subscription($u, $cus, $live, 'active'), $now - 90, 'live');
    is state_of($u), "active pro $live", 'live subscription';
    for my $st ('incomplete', 'canceled', 'past_due', 'active') {
        send_ok('customer.subscription.created', subscription($u, $cus, $other, $st), $now - 50, "second ($st)");
        send_ok('customer.subscription.updated', subscription($u, $cus, $other, $st), $now - 40, "second ($st)");
        is state_of($u), "active pro $live", "second subscription $st: the live one is kept";
    }
    send_ok('customer.subscription.deleted', subscription($u, $cus, $other, 'canceled'), $now - 30, 'second deleted');
    send_ok('invoice.payment_failed', { id => 'in_' . rand_name('pin'), object => 'invoice', customer => $cus,
                                        subscription => $other, amount_due => 900, currency => 'gbp' }, $now - 20, 'second');
    is state_of($u), "active pro $live", 'deletion and a failed invoice of the second: the live one is kept';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$u->{id}' AND type = 'payment_failed'");
    is $n, 0, 'no payment_failed notice about a subscription that is not the user\'s';
};


subtest 'invoice.payment_failed queued behind the deletion: no notice about a cancelled subscription' => sub {
    my $u = new_user();
    my ($cus, $sub) = ids();
    send_ok('checkout.session.completed', checkout($u, $cus, $sub, 'paid'), $now - 100, 'start');
    my ($row) = psql_row("SELECT id FROM subscriptions WHERE user_id = '$u->{id}'");
    my ($del) = event('customer.subscription.deleted', subscription($u, $cus, $sub, 'canceled'), created => $now - 10);
    my ($fail) = event('invoice.payment_failed', { id => 'in_' . rand_name('pin'), object => 'invoice', customer => $cus,
                                                   subscription => $sub, amount_due => 900, currency => 'gbp' }, created => $now - 5);
    my @r = race("SELECT 1 FROM subscriptions WHERE id = '$row' FOR SHARE",
                 map { my $p = $_; sub { my ($st) = deliver($p); return { s => $st } } } $del, $fail);
    is_deeply [map { $_->{s} } @r], [200, 200], 'both acknowledged';
    is state_of($u), "canceled free $sub", 'canceled';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$u->{id}' AND type = 'payment_failed'");
    is $n, 0, 'nobody told to fix the payment of a subscription that is gone';
};

done_testing;
