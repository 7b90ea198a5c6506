# Operator money report: `gigctl money report --from --to` prints captured volume, fees,
# transfers, refunds and owed balances, and checks every ledger group of the period. It
# balances over every booking the tests before it made (in the full run, the urgent-gig
# soak's too) and over this file's own money; a group made not to sum to zero (a test row
# written with triggers off, removed afterwards) makes it exit 1 and name the group.
# Sequential with the other money tests: it reads the whole ledger.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use Payments;
use Urgent;

my $JSON = JSON::PP->new->utf8;
my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";

sub report {
    my (@args) = @_;
    my $out = `$gigctl money report @args 2>$ENV{GIGD_TEST_FAKE_DIR}/report.err`;
    my $rc = $? >> 8;
    my $err = do { local (@ARGV, $/) = ("$ENV{GIGD_TEST_FAKE_DIR}/report.err"); <> } // '';
    return ($rc, (eval { $JSON->decode($out) } // {}), $err);
}

my ($rc, $r, $err);

subtest 'the books balance after the money of this run' => sub {
    my $with = project_gig(account => 'acct_' . rand_name('m'));
    my $without = project_gig();
    for my $p ($with, $without) {
        my ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
        is $s, 200, 'released';
    }
    ($rc, $r, $err) = report();
    is $rc, 0, 'gigctl money report exits 0';
    is_deeply $r->{unbalanced}, [], 'no unbalanced group';
    my $gbp = $r->{by_currency}{GBP};
    ok $gbp->{captured} >= 240, "captured volume ($gbp->{captured})";
    ok $gbp->{fees} >= 28.8, "fees ($gbp->{fees})";
    ok $gbp->{transfers} >= 105.6, "transfers ($gbp->{transfers})";
    ok exists $gbp->{refunds}, 'refunds';
    ok $r->{owed}{GBP}{amount} >= 105.6, 'owed wallet balances (the provider without an account)';
    ok $r->{groups} >= 5, "groups checked ($r->{groups})";
    is_deeply [ledger_problems()], [], 'and the test helper agrees';
};

# A small soak of every money path (the full urgent-gig soak runs in the same sequential
# group; this file checks the report over whatever the ledger holds when it runs).
subtest 'after splits, refunds, expiry, owed transfers and a reversal: still balanced' => sub {
    my $dispute = sub {
        my ($p, @outcome) = @_;
        my ($s, $d) = api(POST => '/api/disputes', token => $p->{req}{token},
                          json => { project_id => $p->{project}, reason => 'report', description => 'money report soak' });
        is $s, 201, 'dispute opened';
        my $out = `$gigctl dispute resolve $d->{data}{dispute_id} @outcome 2>&1`;
        is $? >> 8, 0, "dispute resolved (@outcome)";
    };
    $dispute->(project_gig(account => 'acct_' . rand_name('s')), 'split', 60);
    $dispute->(project_gig(), 'refund');
    my ($lat, $lng) = spot();
    my ($s, $g) = urgent_gig(new_user(), lat => $lat, lng => $lng);
    hold_webhook($g->{gig_id});
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$g->{gig_id}'");
    cron('urgent-gigs/expire');
    my $owed = project_gig();
    api(POST => "/api/gigs/$owed->{gig}/complete", token => $owed->{req}{token});
    my ($ok, $acct) = api(POST => '/api/payouts/account', token => $owed->{prov}{token});
    my ($ev) = event('account.updated', { id => $acct->{data}{account_id}, object => 'account',
                                          payouts_enabled => JSON::PP::true, details_submitted => JSON::PP::true,
                                          capabilities => { transfers => 'active' }, requirements => {} },
                     account => $acct->{data}{account_id});
    deliver($ev);
    is wallet_of($owed->{prov}), 0, 'the owed credit transferred';
    my ($tr) = psql_row("SELECT stripe_object_id FROM urgent_payment_ops WHERE gig_id = '$owed->{gig}' AND kind = 'transfer'");
    my ($rev) = event('transfer.reversed', { id => $tr, object => 'transfer', amount => 10560, amount_reversed => 10560,
                                             currency => 'gbp', metadata => { gig_id => $owed->{gig} } });
    deliver($rev);
    ($rc, $r, $err) = report();
    is $rc, 0, 'exit 0';
    is_deeply $r->{unbalanced}, [], 'no unbalanced group';
    # (a dispute refund of a hold is a cancellation: nothing was captured, nothing booked)
    ok defined $r->{by_currency}{GBP}{refunds}, 'refunds reported';
    ok $r->{by_currency}{GBP}{transfer_reversals} >= 105.6, 'reversals reported';
    is_deeply [ledger_problems()], [], 'and the test helper agrees';
};

subtest 'a group that does not sum to zero: exit 1, named' => sub {
    my $p = project_gig(account => 'acct_' . rand_name('c'));
    api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    my ($wid) = psql_row("SELECT id FROM wallets WHERE user_id = '$p->{prov}{id}' AND account = 'payout'");
    # A row the ledger's own triggers would refuse: written with triggers off (superuser).
    psql("SET session_replication_role = replica; INSERT INTO wallet_transactions (gig_id, kind, wallet_id, amount,"
         . " description) VALUES ('$p->{gig}', 'release', '$wid', 1, 'test-only corruption')");
    ($rc, $r, $err) = report('--from', '2000-01-01', '--to', '2100-01-01');
    is $rc, 1, 'exit 1';
    like $err, qr/1 ledger group\(s\) do not sum to zero/, 'says so';
    is_deeply $r->{unbalanced}, [{ gig_id => $p->{gig}, kind => 'release', sum => 1 }], 'names the group';
    ($rc, $r) = report('--from', '2000-01-01', '--to', '2001-01-01');
    is $rc, 0, 'a period without that group: exit 0';
    is $r->{groups}, 0, 'no group in that period';
    psql("SET session_replication_role = replica; DELETE FROM wallet_transactions"
         . " WHERE gig_id = '$p->{gig}' AND description = 'test-only corruption'");
    ($rc) = report();
    is $rc, 0, 'the row removed: exit 0 again';
};

subtest 'arguments' => sub {
    ($rc, $r, $err) = report('--from', 'yesterday-ish');
    is $rc, 2, 'a bad date: exit 2';
    like $err, qr/dates or timestamps/, 'says why';
    ($rc, $r, $err) = report('--from', '2030-01-01', '--to', '2020-01-01');
    is $rc, 2, '--from after --to: exit 2';
    ($rc) = report('--bogus', 'x');
    isnt $rc, 0, 'an unknown option: usage';
};

done_testing;
