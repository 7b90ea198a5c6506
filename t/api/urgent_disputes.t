# Disputes (seed 003 section 3.4): who may raise (a party, before release, one open per
# project), the other party told (opportunity_project_disputed), completion and
# auto-release blocked; read (parties only); respond (the "against" party, once); and
# `gigctl dispute resolve` refund | release | split — each outcome's Stripe calls and ledger.
use strict;
use warnings;
use utf8;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);
my $stranger = new_user();
my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";

sub dispute {
    my ($p, $who, %o) = @_;
    return api(POST => '/api/disputes', token => $who->{token},
               json => { project_id => $p->{project}, reason => 'No show', description => 'They never came', %o });
}
sub resolve {
    my (@args) = @_;
    my $out = `$gigctl dispute resolve @args 2>&1`;
    return ($? >> 8, $out);
}
sub groups { my ($gig) = @_; return map { $_->[0] } psql("SELECT kind FROM ledger_groups WHERE gig_id = '$gig' ORDER BY kind") }

subtest 'raise: auth, validation, who may' => sub {
    my $p = project_gig(push => 1);
    ($s) = api(POST => '/api/disputes', json => { project_id => $p->{project}, reason => 'x', description => 'y' });
    is $s, 401, 'no auth 401';
    ($s) = api(POST => '/api/disputes', token => $p->{req}{token}, body => '{',
               headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    for my $case ([project_id => undef], [project_id => 'x'], [reason => undef], [reason => ''],
                  [reason => 'r' x 201], [description => undef], [description => 'd' x 5001],
                  [evidence_urls => 'http://x'], [evidence_urls => [('u') x 11]]) {
        my ($k, $v) = @$case;
        my %b = (project_id => $p->{project}, reason => 'No show', description => 'Never came');
        if (defined $v) { $b{$k} = $v } else { delete $b{$k} }
        ($s, $d) = api(POST => '/api/disputes', token => $p->{req}{token}, json => \%b);
        is $s, 400, "$k invalid 400";
        ok $d->{fields}{$k}, "fields.$k" or diag explain $d;
    }
    ($s) = dispute($p, $stranger);
    is $s, 404, 'a stranger 404';
    ($s, $d) = dispute($p, $p->{req}, evidence_urls => ['https://x.test/1.jpg']);
    is $s, 201, 'the requester raises 201';
    my $id = $d->{data}{dispute_id};
    like $id, qr/^[0-9a-f-]{36}$/, 'dispute_id';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['disputed'], 'project disputed';
    my @push = pushes_to($p->{prov}, 'opportunity_project_disputed');
    is scalar @push, 1, 'the provider is told';
    is $push[0]{title}, '⚠️ Dispute raised', 'title';
    is $push[0]{body}, 'Grace Requester raised a dispute about the Trumpeter gig: No show', 'body';
    is $push[0]{data}{dispute_id}, $id, 'data.dispute_id';
    is $push[0]{data}{project_id}, $p->{project}, 'data.project_id';
    is scalar(pushes_to($p->{req}, 'opportunity_project_disputed')), 0, 'not the raiser';

    ($s) = dispute($p, $p->{prov});
    is $s, 409, 'a second open dispute (other party) 409';
    ($s) = dispute($p, $p->{req});
    is $s, 409, 'a second open dispute (same party) 409';
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 409, 'completion blocked 409';
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    is $s, 409, 'delivery blocked 409';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'nothing captured';

    # read
    ($s) = api(GET => "/api/disputes/$id");
    is $s, 401, 'get: no auth 401';
    ($s) = api(GET => "/api/disputes/$id", token => $stranger->{token});
    is $s, 404, 'get: a stranger 404';
    ($s) = api(GET => '/api/disputes/nope', token => $p->{req}{token});
    is $s, 404, 'get: malformed id 404';
    for my $u ($p->{req}, $p->{prov}) {
        ($s, $d) = api(GET => "/api/disputes/$id", token => $u->{token});
        is $s, 200, 'a party reads it';
        is $d->{data}{status}, 'open', 'open';
        is $d->{data}{raised_by}, $p->{req}{id}, 'raised_by';
        is $d->{data}{against}, $p->{prov}{id}, 'against';
        is_deeply $d->{data}{evidence_urls}, ['https://x.test/1.jpg'], 'evidence_urls';
        is $d->{data}{project}{id}, $p->{project}, 'with the project';
        is $d->{data}{raiser_profile}{id}, $p->{req}{id}, 'raiser_profile';
        is $d->{data}{against_profile}{display_name}, 'James Okafor', 'against_profile';
    }

    # respond
    ($s) = api(POST => "/api/disputes/$id/respond", token => $p->{prov}{token}, json => {});
    is $s, 400, 'respond: no response 400';
    ($s) = api(POST => "/api/disputes/$id/respond", json => { response => 'x' });
    is $s, 401, 'respond: no auth 401';
    ($s) = api(POST => "/api/disputes/$id/respond", token => $stranger->{token}, json => { response => 'x' });
    is $s, 404, 'respond: a stranger 404';
    ($s) = api(POST => "/api/disputes/$id/respond", token => $p->{req}{token}, json => { response => 'x' });
    is $s, 403, 'respond: the raiser 403';
    ($s) = api(POST => "/api/disputes/$id/respond", token => $p->{prov}{token},
               json => { response => 'I was there', counter_evidence_urls => ['https://x.test/2.jpg'] });
    is $s, 200, 'the other party responds';
    ($s) = api(POST => "/api/disputes/$id/respond", token => $p->{prov}{token}, json => { response => 'again' });
    is $s, 409, 'once: 409';
    ($s, $d) = api(GET => "/api/disputes/$id", token => $p->{req}{token});
    is $d->{data}{counter_response}, 'I was there', 'counter_response';
    is_deeply $d->{data}{counter_evidence_urls}, ['https://x.test/2.jpg'], 'counter_evidence_urls';
};

subtest 'a dispute blocks auto-release; none after release' => sub {
    my $p = project_gig();
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{prov}{token});
    is $s, 200, 'delivered';
    ($s) = dispute($p, $p->{req});
    is $s, 201, 'disputed after delivery';
    psql("UPDATE projects SET delivered_at = now() - interval '49 hours' WHERE id = '$p->{project}'");
    my ($cs) = cron('urgent-gigs/auto-release');
    is $cs, 200, 'auto-release ran';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'nothing captured';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['disputed'], 'still disputed';

    my $q = project_gig();
    ($s) = api(POST => "/api/gigs/$q->{gig}/complete", token => $q->{req}{token});
    is $s, 200, 'released';
    ($s) = dispute($q, $q->{prov});
    is $s, 409, 'no dispute once released';
};

