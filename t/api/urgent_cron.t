# The urgent-gig cron jobs (seed 003 section 5) and the 6-day capture: each run twice at
# once (two hosts) → each effect once; a second run later changes nothing. Runs jobs over
# every row, so it is in the payments sequential group of tools/test-run.
use strict;
use warnings;
use utf8;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);

sub twice {
    my ($job) = @_;
    my @r = parallel(2, sub { my ($st, $dd) = cron($job); return [$st, $dd] });
    return @r;
}
sub notes {
    my ($u, $type, $gig) = @_;
    return (psql_row("SELECT count(*) FROM notifications WHERE user_id = '$u->{id}' AND type = '$type'"
                     . ($gig ? " AND data->>'gig_id' = '$gig'" : '')))[0];
}

subtest 'auth and names' => sub {
    ($s) = api(POST => '/api/cron/urgent-gigs/expire');
    is $s, 401, 'no secret 401';
    ($s) = api(POST => '/api/cron/urgent-gigs/nope', headers => { Authorization => 'Bearer ' . cron_secret() });
    is $s, 404, 'unknown job 404';
    for my $job (qw(expire reminders clean-location auto-release completion-reminders capture-held)) {
        ($s, $d) = api(GET => "/api/cron/urgent-gigs/$job", headers => { Authorization => 'Bearer ' . cron_secret() });
        is $s, 200, "GET $job 200";
    }
    my $out = `$ENV{GIGD_TEST_BUILD}/gigctl cron urgent-gigs-clean-location 2>&1`;
    is $?, 0, 'gigctl cron urgent-gigs-clean-location (the systemd alias) exits 0';
    like $out, qr/"cleared"/, 'prints the summary';
};

subtest 'expire: cancel the hold, refunded, requester told — once' => sub {
    my ($lat, $lng) = spot();
    my $req = new_user();
    my @p = map { provider(lat => $lat, lng => $lng, km => 1 + $_) } 0 .. 1;
    my ($st, $g1) = urgent_gig($req, lat => $lat, lng => $lng);
    hold_webhook($g1->{gig_id});
    my ($st2, $g2) = urgent_gig($req, lat => $lat, lng => $lng);   # never held
    my ($st3, $g3) = urgent_gig($req, lat => $lat, lng => $lng);   # held, not expired
    hold_webhook($g3->{gig_id});
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id IN ('$g1->{gig_id}', '$g2->{gig_id}')");
    my @r = twice('urgent-gigs/expire');
    is_deeply [map { $_->[0] } @r], [200, 200], 'both runs 200';
    for my $g ($g1, $g2) {
        my $pi = pi_of($g->{gig_id});
        is fake_pi($pi)->{cancels}, 1, 'one cancel at Stripe';
        my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g->{gig_id}'");
        is_deeply $row, ['cancelled', 'refunded'], 'cancelled / refunded';
        is notes($req, 'urgent_gig_expired', $g->{gig_id}), 1, 'requester told once';
    }
    my ($pending) = psql_row("SELECT count(*) FROM gig_responses WHERE gig_id = '$g1->{gig_id}' AND status = 'pending'");
    is $pending, 0, 'offers expired';
    my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$g3->{gig_id}'");
    is_deeply $row, ['searching', 'escrowed'], 'a gig not yet expired is untouched';
    my ($cs, $cd) = cron('urgent-gigs/expire');
    is fake_pi(pi_of($g1->{gig_id}))->{cancels}, 1, 'a later run: still one cancel';
    my ($canceled) = pi_event('payment_intent.canceled', $g1->{gig_id}, status => 'canceled');
    deliver($canceled);
    is notes($req, 'urgent_gig_cancelled', $g1->{gig_id}), 0, 'the canceled webhook that follows tells nobody again';
};

subtest 'expire waits for a select in progress (the gig lock) and leaves it alone' => sub {
    my $p = project_gig();
    psql("UPDATE gigs SET urgent_status = 'searching', selected_provider_id = NULL, expires_at = now() - interval '1 minute'"
         . " WHERE id = '$p->{gig}'");
    my ($cs) = while_locked($p->{gig}, "UPDATE gigs SET urgent_status = 'confirmed', selected_provider_id = '$p->{prov}{id}'"
                            . " WHERE id = '$p->{gig}'", sub { cron('urgent-gigs/expire') });
    is $cs, 200, 'the job ran';
    my ($row) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$p->{gig}'");
    is_deeply $row, ['confirmed', 'escrowed'], 'the gig selected meanwhile is not expired';
    is fake_pi($p->{pi})->{cancels} // 0, 0, 'its hold not cancelled';
};

