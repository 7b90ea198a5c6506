# Abuse resistance of the password routes (issue 12, items 2 and 4): every Argon2id
# check is throttled per account (429 RATE_LIMITED with Retry-After, the check not even
# run), reset links die when a newer one is asked for, on a reset and on a password
# change, and an account gets at most one reset mail per GIGD_RESET_MAIL_INTERVAL
# (default 120 s) while the answer stays 200.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d, $res);

sub reset_mails_of {
    my ($email) = @_;
    return grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { lc($_) eq lc $email } @{ $_->{to} } } mails();
}
sub token_of { my ($m) = @_; my ($t) = ($m->{raw} // '') =~ /token=([A-Za-z0-9_-]{43})/; $t }
# Lets the next reset request of $u mail a new link (ages its links past the interval).
sub age_links { psql("UPDATE password_resets SET created_at = created_at - interval '1 hour' WHERE user_id = '$_[0]{id}'") }
sub ask_reset {
    my ($u) = @_;
    my $n = () = reset_mails_of($u->{email});
    ($s) = api(POST => '/api/auth/password/reset', json => { email => $u->{email} });
    is $s, 200, 'reset asked';
    my $m = wait_for(sub { my @m = reset_mails_of($u->{email}); @m > $n ? $m[-1] : undef }, 15);
    return token_of($m);
}

subtest 'PUT /api/auth/password is throttled per account' => sub {
    my $u = new_user();
    for my $i (1 .. 10) {
        ($s, $d) = api(PUT => '/api/auth/password', token => $u->{token},
                       json => { current_password => "wrong guess $i", new_password => 'another password' });
        last unless $s == 400;
    }
    is $s, 400, 'ten wrong current passwords are ordinary 400s';
    ($s, $d, $res) = api(PUT => '/api/auth/password', token => $u->{token},
                         json => { current_password => 'wrong again', new_password => 'another password' });
    is $s, 429, 'the eleventh check within the window is 429';
    is $d->{code}, 'RATE_LIMITED', 'RATE_LIMITED envelope';
    like $res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After';
    ok $res->{headers}{'retry-after'} > 0 && $res->{headers}{'retry-after'} <= 300, 'Retry-After within the window';
    ($s) = api(PUT => '/api/auth/password', token => $u->{token},
               json => { current_password => $u->{password}, new_password => 'another password' });
    is $s, 429, 'even the right password is not checked while throttled';
    ($s) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    is $s, 429, 'sign-in of the same account shares the budget';
    my $other = new_user();
    ($s) = api(POST => '/api/auth/signin', json => { email => $other->{email}, password => $other->{password} });
    is $s, 200, 'another account is unaffected';
    psql("UPDATE rate_limits SET window_start = now() - interval '1 hour' WHERE key = 'pw-user:$u->{id}'");
    ($s) = api(PUT => '/api/auth/password', token => $u->{token},
               json => { current_password => $u->{password}, new_password => 'another password' });
    is $s, 200, 'a new window allows the change again';
};

subtest 'sign-in is throttled per account, known or not' => sub {
    my $u = new_user();
    my $ghost = 'nobody-' . rand_name() . '@example.test';
    for my $email ($u->{email}, $ghost) {
        my @st;
        for (1 .. 11) {
            ($s, $d, $res) = api(POST => '/api/auth/signin', json => { email => uc $email, password => 'not the password' });
            push @st, $s;
        }
        is "@st[0..9]", join(' ', (401) x 10), 'ten wrong passwords are 401';
        is $st[10], 429, 'then 429';
        ok $res->{headers}{'retry-after'}, 'with Retry-After';
    }
};

subtest 'reset links: a newer link retires the older ones' => sub {
    my $u = new_user();
    my $t1 = ask_reset($u);
    ok $t1, 'first link';
    age_links($u);
    my $t2 = ask_reset($u);
    ok $t2 && $t2 ne $t1, 'second link';
    ($s, $d) = api(POST => '/api/auth/password/reset/confirm', json => { token => $t1, password => 'from the old link' });
    is $s, 400, 'the older link is dead once a newer one was sent';
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $t2, password => 'from the new link' });
    is $s, 200, 'the newest link works';
};

subtest 'reset links: a reset or a password change retires every unused link' => sub {
    my $u = new_user();
    my $t1 = ask_reset($u);
    # a second link, made as if the interval had passed but without retiring the first
    psql("INSERT INTO password_resets (user_id, token_hash, expires_at, created_at)"
         . " VALUES ('$u->{id}', '\\x" . ('ab' x 32) . "', now() + interval '1 hour', now() - interval '1 hour')");
    ($s) = api(PUT => '/api/auth/password', token => $u->{token},
               json => { current_password => $u->{password}, new_password => 'changed by hand' });
    is $s, 200, 'password changed';
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $t1, password => 'from the old link' });
    is $s, 400, 'a link sent before the change is dead';
    my ($left) = psql_row("SELECT count(*) FROM password_resets WHERE user_id = '$u->{id}' AND used_at IS NULL");
    is $left, 0, 'no unused link left after the change';

    age_links($u);
    my $ta = ask_reset($u);
    psql("INSERT INTO password_resets (user_id, token_hash, expires_at)"
         . " VALUES ('$u->{id}', '\\x" . ('cd' x 32) . "', now() + interval '1 hour')");
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $ta, password => 'reset once more' });
    is $s, 200, 'reset confirmed';
    ($left) = psql_row("SELECT count(*) FROM password_resets WHERE user_id = '$u->{id}' AND used_at IS NULL");
    is $left, 0, 'a successful reset retires every other unused link';
};

subtest 'reset mails: one per interval per account, still 200' => sub {
    my $u = new_user();
    ok ask_reset($u), 'first mail';
    for (1 .. 3) {
        ($s, $d) = api(POST => '/api/auth/password/reset', json => { email => $u->{email} });
        is $s, 200, 'repeat answered 200 (nothing to enumerate)';
    }
    # a mail for another account, asked after the repeats, proves the outbox has moved on
    my $v = new_user();
    ok ask_reset($v), 'a later mail to someone else went out';
    sleep 1;
    my @m = reset_mails_of($u->{email});
    is scalar @m, 1, 'only one reset mail reached the account';
    my ($links) = psql_row("SELECT count(*) FROM password_resets WHERE user_id = '$u->{id}'");
    is $links, 1, 'and only one link exists';
};

done_testing;