subtest 'dispute and release at once: exactly one wins' => sub {
    for my $round (1 .. 4) {
        my $p = project_gig();
        my @r = parallel(2, sub {
            my $i = shift;
            my ($st) = $i ? dispute($p, $p->{prov}) : api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
            return $st;
        });
        my ($ds, $cs) = ($r[1], $r[0]);
        ok(($ds == 201) != ($cs == 200), "round $round: dispute $ds, complete $cs — one of them");
        my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
        is $row->[0], $ds == 201 ? 'disputed' : 'completed', "round $round: the project agrees";
        is fake_pi($p->{pi})->{captures} // 0, $cs == 200 ? 1 : 0, "round $round: captured only if released";
    }
};

subtest 'complete waits for a dispute being raised (the gig lock)' => sub {
    my $p = project_gig();
    my ($st) = while_locked($p->{gig}, "UPDATE projects SET status = 'disputed' WHERE id = '$p->{project}'",
                            sub { api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token}) });
    is $st, 409, 'the complete sees the dispute: 409';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'nothing captured';
};

subtest 'a dispute waits for a release being decided (the gig lock)' => sub {
    my $p = project_gig();
    my ($st) = while_locked($p->{gig}, "UPDATE gigs SET settle_percent = 100, settle_decided_at = now() WHERE id = '$p->{gig}'",
                            sub { dispute($p, $p->{prov}) });
    is $st, 409, 'the dispute sees the decision: 409';
    my ($row) = psql("SELECT status FROM projects WHERE id = '$p->{project}'");
    is $row->[0], 'active', 'project not disputed';
    api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
};