subtest 'expire after the 6-day capture refunds in full' => sub {
    my ($lat, $lng) = spot();
    my $req = new_user();
    provider(lat => $lat, lng => $lng);
    my ($st, $g) = urgent_gig($req, lat => $lat, lng => $lng);
    my $gig = $g->{gig_id};
    hold_webhook($gig);
    psql("UPDATE gigs SET created_at = now() - interval '6 days 2 hours' WHERE id = '$gig'");
    my @r = twice('urgent-gigs/capture-held');
    is_deeply [map { $_->[0] } @r], [200, 200], 'capture-held twice at once';
    my $pi = pi_of($gig);
    is fake_pi($pi)->{captures}, 1, 'one capture';
    is wallet_of($req, 'escrow'), 12000, 'in the requester\'s escrow';
    my ($row) = psql("SELECT payment_captured, payment_status FROM gigs WHERE id = '$gig'");
    is_deeply $row, ['12000', 'escrowed'], 'still escrowed for the provider, captured';
    cron('urgent-gigs/capture-held');
    is fake_pi($pi)->{captures}, 1, 'a later run: still one';
    psql("UPDATE gigs SET expires_at = now() - interval '1 minute' WHERE id = '$gig'");
    twice('urgent-gigs/expire');
    is fake_pi($pi)->{refunds}, 1, 'one refund';
    is fake_pi($pi)->{amount_refunded}, 12000, 'in full';
    is fake_pi($pi)->{cancels} // 0, 0, 'no cancel (nothing left to cancel)';
    is wallet_of($req, 'escrow'), 0, 'escrow empty';
    my ($row2) = psql("SELECT urgent_status, payment_status FROM gigs WHERE id = '$gig'");
    is_deeply $row2, ['cancelled', 'refunded'], 'cancelled / refunded';
    is_deeply [ledger_problems()], [], 'the books balance';
};

subtest 'capture-held leaves young holds alone; release after it captures nothing more' => sub {
    my $p = project_gig();
    psql("UPDATE gigs SET created_at = now() - interval '5 days' WHERE id = '$p->{gig}'");
    cron('urgent-gigs/capture-held');
    is fake_pi($p->{pi})->{captures} // 0, 0, '5 days: not captured';
    psql("UPDATE gigs SET created_at = now() - interval '6 days 1 minute' WHERE id = '$p->{gig}'");
    cron('urgent-gigs/capture-held');
    is fake_pi($p->{pi})->{captures}, 1, '6 days: captured';
    ($s, $d) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'then released';
    is fake_pi($p->{pi})->{captures}, 1, 'without a second capture';
    is wallet_of($p->{prov}), 10560, 'provider credited';
};

subtest 'reminders: gig_starting_soon to both, once' => sub {
    my $p = project_gig(push => 1);
    my $q = project_gig();
    psql("UPDATE gigs SET date_needed = now() + interval '60 minutes' WHERE id = '$p->{gig}'");
    psql("UPDATE gigs SET date_needed = now() + interval '30 minutes' WHERE id = '$q->{gig}'");
    my @r = twice('urgent-gigs/reminders');
    is_deeply [map { $_->[0] } @r], [200, 200], 'twice at once';
    cron('urgent-gigs/reminders');
    for my $u ($p->{req}, $p->{prov}) {
        my @push = pushes_to($u, 'gig_starting_soon');
        is scalar @push, 1, 'one push';
        is $push[0]{title}, '⏰ Gig starting soon', 'title';
        like $push[0]{body}, qr/^Trumpeter · (Today|Tonight|Tomorrow) \d{1,2}(:\d\d)?(am|pm) · Luton Church$/, 'body';
        is $push[0]{data}{gig_id}, $p->{gig}, 'data.gig_id';
        is $push[0]{data}{project_id}, $p->{project}, 'data.project_id';
    }
    is notes($q->{req}, 'gig_starting_soon'), 0, 'a gig 30 minutes away: none';
};

