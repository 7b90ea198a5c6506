# Provider payouts, transfers: a release to a provider whose account is not enabled stays
# in the wallet as owed; the account.updated that enables it transfers everything owed,
# once per credit even when two such events arrive at once; a release to an enabled
# account transfers at once; a restricted account is owed again; transfer.reversed puts
# the money back once; a release racing the enabling event is never left owed; the
# ledger balances throughout.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use Payments;
use Urgent;
use Race;

my ($s, $d);

sub transfer_files {
    my ($gig) = @_;
    my $n = 0;
    for my $f (glob("$ENV{GIGD_TEST_FAKE_DIR}/stripe/transfers/tr_*.json")) {
        open my $fh, '<', $f or next;
        local $/;
        $n++ if index(<$fh>, $gig) >= 0;
    }
    return $n;
}

sub account_event {
    my ($acct, $enabled, %o) = @_;
    my $on = $enabled ? JSON::PP::true : JSON::PP::false;
    return event('account.updated',
                 { id => $acct, object => 'account', payouts_enabled => $on, details_submitted => JSON::PP::true,
                   capabilities => { transfers => $enabled ? 'active' : 'inactive' }, default_currency => 'gbp',
                   requirements => { currently_due => $enabled ? [] : ['external_account'], past_due => [],
                                     disabled_reason => undef } },
                 account => $acct, %o);
}

# A provider at a spot of its own, onboarded (pending) at the fake Stripe.
sub onboarded_provider {
    my ($lat, $lng) = spot();
    my $prov = provider(lat => $lat, lng => $lng, km => 1, full_name => 'James Okafor');
    my ($st, $dd) = api(POST => '/api/payouts/account', token => $prov->{token});
    die "onboarding ($st)" unless $st == 201;
    return { %$prov, lat => $lat, lng => $lng, acct => $dd->{data}{account_id} };
}

# A confirmed urgent gig of a new requester with $prov selected; returns its id.
sub gig_for {
    my ($prov) = @_;
    my $req = new_user(full_name => 'Grace Requester');
    my ($st, $dd) = urgent_gig($req, lat => $prov->{lat}, lng => $prov->{lng});
    die "create ($st)" unless $st == 201;
    my $gig = $dd->{gig_id};
    hold_webhook($gig);
    ($st) = api(POST => "/api/gigs/$gig/respond", token => $prov->{token}, json => { action => 'accept' });
    die "respond ($st)" unless $st == 200;
    my ($rid) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$prov->{id}'");
    ($st) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $rid });
    die "select ($st)" unless $st == 200;
    return { gig => $gig, req => $req };
}

sub release_gig {
    my ($g) = @_;
    my ($st) = api(POST => "/api/gigs/$g->{gig}/complete", token => $g->{req}{token});
    return $st;
}