subtest 'no dispute while a release is under way (Stripe down)' => sub {
    my $p = project_gig();
    stripe_control({ status => 500 });
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    stripe_clear();
    is $s, 502, 'release interrupted';
    ($s) = dispute($p, $p->{prov});
    is $s, 409, 'dispute refused: the release was decided';
    ($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
    is $s, 200, 'the retry releases';
};

subtest 'resolve refund: the hold is cancelled, nothing booked' => sub {
    my $p = project_gig();
    ($s, $d) = dispute($p, $p->{req});
    my $id = $d->{data}{dispute_id};
    my ($rc, $out) = resolve($id, 'refund', "'No show confirmed'");
    is $rc, 0, 'gigctl exits 0' or diag $out;
    like $out, qr/resolved_refund/, 'prints the outcome';
    is fake_pi($p->{pi})->{cancels}, 1, 'one cancel at Stripe';
    is fake_pi($p->{pi})->{captures} // 0, 0, 'no capture';
    my ($row) = psql("SELECT d.status, d.resolution_notes, d.resolved_at IS NOT NULL, p.status, g.payment_status, g.urgent_status"
                     . " FROM disputes d JOIN projects p ON p.id = d.project_id JOIN gigs g ON g.id = p.gig_id WHERE d.id = '$id'");
    is_deeply $row, ['resolved_refund', 'No show confirmed', 't', 'cancelled', 'refunded', 'cancelled'], 'states';
    is_deeply [groups($p->{gig})], [], 'no ledger entries (nothing was captured)';
    my ($n) = psql_row("SELECT count(*) FROM notifications WHERE type = 'dispute_resolved' AND data->>'dispute_id' = '$id'");
    is $n, 2, 'both parties told';
    ($rc) = resolve($id, 'refund');
    is $rc, 0, 'the same decision again: fine';
    is fake_pi($p->{pi})->{cancels}, 1, 'still one cancel';
    ($rc) = resolve($id, 'release');
    isnt $rc, 0, 'a different decision fails';
    ($rc) = resolve(uuid_random(), 'release');
    is $rc, 2, 'unknown dispute exits 2';
    ($rc) = resolve($id, 'split', '101');
    is $rc, 2, 'bad percent exits 2';
};

subtest 'resolve refund after the 6-day capture: refunded in full' => sub {
    my $p = project_gig();
    psql("UPDATE gigs SET created_at = now() - interval '6 days 1 hour' WHERE id = '$p->{gig}'");
    cron('urgent-gigs/capture-held');
    ($s, $d) = dispute($p, $p->{req});
    my ($rc, $out) = resolve($d->{data}{dispute_id}, 'refund');
    is $rc, 0, 'resolved' or diag $out;
    my $fp = fake_pi($p->{pi});
    is_deeply [$fp->{captures}, $fp->{refunds}, $fp->{amount_refunded}], [1, 1, 12000], 'one capture, one full refund';
    my ($row) = psql("SELECT g.urgent_status, g.payment_status, p.status FROM gigs g JOIN projects p ON p.gig_id = g.id"
                     . " WHERE g.id = '$p->{gig}'");
    is_deeply $row, ['cancelled', 'refunded', 'cancelled'], 'gig and project cancelled, refunded';
    is wallet_of($p->{req}, 'escrow'), 0, 'escrow empty';
    is wallet_of($p->{prov}), 0, 'provider nothing';
    is_deeply [groups($p->{gig})], ['capture', 'refund'], 'capture and refund groups';
};

subtest 'resolve release: captured and released' => sub {
    my $p = project_gig();
    ($s, $d) = dispute($p, $p->{prov});
    my ($rc, $out) = resolve($d->{data}{dispute_id}, 'release');
    is $rc, 0, 'gigctl exits 0' or diag $out;
    is fake_pi($p->{pi})->{captures}, 1, 'one capture';
    is fake_pi($p->{pi})->{amount_received}, 12000, 'the whole amount';
    is wallet_of($p->{prov}), 10560, 'provider credited';
    my ($row) = psql("SELECT status, released_amount FROM projects WHERE id = '$p->{project}'");
    is_deeply $row, ['completed', '10560'], 'project completed';
};

subtest 'resolve split 60: partial capture, shares' => sub {
    my $p = project_gig(account => 'acct_' . rand_name('s'));
    ($s, $d) = dispute($p, $p->{req});
    stripe_control({ status => 500 });
    my ($rc) = resolve($d->{data}{dispute_id}, 'split', '60', "'Half a show'");
    stripe_clear();
    is $rc, 1, 'Stripe down: gigctl exits 1';
    is_deeply [groups($p->{gig})], [], 'nothing booked';
    ($rc, my $out) = resolve($d->{data}{dispute_id}, 'split', '60');
    is $rc, 0, 'run again: done' or diag $out;
    my $fp = fake_pi($p->{pi});
    is $fp->{captures}, 1, 'one capture';
    is $fp->{amount_received}, 7200, 'partial capture of 60%';
    is wallet_of($p->{prov}, 'payout'), 6336, 'provider gets 60% of their share, transferred';
    my ($fee) = psql_row("SELECT amount FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id"
                         . " WHERE t.gig_id = '$p->{gig}' AND w.account = 'platform_fee'");
    is $fee, 864, 'platform keeps 60% of its fee';
    my ($row) = psql("SELECT status, split_percent FROM disputes WHERE id = '$d->{data}{dispute_id}'");
    is_deeply $row, ['resolved_split', '60'], 'split recorded';
    is_deeply [groups($p->{gig})], ['capture', 'release', 'transfer'], 'capture, release, transfer';
};

subtest 'resolve split after the 6-day capture: partial refund' => sub {
    my $p = project_gig();
    psql("UPDATE gigs SET created_at = now() - interval '6 days 1 hour' WHERE id = '$p->{gig}'");
    my ($cs) = cron('urgent-gigs/capture-held');
    is fake_pi($p->{pi})->{amount_received}, 12000, 'captured in full by the job';
    is wallet_of($p->{req}, 'escrow'), 12000, 'held in the requester\'s escrow';
    ($s, $d) = dispute($p, $p->{req});
    my ($rc, $out) = resolve($d->{data}{dispute_id}, 'split', '25');
    is $rc, 0, 'resolved' or diag $out;
    my $fp = fake_pi($p->{pi});
    is $fp->{refunds}, 1, 'one refund';
    is $fp->{amount_refunded}, 9000, '75% refunded';
    is wallet_of($p->{prov}), 2640, 'provider 25% of the share';
    is wallet_of($p->{req}, 'escrow'), 0, 'escrow empty';
    is_deeply [groups($p->{gig})], ['capture', 'refund', 'release'], 'capture, refund, release';
    is_deeply [ledger_problems()], [], 'the books balance';
};

done_testing;
