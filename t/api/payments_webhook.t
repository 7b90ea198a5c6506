# The Stripe webhook: signature refusals change nothing, each event id is handled once,
# older events never overwrite newer state, status mapping, unknown types acknowledged.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;

my ($s, $d, $p, $id);
my $u = new_user();
my $uid = $u->{id};
my $cus = 'cus_wh_' . substr($uid, 0, 8);
my $sub = 'sub_wh_' . substr($uid, 0, 8);
my $now = time;

sub state { my @r = psql_row("SELECT status, plan, cancel_at_period_end FROM subscriptions WHERE user_id = '$uid'"); "@r" }
sub recorded { (psql_row("SELECT count(*) FROM stripe_events WHERE id = '$_[0]'"))[0] }
my ($inv, %so);   # shared by the subtests below

subtest 'signature failures: 400, nothing changed' => sub {
    ($p, $id) = event('checkout.session.completed',
        { id => 'cs_wh', object => 'checkout.session', mode => 'subscription', client_reference_id => $uid,
          customer => $cus, subscription => $sub, payment_status => 'paid' });
    my $good = sign($p);
    my ($gt, $gsig) = $good =~ /^t=(\d+),v1=([0-9a-f]+)$/;
    for my $case (
        ['no header', undef, $p],
        ['empty header', '', $p],
        ['garbage header', 'garbage', $p],
        ['missing t', "v1=$gsig", $p],
        ['no v1', "t=$gt", $p],
        ['only v0', "t=$gt,v0=$gsig", $p],
        ['wrong secret', sign($p, secret => 'whsec_wrong'), $p],
        ['tampered body', $good, do { (my $x = $p) =~ s/"paid"/"PAID"/; $x }],
        ['body with extra whitespace', $good, "$p "],
        ['stale timestamp (301 s)', sign($p, t => $now - 301), $p],
        ['timestamp in the future', sign($p, t => $now + 400), $p],
        ['non-numeric t', "t=abc,v1=$gsig", $p],
    ) {
        my ($name, $hdr, $body) = @$case;
        ($s, $d) = deliver($body, header => $hdr);
        is $s, 400, "$name → 400";
        is $d->{code}, 'VALIDATION_ERROR', "$name: envelope code";
    }
    is state(), '', 'no subscription row written';
    is recorded($id), 0, 'event not recorded';
    ($s, $d) = deliver($p, header => "t=$gt,v1=" . ('0' x 64) . ",v1=$gsig");
    is $s, 200, 'second of two v1 signatures matches → 200' or diag explain $d;
    is state(), 'active pro f', 'checkout completed applied';
    is recorded($id), 1, 'event recorded';
};

subtest 'replay: the same event again changes nothing' => sub {
    psql("UPDATE subscriptions SET status = 'past_due' WHERE user_id = '$uid'");
    ($s, $d) = deliver($p);
    is $s, 200, 'redelivery → 200';
    ok $d->{data}{duplicate}, 'answered as duplicate';
    is state(), 'past_due pro f', 'redelivery did not re-apply its effect';
    is recorded($id), 1, 'still one record';
    psql("UPDATE subscriptions SET status = 'active' WHERE user_id = '$uid'");

    # Concurrent deliveries of one event: handled exactly once.
    $inv = { id => 'in_wh_1', object => 'invoice', customer => $cus, subscription => $sub, amount_due => 500,
                currency => 'gbp' };
    ($p, $id) = event('invoice.payment_failed', $inv, created => $now + 1);
    my @res = parallel(4, sub { my ($st) = deliver($p); return $st });
    is_deeply \@res, [200, 200, 200, 200], 'four concurrent deliveries all acknowledged';
    is((psql_row("SELECT count(*) FROM notifications WHERE user_id = '$uid' AND type = 'payment_failed'"))[0], 1,
       'one notification for one event');
    is state(), 'past_due pro f', 'past_due';
};

