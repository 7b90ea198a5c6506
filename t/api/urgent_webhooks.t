# Money webhooks (payment_intent.succeeded / canceled, charge.refunded, transfer.created /
# reversed): recorded once whichever of our own record and the event comes first; replays
# (same id, or a new id for the same fact) book nothing twice; an older event never undoes
# a newer state; an event that overtakes the fact it depends on is refused for redelivery.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);

sub entries { my ($gig) = @_; return (psql_row("SELECT count(*) FROM wallet_transactions WHERE gig_id = '$gig'"))[0] }
sub succeeded {
    my ($p, $amount) = @_;
    return event('payment_intent.succeeded', { id => $p->{pi}, object => 'payment_intent', status => 'succeeded',
                                               amount => 12000, amount_received => $amount // 12000,
                                               currency => 'gbp', metadata => { gig_id => $p->{gig} } });
}

subtest 'capture: the event before our own record (Stripe timed out on us)' => sub {
    my $p = project_gig();
    my $t = $ENV{GIGD_STRIPE_TIMEOUT} // 3;
    stripe_control({ delay => $t + 1, count => 2 });
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 503, 'complete timed out';
    sleep 2;
    stripe_clear();
    my ($ev) = succeeded($p);
    ($s, $d) = deliver($ev);
    is $s, 200, 'payment_intent.succeeded 200';
    my ($row) = psql("SELECT payment_captured, (SELECT status FROM urgent_payment_ops WHERE gig_id = g.id AND kind = 'capture')"
                     . " FROM gigs g WHERE id = '$p->{gig}'");
    is_deeply $row, ['12000', 'done'], 'the event records the capture and finishes our operation';
    ($s, $d) = deliver($ev);
    ok $d->{data}{duplicate}, 'the same event again: duplicate';
    my ($ev2) = succeeded($p);
    deliver($ev2);
    is entries($p->{gig}), 2, 'a new event id for the same capture books nothing more';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'the retry releases';
    is fake_pi($p->{pi})->{captures}, 1, 'one capture';
    is entries($p->{gig}), 5, 'one capture group, one release group';
};

subtest 'capture made elsewhere (dashboard) while ours was pending: not asked again' => sub {
    my $p = project_gig();
    stripe_control({ status => 500 });
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    stripe_clear();
    is $s, 502, 'our capture failed, operation pending';
    my ($ds) = api(POST => "$ENV{GIGD_STRIPE_API_BASE}/v1/payment_intents/$p->{pi}/capture", body => 'amount_to_capture=12000',
                   headers => { 'Content-Type' => 'application/x-www-form-urlencoded', 'Idempotency-Key' => "dash-$p->{gig}" });
    is $ds, 200, 'captured in the dashboard';
    my ($ev) = succeeded($p);
    deliver($ev);
    my $before = grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'the retry releases';
    my $after = grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    is $after, $before, 'without asking Stripe to capture again';
    is fake_pi($p->{pi})->{captures}, 1, 'one capture';
    is entries($p->{gig}), 5, 'one set of entries';
};

subtest 'capture: our record first, the event after' => sub {
    my $p = project_gig();
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'released';
    my ($ev) = succeeded($p, 5000);   # even a wrong amount cannot book twice
    ($s) = deliver($ev);
    is $s, 200, 'event 200';
    is entries($p->{gig}), 5, 'nothing more booked';
    my ($row) = psql("SELECT payment_captured FROM gigs WHERE id = '$p->{gig}'");
    is_deeply $row, ['12000'], 'captured amount unchanged';
};

subtest 'old events never undo a newer state' => sub {
    my $p = project_gig();
    api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    my $created = time - 3600;
    for my $type ('payment_intent.amount_capturable_updated', 'payment_intent.payment_failed', 'payment_intent.canceled') {
        my ($ev) = event($type, { id => $p->{pi}, object => 'payment_intent', status => 'requires_capture',
                                  amount => 12000, amount_capturable => 12000, currency => 'gbp',
                                  metadata => { gig_id => $p->{gig} } }, created => $created);
        ($s) = deliver($ev);
        is $s, 200, "$type 200";
    }
    my ($row) = psql("SELECT g.urgent_status, g.payment_status, p.status FROM gigs g JOIN projects p ON p.gig_id = g.id"
                     . " WHERE g.id = '$p->{gig}'");
    is_deeply $row, ['completed', 'released', 'completed'], 'still completed and released';
    is wallet_of($p->{prov}), 10560, 'wallet untouched';
};