subtest 'owed while the account is pending; enabled twice at once → each credit transferred once' => sub {
    my $prov = onboarded_provider();
    my @g = map { gig_for($prov) } 1 .. 2;
    is release_gig($_), 200, 'released' for @g;
    is wallet_of($prov), 21120, 'both shares owed in the wallet';
    is transfer_files($_->{gig}), 0, 'no Transfer to a pending account' for @g;
    my ($e1) = account_event($prov->{acct}, 1);
    my ($e2) = account_event($prov->{acct}, 1);
    my @r = parallel(2, sub { my ($st) = deliver($_[0] ? $e2 : $e1); return $st });
    is_deeply \@r, [200, 200], 'two account.updated (payouts enabled) at once: both 200';
    for my $x (@g) {
        is transfer_files($x->{gig}), 1, 'one Transfer per credit';
        is { ops_of($x->{gig}) }->{transfer}, 'done', 'transfer operation done';
    }
    my @tr = grep { $_->{path} eq '/v1/transfers' && ($_->{form}{destination} // '') eq $prov->{acct} }
        fake_requests('stripe');
    ok @tr >= 2, 'Transfers sent to the connected account';
    is $tr[0]{form}{amount}, 10560, 'the share';
    like $tr[0]{headers}{'idempotency-key'}, qr/^urgent-transfer-/, 'Idempotency-Key from the operation row';
    ok((grep { $_->{form}{transfer_group} eq $g[0]{gig} } @tr), 'transfer_group = gig id');
    is wallet_of($prov), 0, 'the wallet is empty';
    is wallet_of($prov, 'payout'), 21120, 'all of it transferred';
    my ($again) = account_event($prov->{acct}, 1);
    deliver($again);
    is transfer_files($_->{gig}), 1, 'a later account.updated transfers nothing again' for @g;
    is_deeply [ledger_problems()], [], 'the ledger balances';
};

subtest 'enabled at release: the Transfer at once; restricted: owed again' => sub {
    my $prov = onboarded_provider();
    my $t = time;
    my ($on) = account_event($prov->{acct}, 1, created => $t);
    deliver($on);
    my $g = gig_for($prov);
    is release_gig($g), 200, 'released';
    is transfer_files($g->{gig}), 1, 'transferred at once';
    is wallet_of($prov), 0, 'the wallet at zero';
    is wallet_of($prov, 'payout'), 10560, 'the share paid out';

    my ($off) = account_event($prov->{acct}, 0, created => $t + 5);
    deliver($off);
    my $h = gig_for($prov);
    is release_gig($h), 200, 'released to a restricted account';
    is transfer_files($h->{gig}), 0, 'no Transfer';
    is wallet_of($prov), 10560, 'owed in the wallet';
    ok !exists { ops_of($h->{gig}) }->{transfer}, 'no transfer operation claimed';
    my ($back) = account_event($prov->{acct}, 1, created => $t + 10);
    deliver($back);
    is transfer_files($h->{gig}), 1, 'enabled again: the owed credit transferred';
    is wallet_of($prov), 0, 'the wallet at zero';

    # transfer.reversed: the money back in the wallet once, whatever the number of events
    my ($tr) = psql_row("SELECT stripe_object_id FROM urgent_payment_ops WHERE gig_id = '$g->{gig}' AND kind = 'transfer'");
    my $rev = { id => $tr, object => 'transfer', amount => 10560, amount_reversed => 10560, reversed => JSON::PP::true,
                currency => 'gbp', destination => $prov->{acct}, metadata => { gig_id => $g->{gig} } };
    my ($r1) = event('transfer.reversed', $rev);
    my ($r2) = event('transfer.reversed', $rev);
    my @r = parallel(2, sub { my ($st) = deliver($_[0] ? $r2 : $r1); return $st });
    is_deeply \@r, [200, 200], 'two transfer.reversed at once: 200';
    is wallet_of($prov), 10560, 'the reversed amount is back in the wallet, once';
    is wallet_of($prov, 'payout'), 10560, 'and out of payout';
    is_deeply [ledger_problems()], [], 'the ledger balances';
};

subtest 'a release racing the account.updated that enables the account is transferred' => sub {
    my $prov = onboarded_provider();
    my $g = gig_for($prov);
    my ($wid) = psql_row("SELECT ledger_wallet('$prov->{id}', 'wallet', 'GBP')");
    # The release stops at the provider's wallet row (after reading the account); the
    # enabling event then arrives and commits first unless the release's lock on the
    # account row makes it wait.
    my $hold = hold("SELECT 1 FROM wallets WHERE id = '$wid' FOR SHARE");
    my $rel = spawn(sub { return { s => release_gig($g) } });
    wait_for(sub { blocked($hold) >= 1 }, 10) or diag 'the release did not block';
    my ($on) = account_event($prov->{acct}, 1);
    my $web = spawn(sub { my ($st) = deliver($on); return { s => $st } });
    wait_for(sub { blocked($hold) >= 2 }, 1);
    release($hold);
    is collect($rel)->{s}, 200, 'released';
    is collect($web)->{s}, 200, 'account.updated 200';
    is transfer_files($g->{gig}), 1, 'the credit was transferred (not left owed)';
    is wallet_of($prov), 0, 'the wallet at zero';
    is_deeply [ledger_problems()], [], 'the ledger balances';
};

done_testing;