subtest 'out of order: an older event never overwrites newer state' => sub {
    %so = (id => $sub, object => 'subscription', customer => $cus, metadata => { user_id => $uid });
    ($p) = event('customer.subscription.updated', { %so, status => 'active', cancel_at_period_end => JSON::PP::true,
        current_period_start => $now, current_period_end => $now + 86400 }, created => $now + 10);
    ($s) = deliver($p);
    is $s, 200, 'newer update (t+10) 200';
    is state(), 'active pro t', 'applied';
    ($p) = event('customer.subscription.updated', { %so, status => 'past_due', cancel_at_period_end => JSON::PP::false },
                 created => $now + 5);
    ($s) = deliver($p);
    is $s, 200, 'older update (t+5) acknowledged';
    is state(), 'active pro t', 'older update ignored';
    ($p) = event('invoice.payment_failed', { %$inv, id => 'in_wh_old' }, created => $now + 6);
    ($s) = deliver($p);
    is state(), 'active pro t', 'older payment failure does not set past_due';
    ($p) = event('customer.subscription.deleted', { %so, status => 'canceled' }, created => $now + 7);
    ($s) = deliver($p);
    is $s, 200, 'older deletion acknowledged';
    is state(), 'active pro t', 'older deletion ignored';
};

subtest 'status mapping' => sub {
    my $t = $now + 20;
    for my $case (['trialing', 'trialing pro'], ['past_due', 'past_due pro'], ['incomplete', 'incomplete free'],
                  ['incomplete_expired', 'incomplete free'], ['unpaid', 'canceled free'],
                  ['paused', 'canceled free'], ['something_new', 'canceled free'], ['active', 'active pro']) {
        ($p) = event('customer.subscription.updated', { %so, status => $case->[0], cancel_at_period_end => JSON::PP::false },
                     created => $t++);
        ($s) = deliver($p);
        is state(), "$case->[1] f", "Stripe $case->[0] → $case->[1]";
    }

    # A subscription event that overtakes checkout.session.completed creates the row from metadata.
    my $u2 = new_user();
    ($p) = event('customer.subscription.created',
        { id => 'sub_wh2_' . substr($u2->{id}, 0, 8), object => 'subscription', customer => 'cus_wh2_' . substr($u2->{id}, 0, 8),
          status => 'active', metadata => { user_id => $u2->{id} },
          items => { data => [{ current_period_start => $now, current_period_end => $now + 3600 }] } });
    ($s) = deliver($p);
    is $s, 200, 'subscription.created for a user without a row';
    ($s, $d) = api(GET => '/api/subscription', token => $u2->{token});
    is "$d->{data}{status} $d->{data}{plan}", 'active pro', 'row created from metadata.user_id';
    ok defined $d->{data}{current_period_end}, 'period from the subscription item (new API shape)';
};

subtest 'unknown types: 200, ignored, not recorded' => sub {
    for my $type ('customer.created') {
        ($p, $id) = event($type, { id => 'x_1', object => 'thing' });
        ($s, $d) = deliver($p);
        is $s, 200, "$type → 200";
        ok $d->{data}{ignored}, 'ignored';
        is recorded($id), 0, 'not recorded';
    }
    # payment_intent.* belong to urgent gigs now (t/api/urgent_payment.t); one for a
    # PaymentIntent that is not an urgent gig's is acknowledged and changes nothing.
    for my $type ('payment_intent.amount_capturable_updated', 'payment_intent.payment_failed') {
        ($p, $id) = event($type, { id => 'pi_not_ours', object => 'payment_intent' });
        ($s, $d) = deliver($p);
        is $s, 200, "$type for a PaymentIntent that is not ours → 200";
    }
};

subtest 'well signed but malformed' => sub {
    ($s, $d) = deliver('{not json');
    is $s, 400, 'malformed JSON (valid signature) → 400';
    ($s, $d) = deliver('{"id":"evt_x","type":"invoice.payment_failed"}');
    is $s, 400, 'event without data.object → 400';

    # A user id that is not ours in client_reference_id: acknowledged, nothing written.
    ($p) = event('checkout.session.completed', { id => 'cs_x', mode => 'subscription',
        client_reference_id => '00000000-0000-4000-a000-000000000000', customer => 'cus_nobody', subscription => 'sub_nobody' });
    ($s) = deliver($p);
    is $s, 200, 'checkout for unknown user acknowledged';
    is((psql_row("SELECT count(*) FROM subscriptions WHERE stripe_customer_id = 'cus_nobody'"))[0], 0, 'nothing written');

    # The webhook takes no session and no JSON content type.
    ($s, $d) = api(GET => '/api/webhooks/stripe');
    is $s, 405, 'GET on the webhook → 405';
};

done_testing;
