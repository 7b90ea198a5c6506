# Soak: urgent gigs driven concurrently through random interleavings of select, complete
# (both parties), dispute + resolution, expiry, the money jobs and webhook replays; then
# every gig is brought to an end. At the end, for every gig: exactly one capture or one
# cancellation at the fake Stripe (at most one refund), every ledger group sums to zero and
# every wallet's balance equals its entries. The issue asks for 200 gigs; GIGD_SOAK_GIGS
# (default 40) keeps it near a minute on a loaded 2-core machine.
use strict;
use warnings;
use Test::More;
use List::Util qw(shuffle);
use Gigd;
use Payments;
use Urgent;

my $N = $ENV{GIGD_SOAK_GIGS} // 40;
my $WORKERS = 6;
my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";
srand($ENV{GIGD_SOAK_SEED} // time);
diag "soak: $N gigs, $WORKERS workers";

# --- setup: 3/4 selected (projects), 1/4 still searching with an accepted offer
my @gigs = map { @$_ } parallel(4, sub {
    my $w = shift;
    my @mine;
    for (my $i = $w; $i < $N; $i += 4) {
        my $account = $i % 3 == 0 ? 'acct_' . rand_name('k') : undef;
        if ($i % 4 == 3) {
            my ($lat, $lng) = spot();
            my $req = new_user();
            my $prov = provider(lat => $lat, lng => $lng);
            my ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
            hold_webhook($d->{gig_id});
            api(POST => "/api/gigs/$d->{gig_id}/respond", token => $prov->{token}, json => { action => 'accept' });
            push @mine, { gig => $d->{gig_id}, req => $req, prov => $prov, pi => pi_of($d->{gig_id}), searching => 1 };
        } else {
            push @mine, project_gig(account => $account);
        }
    }
    return \@mine;
});
is scalar @gigs, $N, "$N gigs set up";

sub resp_id {
    my ($g) = @_;
    return (psql_row("SELECT id FROM gig_responses WHERE gig_id = '$g->{gig}' AND provider_id = '$g->{prov}{id}'"))[0];
}
sub open_dispute {
    my ($g) = @_;
    return (psql_row("SELECT d.id FROM disputes d JOIN projects p ON p.id = d.project_id"
                     . " WHERE p.gig_id = '$g->{gig}' AND d.status IN ('open', 'under_review')"))[0];
}
sub project_of { my ($g) = @_; return (psql_row("SELECT id FROM projects WHERE gig_id = '$g->{gig}'"))[0] }

my @actions = (
    sub { my $g = shift; api(POST => "/api/gigs/$g->{gig}/complete", token => $g->{req}{token}) },
    sub { my $g = shift; api(POST => "/api/gigs/$g->{gig}/complete", token => $g->{prov}{token}) },
    sub {
        my $g = shift;
        my $pid = project_of($g) or return;
        my $who = rand() < 0.5 ? $g->{req} : $g->{prov};
        api(POST => '/api/disputes', token => $who->{token},
            json => { project_id => $pid, reason => 'soak', description => 'random dispute' });
    },
    sub {
        my $g = shift;
        my $id = open_dispute($g) or return;
        my @o = (['refund'], ['release'], ['split', int rand 101]);
        my $o = $o[rand @o];
        `$gigctl dispute resolve $id @$o 2>&1`;
    },
    sub {
        my $g = shift;
        my $rid = resp_id($g) or return;
        api(POST => "/api/gigs/$g->{gig}/select", token => $g->{req}{token}, json => { response_id => $rid });
    },
    sub {
        my $g = shift;
        psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$g->{gig}' AND urgent_status = 'searching'")
            if $g->{searching} && rand() < 0.5;
        cron('urgent-gigs/expire');
    },
    sub {
        my $g = shift;
        psql("UPDATE projects SET delivered_at = now() - interval '49 hours' WHERE gig_id = '$g->{gig}' AND status = 'delivered'");
        cron('urgent-gigs/auto-release');
    },
    sub {
        my $g = shift;
        my $fp = fake_pi($g->{pi});
        my ($ev) = rand() < 0.5
            ? pi_event('payment_intent.amount_capturable_updated', $g->{gig})
            : event('payment_intent.succeeded', { id => $g->{pi}, object => 'payment_intent', status => 'succeeded',
                                                   amount => $fp->{amount}, amount_received => $fp->{amount_received} // 0,
                                                   currency => 'gbp', metadata => { gig_id => $g->{gig} } });
        deliver($ev);
        deliver($ev);
    },
    sub {
        my $g = shift;
        psql("UPDATE gigs SET created_at = now() - interval '6 days 1 hour' WHERE id = '$g->{gig}'") if rand() < 0.3;
        cron('urgent-gigs/capture-held');
    },
);

# --- the random phase: every worker walks every gig in its own order, one random action each
my $t0 = time;
my @done = parallel($WORKERS, sub {
    my $w = shift;
    srand($w * 7919 + time);
    my $n = 0;
    for my $g (shuffle @gigs) {
        $actions[rand @actions]->($g);
        $n++;
    }
    return $n;
});
is((eval { my $t = 0; $t += $_ for @done; $t }), $N * $WORKERS, 'every action ran');
diag sprintf 'random phase: %d s', time - $t0;

# --- the end: resolve what is open, complete what is running, expire what is searching
for my $g (@gigs) {
    if (my $id = open_dispute($g)) {
        `$gigctl dispute resolve $id release 2>&1`;
    }
    my ($ps) = psql_row("SELECT status FROM projects WHERE gig_id = '$g->{gig}'");
    api(POST => "/api/gigs/$g->{gig}/complete", token => $g->{req}{token}) if $ps && $ps =~ /^(active|delivered)$/;
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$g->{gig}' AND urgent_status = 'searching'");
}
psql("UPDATE gigs SET settle_decided_at = settle_decided_at - interval '10 minutes' WHERE settle_decided_at IS NOT NULL"
     . " AND id IN (" . join(',', map { "'$_->{gig}'" } @gigs) . ")");
cron('urgent-gigs/expire');
cron('urgent-gigs/expire');

# --- the books
my (@twice, @none, @refunds, @unfinished);
for my $g (@gigs) {
    my $fp = fake_pi($g->{pi});
    my $ops = ($fp->{captures} // 0) + ($fp->{cancels} // 0);
    push @twice, $g->{gig} if $ops > 1;
    push @none, $g->{gig} if $ops < 1;
    push @refunds, $g->{gig} if ($fp->{refunds} // 0) > 1;
    my ($us, $ps, $pst) = psql_row("SELECT g.urgent_status, g.payment_status, p.status FROM gigs g"
                                   . " LEFT JOIN projects p ON p.gig_id = g.id WHERE g.id = '$g->{gig}'");
    push @unfinished, "$g->{gig} $us/$ps/" . ($pst // '-')
        unless ($us eq 'completed' && $ps eq 'released') || ($us eq 'cancelled' && $ps eq 'refunded');
}
is_deeply \@twice, [], 'no PaymentIntent captured or cancelled twice';
is_deeply \@none, [], 'every PaymentIntent captured or cancelled';
is_deeply \@refunds, [], 'at most one refund each';
is_deeply \@unfinished, [], 'every gig ended released or refunded';
is_deeply [ledger_problems()], [], 'every ledger group sums to zero; every wallet equals its entries';
my ($pending) = psql_row("SELECT count(*) FROM urgent_payment_ops WHERE status <> 'done' AND gig_id IN ("
                         . join(',', map { "'$_->{gig}'" } @gigs) . ")");
is $pending, 0, 'no operation left pending or failed';
my ($mismatch) = psql_row(
    "SELECT count(*) FROM gigs g WHERE g.id IN (" . join(',', map { "'$_->{gig}'" } @gigs) . ")"
    . " AND coalesce(g.payment_captured, 0) - coalesce(g.payment_refunded, 0)"
    . "  <> coalesce((SELECT -sum(t.amount) FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id"
    . "               WHERE t.gig_id = g.id AND w.account = 'stripe'), 0)");
is $mismatch, 0, 'what the ledger took from Stripe is what was captured less refunds';

my $ids = join(',', map { "'$_->{gig}'" } @gigs);
diag 'outcomes: ' . join(', ', map { "$_->[0] $_->[1]" } psql(
    "SELECT coalesce(d.status, 'no dispute') || ' / ' || g.payment_status"
    . CASE_CAPTURED() . ", count(*) FROM gigs g LEFT JOIN projects p ON p.gig_id = g.id"
    . " LEFT JOIN disputes d ON d.project_id = p.id WHERE g.id IN ($ids) GROUP BY 1 ORDER BY 1"));
sub CASE_CAPTURED { " || CASE WHEN g.payment_refunded > 0 THEN ' (captured, then refunded ' || g.payment_refunded || ')' WHEN g.payment_captured_at < g.settle_decided_at THEN ' (captured early)' ELSE '' END" }

done_testing;
