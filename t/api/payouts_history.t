# Provider payouts, history: payout.created / paid / failed Connect webhooks (with
# `account`) are recorded against the provider, newest state wins, once per event;
# GET /api/payouts lists them paginated (PaginatedResult); a failed payout notifies the
# provider once, in-app and by push (the notification store's outbox), pointing at a
# fresh onboarding link.
use strict;
use warnings;
use utf8;
use Test::More;
use JSON::PP;
use Gigd;
use Payments;
use Urgent;

my ($s, $d);

sub onboarded {
    my $u = new_user();
    $u->{push_token} = 'ExponentPushToken[' . rand_name('po') . ']';
    my ($st) = api(POST => '/api/push-tokens', token => $u->{token},
                   json => { push_token => $u->{push_token}, platform => 'ios', device_id => 'd1' });
    die "push token ($st)" unless $st == 201;
    my ($st2, $dd) = api(POST => '/api/payouts/account', token => $u->{token});
    die "onboarding ($st2)" unless $st2 == 201;
    $u->{acct} = $dd->{data}{account_id};
    return $u;
}

sub payout_event {
    my ($type, $acct, $po, %o) = @_;
    my $status = $o{status} // ($type =~ /paid/ ? 'paid' : $type =~ /failed/ ? 'failed' : 'pending');
    my $obj = { id => $po, object => 'payout', amount => $o{amount} // 10560, currency => 'gbp', status => $status,
                arrival_date => $o{arrival} // 1767225600, method => 'standard', type => 'bank_account' };
    if ($status eq 'failed') {
        $obj->{failure_code} = 'account_closed';
        $obj->{failure_message} = 'The bank account has been closed.';
    }
    return event($type, $obj, account => $acct, %o{grep { exists $o{$_} } qw(created)});
}

sub payouts_of {
    my ($u, $q) = @_;
    my ($st, $dd) = api(GET => '/api/payouts' . ($q // ''), token => $u->{token});
    return ($st, $dd);
}

subtest 'payouts recorded and listed; newest state wins' => sub {
    my $u = onboarded();
    my $t = time;
    my $po = 'po_' . rand_name('a');
    my ($c) = payout_event('payout.created', $u->{acct}, $po, created => $t);
    ($s) = deliver($c);
    is $s, 200, 'payout.created 200';
    ($s, $d) = payouts_of($u);
    is $s, 200, 'GET /api/payouts 200';
    is $d->{data}{total}, 1, 'one payout';
    my $p = $d->{data}{data}[0];
    is $p->{id}, $po, 'id';
    is $p->{status}, 'pending', 'pending';
    is $p->{amount}, 105.6, 'amount in major units';
    is $p->{currency}, 'GBP', 'currency';
    is $p->{arrival_date}, '2026-01-01T00:00:00Z', 'arrival date';
    my ($paid) = payout_event('payout.paid', $u->{acct}, $po, created => $t + 5);
    deliver($paid);
    ($s, $d) = payouts_of($u);
    is $d->{data}{data}[0]{status}, 'paid', 'paid';
    my ($late) = payout_event('payout.created', $u->{acct}, $po, created => $t + 1);
    deliver($late);
    ($s, $d) = payouts_of($u);
    is $d->{data}{data}[0]{status}, 'paid', 'an older event delivered late does not undo paid';
    is $d->{data}{total}, 1, 'still one payout';

    my $other = new_user();
    ($s, $d) = payouts_of($other);
    is $d->{data}{total}, 0, "another user does not see them";
    my ($stray) = payout_event('payout.paid', 'acct_notours' . int(rand(1e6)), 'po_' . rand_name('x'));
    ($s) = deliver($stray);
    is $s, 200, 'a payout of an account that is not ours: acknowledged';
    my ($platform) = event('payout.paid', { id => 'po_' . rand_name('p'), object => 'payout', amount => 5,
                                              currency => 'gbp', status => 'paid' });
    ($s) = deliver($platform);
    is $s, 200, "the platform's own payout (no account): acknowledged";
    my ($bad) = event('payout.paid', { id => 'xx', object => 'payout' }, account => $u->{acct});
    ($s) = deliver($bad);
    is $s, 400, 'a malformed payout: 400';
    my ($bad2) = payout_event('payout.paid', $u->{acct}, "po_bad id';--");
    ($s) = deliver($bad2);
    is $s, 400, 'a payout id of other characters: 400';
};

subtest 'pagination' => sub {
    my $u = onboarded();
    my $t = time;
    for my $i (1 .. 5) {
        my ($e) = payout_event('payout.created', $u->{acct}, "po_${i}" . rand_name('g'), amount => 100 * $i, created => $t);
        deliver($e);
    }
    ($s, $d) = payouts_of($u, '?limit=2&page=1');
    is $s, 200, 'page 1';
    is scalar @{ $d->{data}{data} }, 2, 'two items';
    is $d->{data}{total}, 5, 'total 5';
    is $d->{data}{page}, 1, 'page';
    is $d->{data}{limit}, 2, 'limit';
    ok $d->{data}{hasMore}, 'hasMore';
    ($s, $d) = payouts_of($u, '?limit=2&page=3');
    is scalar @{ $d->{data}{data} }, 1, 'last page: one';
    ok !$d->{data}{hasMore}, 'no more';
    for my $q ('?limit=0', '?limit=101', '?page=0', '?page=x') {
        ($s, $d) = payouts_of($u, $q);
        is $s, 400, "$q: 400";
        is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
        ok $d->{fields}, 'fields';
    }
};

subtest 'a failed payout notifies the provider once (in-app and push)' => sub {
    my $u = onboarded();
    my $po = 'po_' . rand_name('f');
    my ($c) = payout_event('payout.created', $u->{acct}, $po);
    deliver($c);
    my ($f1) = payout_event('payout.failed', $u->{acct}, $po);
    my ($f2) = payout_event('payout.failed', $u->{acct}, $po);
    ($s) = deliver($f1);
    is $s, 200, 'payout.failed 200';
    deliver($f1);
    deliver($f2);
    ($s, $d) = payouts_of($u);
    is $d->{data}{data}[0]{status}, 'failed', 'failed';
    is $d->{data}{data}[0]{failure_code}, 'account_closed', 'failure code';
    ($s, $d) = api(GET => '/api/notifications', token => $u->{token});
    my @n = grep { $_->{type} eq 'payout_failed' } @{ ref $d->{data} eq 'ARRAY' ? $d->{data} : $d->{data}{data} };
    is scalar @n, 1, 'one in-app notification, whatever the number of failure events';
    like $n[0]{body}, qr/£105\.60/, 'names the amount';
    is $n[0]{data}{action}, 'update_bank_details', 'asks for the bank details';
    is $n[0]{data}{onboarding}, '/api/payouts/account', 'through a fresh onboarding link';
    my @push = pushes_to($u, 'payout_failed');
    is scalar @push, 1, 'one push queued';
    is $push[0]{to}, $u->{push_token}, 'to the provider';
};

done_testing;
