# Provider payouts, onboarding: POST /api/payouts/account creates one Express account at
# the fake Stripe (twice, concurrently, after a Stripe failure: still one) and a fresh
# Account Link each time; GET /api/payouts/account reads our copy, which account.updated
# keeps current (verified, once per event, an older event never undoes a newer state).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use Payments;

my ($s, $d);
my $JSON = JSON::PP->new->utf8->canonical;

# Accounts the fake Stripe really created for a user (idempotent replays excluded).
sub accounts_of {
    my ($u) = @_;
    my @out;
    for my $f (glob("$ENV{GIGD_TEST_FAKE_DIR}/stripe/accounts/acct_*.json")) {
        open my $fh, '<', $f or next;
        local $/;
        my $a = $JSON->decode(<$fh>);
        push @out, $a if ($a->{metadata}{user_id} // '') eq $u->{id};
    }
    return @out;
}

# An account.updated event for acct (Connect: `account` on the event).
sub account_event {
    my ($acct, %o) = @_;
    my $on = $o{enabled} ? JSON::PP::true : JSON::PP::false;
    my $obj = { id => $acct, object => 'account', type => 'express', payouts_enabled => $on, charges_enabled => $on,
                details_submitted => $o{submitted} // $o{enabled} ? JSON::PP::true : JSON::PP::false,
                default_currency => 'gbp', capabilities => { transfers => $o{enabled} ? 'active' : 'inactive' },
                requirements => { currently_due => $o{due} // [], past_due => [],
                                  disabled_reason => $o{enabled} ? undef : 'requirements.past_due' },
                metadata => $o{metadata} // {} };
    return event('account.updated', $obj, account => $acct, %o{grep { exists $o{$_} } qw(created id)});
}

sub state_of {
    my ($u) = @_;
    my ($st, $dd) = api(GET => '/api/payouts/account', token => $u->{token});
    return $dd->{data};
}

subtest 'auth' => sub {
    for my $r (['POST', '/api/payouts/account'], ['GET', '/api/payouts/account'], ['GET', '/api/payouts'],
               ['GET', '/api/wallet/transactions/1/receipt']) {
        ($s, $d) = api($r->[0] => $r->[1]);
        is $s, 401, "$r->[0] $r->[1] without a session: 401";
        is $d->{code}, 'UNAUTHORIZED', 'code';
    }
};

subtest 'an unverified email cannot onboard' => sub {
    my $u = new_user(unverified => 1);
    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    is $s, 403, '403';
    is $d->{code}, 'EMAIL_NOT_VERIFIED', 'EMAIL_NOT_VERIFIED';
    is scalar(accounts_of($u)), 0, 'no account at Stripe';
};

subtest 'onboarding: one Express account, a fresh link each call' => sub {
    my $u = new_user();
    is_deeply state_of($u), { status => 'none', requirements_due => [], payouts_enabled => JSON::PP::false,
                              default_currency => undef, account_id => undef }, 'no account yet: none';
    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    is $s, 201, 'POST 201';
    my $a = $d->{data};
    like $a->{account_id}, qr/^acct_/, 'account id';
    like $a->{url}, qr{^https://connect\.stripe\.test/setup/e/\Q$a->{account_id}\E/}, 'the onboarding link';
    ok $a->{expires_at} > time, 'expires_at in the future';
    is $a->{status}, 'pending', 'pending';
    my @acc = accounts_of($u);
    is scalar(@acc), 1, 'one account at Stripe';
    is $acc[0]{type}, 'express', 'type=express';
    is $acc[0]{country}, 'GB', 'country';
    is $acc[0]{email}, $u->{email}, 'email from the profile';
    is $acc[0]{capabilities}{transfers}, 'inactive', 'transfers capability requested';
    my ($cr) = grep { $_->{path} eq '/v1/accounts' && ($_->{form}{'metadata[user_id]'} // '') eq $u->{id} }
        fake_requests('stripe');
    is $cr->{form}{'capabilities[transfers][requested]'}, 'true', 'capabilities[transfers][requested]=true';
    like $cr->{headers}{'idempotency-key'}, qr/^payout-account-\Q$u->{id}\E-/, 'Idempotency-Key from our row';
    my ($ln) = grep { $_->{path} eq '/v1/account_links' && ($_->{form}{account} // '') eq $a->{account_id} }
        fake_requests('stripe');
    is $ln->{form}{type}, 'account_onboarding', 'type=account_onboarding';
    my $base = $ENV{GIGD_PUBLIC_URL} // '';
    like $ln->{form}{return_url}, qr{^\Q$base\E.*/payouts/onboarding/return\z}, 'return URL from GIGD_PUBLIC_URL';
    like $ln->{form}{refresh_url}, qr{^\Q$base\E.*/payouts/onboarding/refresh\z}, 'refresh URL';

    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    is $s, 201, 'again: 201';
    is $d->{data}{account_id}, $a->{account_id}, 'the same account';
    isnt $d->{data}{url}, $a->{url}, 'a fresh link';
    is scalar(accounts_of($u)), 1, 'still one account at Stripe';
    my $st = state_of($u);
    is $st->{status}, 'pending', 'GET: pending';
    is $st->{account_id}, $a->{account_id}, 'GET: the account';
    is((psql_row("SELECT stripe_account_id FROM profiles WHERE id = '$u->{id}'"))[0], $a->{account_id},
       'the profile names the account');
};

subtest 'concurrent onboarding: one account' => sub {
    my $u = new_user();
    stripe_control({ delay => 1, count => 4 });    # every call in flight at once
    my @r = parallel(4, sub {
        my ($st, $dd) = api(POST => '/api/payouts/account', token => $u->{token});
        return { s => $st, acct => $dd->{data}{account_id} };
    });
    stripe_clear();
    my @ok = grep { $_->{s} == 201 } @r;
    ok @ok >= 1, 'at least one call answered 201';
    is scalar(grep { $_->{s} != 201 && $_->{s} != 409 && $_->{s} != 503 } @r), 0, 'the others 201, 409 or 503';
    my %accts = map { $_->{acct} => 1 } @ok;
    is scalar(keys %accts), 1, 'every answer names the same account';
    is scalar(accounts_of($u)), 1, 'one account created at Stripe';
    is((psql_row("SELECT count(*) FROM payout_accounts WHERE user_id = '$u->{id}'"))[0], 1, 'one row');
};

subtest 'Stripe down, then a retry: one account' => sub {
    my $u = new_user();
    stripe_control({ status => 500, count => 3 });
    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    ok $s == 502 || $s == 503, "Stripe 500: $s";
    stripe_clear();
    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    is $s, 201, 'retry 201';
    is scalar(accounts_of($u)), 1, 'one account';
    # A refusal made while executing is saved under its key at Stripe (and replayed).
    my $flag = "$ENV{GIGD_TEST_FAKE_DIR}/stripe/accounts/refuse";
    open my $fh, '>', $flag or die $!;
    close $fh;
    my $v = new_user();
    ($s) = api(POST => '/api/payouts/account', token => $v->{token});
    unlink $flag;
    is $s, 502, 'a refusal: 502';
    ($s) = api(POST => '/api/payouts/account', token => $v->{token});
    is $s, 201, 'after a refusal, a new key: the next call creates the account';
    is scalar(accounts_of($v)), 1, 'one account';
};

subtest 'account.updated: verified, once, newest state wins' => sub {
    my $u = new_user();
    ($s, $d) = api(POST => '/api/payouts/account', token => $u->{token});
    my $acct = $d->{data}{account_id};
    my $t = time;
    my ($ev) = account_event($acct, enabled => 1, created => $t);
    ($s) = deliver($ev, header => 't=1,v1=00');
    is $s, 400, 'a bad signature: 400';
    ($s) = deliver($ev, header => sign($ev, secret => 'whsec_someone_else'));
    is $s, 400, 'signed with another secret: 400';
    is state_of($u)->{status}, 'pending', 'nothing changed';
    ($s, $d) = deliver($ev);
    is $s, 200, 'account.updated 200';
    my $st = state_of($u);
    is $st->{status}, 'enabled', 'enabled';
    ok $st->{payouts_enabled}, 'payouts_enabled';
    is $st->{default_currency}, 'GBP', 'default currency';
    ($s, $d) = deliver($ev);
    ok $d->{data}{duplicate}, 'the same event again: a duplicate';

    my ($old) = account_event($acct, enabled => 0, submitted => 1, due => ['external_account'], created => $t - 60);
    ($s) = deliver($old);
    is $s, 200, 'an older event: 200';
    is state_of($u)->{status}, 'enabled', 'an older event does not undo the newer state';

    my ($connect) = account_event($acct, enabled => 1, created => $t + 1);
    ($s, $d) = deliver($connect, header => sign($connect, secret => 'whsec_test_connect'));
    is $s, 200, 'signed with the Connect endpoint secret (GIGD_STRIPE_CONNECT_WEBHOOK_SECRET): 200';
    ok !$d->{data}{duplicate}, 'and applied';

    my ($new) = account_event($acct, enabled => 0, submitted => 1, due => ['external_account', 'individual.id_number'],
                              created => $t + 5);
    deliver($new);
    $st = state_of($u);
    is $st->{status}, 'restricted', 'a newer event: restricted';
    is_deeply $st->{requirements_due}, ['external_account', 'individual.id_number'], 'requirements due';
    ok !$st->{payouts_enabled}, 'payouts disabled';

    my ($pend) = account_event($acct, enabled => 0, submitted => 0, created => $t + 10);
    deliver($pend);
    is state_of($u)->{status}, 'pending', 'details not submitted: pending';

    my ($stray) = account_event('acct_notours' . int(rand(1e6)), enabled => 1);
    ($s, $d) = deliver($stray);
    is $s, 200, 'an account that is not ours: acknowledged';
};

subtest 'account.updated adopts an account whose id we failed to store' => sub {
    my $u = new_user();
    psql("INSERT INTO payout_accounts (user_id) VALUES ('$u->{id}')");
    my $acct = 'acct_lost' . int(rand(1e9));
    my ($ev) = account_event($acct, enabled => 1, metadata => { user_id => $u->{id} });
    deliver($ev);
    my $st = state_of($u);
    is $st->{account_id}, $acct, 'adopted by its metadata';
    is $st->{status}, 'enabled', 'and its state applied';
    my $v = new_user();
    my ($ev2) = account_event('acct_other' . int(rand(1e9)), enabled => 1, metadata => { user_id => $u->{id} });
    deliver($ev2);
    is state_of($u)->{account_id}, $acct, 'a second account naming the same user does not replace the first';
};

done_testing;