subtest 'cancel: the event finishes a cancel Stripe did but we never heard of' => sub {
    my ($lat, $lng) = spot();
    my $req = new_user();
    provider(lat => $lat, lng => $lng);
    my ($st, $g) = urgent_gig($req, lat => $lat, lng => $lng);
    hold_webhook($g->{gig_id});
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$g->{gig_id}'");
    stripe_control({ status => 500 });
    my ($cs, $cd) = cron('urgent-gigs/expire');
    stripe_clear();
    my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g->{gig_id}'");
    is_deeply $row, ['cancelled', 'escrowed'], 'cancelled, the hold not yet released';
    my ($ev) = pi_event('payment_intent.canceled', $g->{gig_id}, status => 'canceled');
    deliver($ev);
    ($row) = psql("SELECT payment_status, (SELECT status FROM urgent_payment_ops WHERE gig_id = g.id AND kind = 'cancel')"
                  . " FROM gigs g WHERE id = '$g->{gig_id}'");
    is_deeply $row, ['refunded', 'done'], 'refunded, operation done';
};

subtest 'charge.refunded finishes a refund Stripe made but we never heard of' => sub {
    my ($lat, $lng) = spot();
    my $req = new_user();
    provider(lat => $lat, lng => $lng);
    my ($st, $g) = urgent_gig($req, lat => $lat, lng => $lng);
    my $gig = $g->{gig_id};
    hold_webhook($gig);
    psql("UPDATE gigs SET created_at = now() - interval '6 days 1 hour' WHERE id = '$gig'");
    cron('urgent-gigs/capture-held');
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$gig'");
    stripe_control({ status => 500 });
    cron('urgent-gigs/expire');
    stripe_clear();
    my %ops = ops_of($gig);
    is $ops{refund}, 'pending', 'our refund is pending';
    my ($ev) = event('charge.refunded', { id => 'ch_' . rand_name('c'), object => 'charge', payment_intent => pi_of($gig),
                                          amount => 12000, amount_refunded => 12000, refunded => JSON::PP::true,
                                          refunds => { data => [{ id => 're_' . rand_name('r'), amount => 12000 }] } });
    ($s) = deliver($ev);
    is $s, 200, 'charge.refunded 200';
    deliver($ev);
    my ($row) = psql("SELECT payment_status, payment_refunded FROM gigs WHERE id = '$gig'");
    is_deeply $row, ['refunded', '12000'], 'recorded: refunded in full';
    %ops = ops_of($gig);
    is $ops{refund}, 'done', 'operation done';
    is wallet_of($req, 'escrow'), 0, 'escrow empty, once';
    psql("UPDATE gigs SET settle_decided_at = now() - interval '5 minutes' WHERE id = '$gig'");
    cron('urgent-gigs/expire');
    is fake_pi(pi_of($gig))->{refunds} // 0, 0, 'the sweep asks Stripe for nothing more';
    is_deeply [ledger_problems()], [], 'the books balance';
};

subtest 'refund and transfer events; a reversal once; a reversal that overtakes its transfer' => sub {
    my $p = project_gig(account => 'acct_' . rand_name('w'));
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'released and transferred';
    my ($tr) = map { $_->[0] } psql("SELECT stripe_object_id FROM urgent_payment_ops WHERE gig_id = '$p->{gig}' AND kind = 'transfer'");
    like $tr, qr/^tr_/, 'transfer id stored';
    my ($created) = event('transfer.created', { id => $tr, object => 'transfer', amount => 10560, currency => 'gbp',
                                                 destination => 'acct_x', metadata => { gig_id => $p->{gig} } });
    deliver($created);
    is entries($p->{gig}), 7, 'transfer.created after our record: nothing more';
    my $rev = { id => $tr, object => 'transfer', amount => 10560, amount_reversed => 10560, reversed => JSON::PP::true,
                currency => 'gbp', metadata => { gig_id => $p->{gig} } };
    my ($r1) = event('transfer.reversed', $rev);
    my ($r2) = event('transfer.reversed', $rev);
    ($s) = deliver($r1);
    is $s, 200, 'transfer.reversed 200';
    deliver($r1);
    deliver($r2);
    is wallet_of($p->{prov}), 10560, 'back in the wallet, once';
    is wallet_of($p->{prov}, 'payout'), 0, 'payout reversed';
    my $q = project_gig();
    psql("INSERT INTO urgent_payment_ops (gig_id, kind, amount) VALUES ('$q->{gig}', 'transfer', 10560)");
    my ($r3) = event('transfer.reversed', { %$rev, id => 'tr_early' . rand_name('x'), metadata => { gig_id => $q->{gig} } });
    ($s) = deliver($r3);
    is $s, 503, 'a reversal of a transfer still pending here: refused, Stripe redelivers';
    my ($again) = deliver($r3);
    is $again, 503, 'and is not marked handled';
    my ($r4) = event('transfer.reversed', { %$rev, id => 'tr_notours' . rand_name('x'), metadata => {} });
    ($s, $d) = deliver($r4);
    is $s, 200, 'a reversal of a transfer we never made: acknowledged';
    psql("DELETE FROM urgent_payment_ops WHERE gig_id = '$q->{gig}'");
    is_deeply [ledger_problems()], [], 'the books balance';
};

done_testing;