subtest 'clean-location' => sub {
    my ($lat, $lng) = spot();
    my $stale = provider(lat => $lat, lng => $lng, current => 1);
    my $fresh = provider(lat => $lat, lng => $lng, current => 1);
    psql("UPDATE user_availability SET last_location_update = now() - interval '31 minutes' WHERE user_id = '$stale->{id}'");
    twice('urgent-gigs/clean-location');
    my ($row) = psql("SELECT current_lat IS NULL, current_lng IS NULL FROM user_availability WHERE user_id = '$stale->{id}'");
    is_deeply $row, ['t', 't'], 'a position 31 minutes old is cleared';
    ($row) = psql("SELECT current_lat IS NULL FROM user_availability WHERE user_id = '$fresh->{id}'");
    is_deeply $row, ['f'], 'a fresh one kept';
};

subtest 'auto-release after 48 h, once' => sub {
    my $p = project_gig(push => 1, account => 'acct_' . rand_name('ar'));
    my $q = project_gig();
    for my $x ($p, $q) {
        ($s) = api(POST => "/api/gigs/$x->{gig}/complete", token => $x->{prov}{token});
        is $s, 200, 'delivered';
    }
    psql("UPDATE projects SET delivered_at = now() - interval '49 hours' WHERE id = '$p->{project}'");
    psql("UPDATE projects SET delivered_at = now() - interval '47 hours' WHERE id = '$q->{project}'");
    my @r = twice('urgent-gigs/auto-release');
    is_deeply [map { $_->[0] } @r], [200, 200], 'twice at once';
    cron('urgent-gigs/auto-release');
    is fake_pi($p->{pi})->{captures}, 1, 'one capture';
    is wallet_of($p->{prov}, 'payout'), 10560, 'one transfer';
    is notes($p->{prov}, 'opportunity_project_completed'), 1, 'provider told once';
    my @push = pushes_to($p->{prov}, 'opportunity_project_completed');
    is $push[0]{data}{project_id}, $p->{project}, 'push payload project_id';
    is fake_pi($q->{pi})->{captures} // 0, 0, '47 hours: not yet';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$q->{project}'");
    is_deeply $row, ['delivered'], 'still delivered';
};

subtest 'auto-release waits for a dispute being raised (the gig lock)' => sub {
    my $p = project_gig();
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    psql("UPDATE projects SET delivered_at = now() - interval '49 hours' WHERE id = '$p->{project}'");
    my ($cs) = while_locked($p->{gig},
        "INSERT INTO disputes (project_id, raised_by, against, reason, description) VALUES ('$p->{project}',"
        . " '$p->{req}{id}', '$p->{prov}{id}', 'late', 'x'); UPDATE projects SET status = 'disputed' WHERE id = '$p->{project}'",
        sub { cron('urgent-gigs/auto-release') });
    is $cs, 200, 'the job ran';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'nothing captured';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['disputed'], 'the dispute stands';
};

subtest 'completion-reminders: delivered 20–28 h ago, once' => sub {
    my $p = project_gig(push => 1);
    my $q = project_gig();
    for my $x ($p, $q) { api(POST => "/api/gigs/$x->{gig}/complete", token => $x->{prov}{token}) }
    psql("UPDATE projects SET delivered_at = now() - interval '24 hours' WHERE id = '$p->{project}'");
    psql("UPDATE projects SET delivered_at = now() - interval '30 hours' WHERE id = '$q->{project}'");
    twice('urgent-gigs/completion-reminders');
    cron('urgent-gigs/completion-reminders');
    my @push = pushes_to($p->{req}, 'confirm_completion');
    is scalar @push, 2, 'the delivery push and one reminder';
    is $push[1]{title}, '✅ Confirm completion', 'title';
    like $push[1]{body}, qr/^James Okafor marked the Trumpeter gig as done\. Confirm to release £105\.60 — it is released automatically \w{3} \d\d:\d\d UTC\.$/, 'body';
    is $push[1]{data}{project_id}, $p->{project}, 'data.project_id';
    is notes($q->{req}, 'confirm_completion'), 1, '30 hours: no reminder (only the delivery notice)';
};

subtest 'the sweep finishes a settlement Stripe interrupted' => sub {
    my $p = project_gig();
    stripe_control({ status => 500 });
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    stripe_clear();
    is $s, 502, 'Stripe down';
    psql("UPDATE gigs SET settle_decided_at = now() - interval '3 minutes' WHERE id = '$p->{gig}'");
    my ($cs, $cd) = cron('urgent-gigs/expire');
    cmp_ok $cd->{settled}, '>=', 1, 'expire sweeps it';
    is fake_pi($p->{pi})->{captures}, 1, 'captured once';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['completed'], 'completed';
    is_deeply [ledger_problems()], [], 'the books balance';
};

done_testing;
