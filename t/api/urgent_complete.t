# Completion and escrow release: the provider delivers (confirm_completion), the requester
# releases (capture + ledger + Transfer or wallet credit, rating prompts, payment pushes);
# twice and both at once release once; Stripe 500 / timeout on capture and on transfer,
# then a retry → one capture, one transfer, one set of ledger entries; the wallet.
use strict;
use warnings;
use utf8;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);
my $stranger = new_user();

sub entries { my ($gig) = @_; return (psql_row("SELECT count(*) FROM wallet_transactions WHERE gig_id = '$gig'"))[0] }
sub transfers_for {
    my ($gig) = @_;
    return grep { $_->{path} eq '/v1/transfers' && ($_->{form}{transfer_group} // '') eq $gig } fake_requests('stripe');
}
sub transfer_files {
    my ($gig) = @_;
    my $n = 0;
    for my $f (glob("$ENV{GIGD_TEST_FAKE_DIR}/stripe/transfers/*.json")) {
        open my $fh, '<', $f or next;
        local $/;
        $n++ if index(<$fh>, $gig) >= 0;
    }
    return $n;
}

subtest 'auth, strangers, nothing selected' => sub {
    my $p = project_gig();
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete");
    is $s, 401, 'no auth 401';
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $stranger->{token});
    is $s, 404, 'a stranger 404';
    ($s) = api(POST => "/api/gigs/not-a-uuid/complete", token => $p->{req}{token});
    is $s, 404, 'malformed id 404';
    ($s) = api(POST => '/api/gigs/' . uuid_random() . '/complete', token => $p->{req}{token});
    is $s, 404, 'unknown gig 404';
    my ($lat, $lng) = spot();
    my ($st, $g) = urgent_gig($p->{req}, lat => $lat, lng => $lng);
    ($s, $d) = api(POST => "/api/gigs/$g->{gig_id}/complete", token => $p->{req}{token});
    is $s, 409, 'no provider selected yet 409';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'nothing captured by any of it';
};

subtest 'provider delivers, then the requester releases (wallet credit, no account)' => sub {
    my $p = project_gig(push => 1);
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    is $s, 200, 'provider complete 200';
    is $d->{data}{status}, 'delivered', 'status delivered';
    like $d->{data}{auto_release_at}, qr/^\d{4}-\d\d-\d\dT/, 'auto_release_at';
    my ($row) = psql("SELECT status, delivered_at IS NOT NULL FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['delivered', 't'], 'project delivered';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    is $d->{data}{status}, 'delivered', 'provider again: same answer';
    my @cc = pushes_to($p->{req}, 'confirm_completion');
    is scalar @cc, 1, 'one confirm_completion push to the requester';
    is $cc[0]{title}, '✅ Confirm completion', 'title';
    is $cc[0]{body}, 'James Okafor marked the Trumpeter gig as done. Confirm to release £105.60.', 'body';
    is $cc[0]{data}{project_id}, $p->{project}, 'data.project_id';
    is $cc[0]{data}{type}, 'confirm_completion', 'data.type';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'delivering captures nothing';

    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'requester complete 200';
    is_deeply $d->{data}, { released_amount => 105.6, currency => 'GBP' }, 'released_amount, currency';
    is fake_pi($p->{pi})->{captures}, 1, 'one capture at Stripe';
    my @cap = grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    is $cap[0]{form}{amount_to_capture}, '12000', 'captures the whole amount';
    like $cap[0]{headers}{'idempotency-key'}, qr/^urgent-capture-[0-9a-f-]{36}$/, 'Idempotency-Key from our operation row';
    ($row) = psql("SELECT g.urgent_status, g.payment_status, p.status, p.released_amount FROM gigs g"
                  . " JOIN projects p ON p.gig_id = g.id WHERE g.id = '$p->{gig}'");
    is_deeply $row, ['completed', 'released', 'completed', '10560'], 'gig completed/released, project completed';
    is wallet_of($p->{prov}), 10560, 'provider wallet credited 105.60';
    is wallet_of($p->{req}, 'escrow'), 0, 'requester escrow back to zero';
    is scalar(transfers_for($p->{gig})), 0, 'no Transfer without a connected account';
    is_deeply [ledger_problems()], [], 'the books balance';
    my @groups = map { $_->[0] } psql("SELECT kind FROM ledger_groups WHERE gig_id = '$p->{gig}' ORDER BY kind");
    is_deeply \@groups, ['capture', 'release'], 'capture and release groups';

    my @done = pushes_to($p->{prov}, 'opportunity_project_completed');
    is scalar @done, 1, 'opportunity_project_completed to the provider';
    is $done[0]{title}, '💰 Payment released', 'its title';
    is $done[0]{body}, '£105.60 for the Trumpeter gig is on its way to you', 'its body';
    is $done[0]{data}{project_id}, $p->{project}, 'its project_id';
    for my $who ([$p->{req}, $p->{prov}, 'James Okafor'], [$p->{prov}, $p->{req}, 'Grace Requester']) {
        my @rp = pushes_to($who->[0], 'rating_prompt');
        is scalar @rp, 1, 'one rating_prompt';
        is $rp[0]{title}, "⭐ Rate $who->[2]", 'rating_prompt title';
        is $rp[0]{data}{ratee_id}, $who->[1]{id}, 'data.ratee_id';
        is $rp[0]{data}{ratee_name}, $who->[2], 'data.ratee_name';
        is $rp[0]{data}{project_id}, $p->{project}, 'data.project_id';
    }
    my ($inapp) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$p->{prov}{id}' AND type IN ('rating_prompt', 'opportunity_project_completed')");
    is $inapp, 2, 'stored as in-app notifications';

    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'requester again 200';
    is $d->{data}{released_amount}, 105.6, 'same answer';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    is $d->{data}{status}, 'completed', 'provider after release: completed';
    is fake_pi($p->{pi})->{captures}, 1, 'still one capture';
    is scalar(pushes_to($p->{prov}, 'opportunity_project_completed')), 1, 'still one payment push';
    is entries($p->{gig}), 5, 'one set of ledger entries (2 capture + 3 release)';

    # the wallet
    ($s) = api(GET => '/api/wallet');
    is $s, 401, 'wallet: no auth 401';
    ($s, $d) = api(GET => '/api/wallet', token => $p->{prov}{token});
    is $s, 200, 'wallet 200';
    is $d->{data}{balance}, 105.6, 'balance in major units';
    is $d->{data}{currency}, 'GBP', 'currency';
    is scalar @{ $d->{data}{transactions} }, 1, 'one entry';
    is $d->{data}{transactions}[0]{kind}, 'release', 'kind release';
    is $d->{data}{transactions}[0]{amount}, 105.6, 'amount';
    is $d->{data}{transactions}[0]{gig_id}, $p->{gig}, 'gig_id';
    ($s, $d) = api(GET => '/api/wallet', token => $stranger->{token});
    is_deeply [$d->{data}{balance}, scalar @{ $d->{data}{transactions} }], [0, 0], 'a new user: empty wallet, not another\'s';
    ($s, $d) = api(GET => '/api/wallet?limit=0', token => $p->{prov}{token});
    is $s, 400, 'bad limit 400';
};

subtest 'requester completes directly, with a connected account → Transfer' => sub {
    my $p = project_gig(account => 'acct_' . rand_name('a'));
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'complete 200';
    my @tr = transfers_for($p->{gig});
    is scalar @tr, 1, 'one Transfer';
    is $tr[0]{form}{amount}, '10560', 'the provider\'s share';
    is $tr[0]{form}{currency}, 'gbp', 'currency';
    like $tr[0]{form}{destination}, qr/^acct_/, 'to the connected account';
    like $tr[0]{headers}{'idempotency-key'}, qr/^urgent-transfer-/, 'Idempotency-Key';
    is wallet_of($p->{prov}), 0, 'wallet credited then paid out';
    is wallet_of($p->{prov}, 'payout'), 10560, 'payout account';
    my %ops = ops_of($p->{gig});
    is_deeply \%ops, { capture => 'done', transfer => 'done' }, 'operations done';
    is_deeply [ledger_problems()], [], 'the books balance';
};

subtest 'twice and both parties at once: one release' => sub {
    for my $round (1 .. 3) {
        my $p = project_gig(account => 'acct_' . rand_name('b'));
        my @r = parallel(4, sub {
            my $i = shift;
            my $who = $i % 2 ? $p->{prov} : $p->{req};
            my ($st) = api(POST => "/api/gigs/$p->{gig}/complete", token => $who->{token});
            return $st;
        });
        is_deeply [sort @r], [200, 200, 200, 200], "round $round: every call 200";
        is fake_pi($p->{pi})->{captures}, 1, "round $round: one capture";
        is transfer_files($p->{gig}), 1, "round $round: one transfer";
        is entries($p->{gig}), 7, "round $round: one set of entries";
        my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$p->{prov}{id}' AND type = 'opportunity_project_completed'");
        is $n, 1, "round $round: one payment notification";
    }
    is_deeply [ledger_problems()], [], 'the books balance';
};

subtest 'Stripe 500 on capture, then retry' => sub {
    my $p = project_gig(account => 'acct_' . rand_name('c'));
    stripe_control({ status => 500 });
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    stripe_clear();
    is $s, 502, 'capture failing: 502';
    is entries($p->{gig}), 0, 'nothing booked';
    my ($row) = psql("SELECT g.payment_status, p.status FROM gigs g JOIN projects p ON p.gig_id = g.id WHERE g.id = '$p->{gig}'");
    is_deeply $row, ['escrowed', 'active'], 'nothing half-done';
    my %ops = ops_of($p->{gig});
    is $ops{capture}, 'pending', 'the capture operation stays pending';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'retry 200';
    is fake_pi($p->{pi})->{captures}, 1, 'one capture';
    is transfer_files($p->{gig}), 1, 'one transfer';
    my @keys = map { $_->{headers}{'idempotency-key'} } grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    my %k = map { $_ => 1 } @keys;
    is scalar keys %k, 1, 'every attempt used the same Idempotency-Key';
    is entries($p->{gig}), 7, 'one set of entries';
};

subtest 'Stripe timeout on capture (it captured, we never heard), then retry' => sub {
    my $p = project_gig();
    my $t = $ENV{GIGD_STRIPE_TIMEOUT} // 3;
    stripe_control({ delay => $t + 1, count => 2 });
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 503, 'timeout: 503';
    is entries($p->{gig}), 0, 'nothing booked';
    sleep 2;    # let the fake finish the slow attempts
    stripe_clear();
    is fake_pi($p->{pi})->{captures}, 1, 'Stripe did capture';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'retry 200 (the same operation, replayed)';
    is fake_pi($p->{pi})->{captures}, 1, 'still one capture';
    is wallet_of($p->{prov}), 10560, 'credited once';
    is entries($p->{gig}), 5, 'one set of entries';
};

subtest 'Stripe 500 on transfer, then retry' => sub {
    # captured first (by the 6-day job), so that the complete only has the transfer to do
    my $q = project_gig(account => 'acct_' . rand_name('e'));
    psql("UPDATE gigs SET created_at = now() - interval '6 days 1 hour' WHERE id = '$q->{gig}'");
    my ($cs, $cd) = cron('urgent-gigs/capture-held');
    is $cs, 200, 'capture-held ran';
    is fake_pi($q->{pi})->{captures}, 1, 'captured by the job';
    stripe_control({ status => 500 });
    ($s, $d) = api(POST => "/api/gigs/$q->{gig}/complete", token => $q->{req}{token});
    stripe_clear();
    is $s, 502, 'transfer failing: 502';
    is wallet_of($q->{prov}), 10560, 'the release is booked (the wallet holds the share)';
    is transfer_files($q->{gig}), 0, 'no transfer yet';
    my %ops = ops_of($q->{gig});
    is $ops{transfer}, 'pending', 'the transfer operation is pending';
    ($s, $d) = api(POST => "/api/gigs/$q->{gig}/complete", token => $q->{req}{token});
    is $s, 200, 'retry 200';
    is transfer_files($q->{gig}), 1, 'one transfer';
    is wallet_of($q->{prov}), 0, 'paid out';
    is wallet_of($q->{prov}, 'payout'), 10560, 'payout once';
    ($s, $d) = api(POST => "/api/gigs/$q->{gig}/complete", token => $q->{req}{token});
    is transfer_files($q->{gig}), 1, 'a third call: still one transfer';
    is fake_pi($q->{pi})->{captures}, 1, 'and one capture';
    is_deeply [ledger_problems()], [], 'the books balance';
};

subtest 'a definite refusal fails the operation (no loop), an operator resolves' => sub {
    my $p = project_gig();
    open my $fh, '>', "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pi_status/$p->{pi}" or die; print $fh "canceled"; close $fh;
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 502, 'Stripe refuses the capture: 502';
    my %ops = ops_of($p->{gig});
    is $ops{capture}, 'failed', 'operation failed';
    my $n = grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 502, 'again: 502';
    my $n2 = grep { $_->{path} eq "/v1/payment_intents/$p->{pi}/capture" } fake_requests('stripe');
    is $n2, $n, 'without asking Stripe again';
    is entries($p->{gig}), 0, 'nothing booked';
    unlink "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pi_status/$p->{pi}";
};

subtest 'the ledger refuses unbalanced groups and changes' => sub {
    my $p = project_gig();
    api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    my $ok = eval { psql("SELECT ledger_post('$p->{gig}', 'transfer', NULL, 'GBP', NULL, 'x',"
                         . " '[[null, \"stripe\", -5], [\"$p->{prov}{id}\", \"wallet\", 4]]')"); 1 };
    ok !$ok, 'a group that does not sum to zero is refused at commit';
    $ok = eval { psql("UPDATE wallet_transactions SET amount = amount + 1 WHERE gig_id = '$p->{gig}'"); 1 };
    ok !$ok, 'entries cannot be changed';
    $ok = eval { psql("DELETE FROM wallet_transactions WHERE gig_id = '$p->{gig}'"); 1 };
    ok !$ok, 'or removed';
    my ($again) = psql_row("SELECT ledger_post('$p->{gig}', 'release', NULL, 'GBP', NULL, 'x', '[]')");
    is $again, 'f', 'a movement booked twice is refused (returns false)';
    is_deeply [ledger_problems()], [], 'the books balance';
};

done_testing;
