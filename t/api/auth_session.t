# Auth routes through nginx over HTTPS: signup, signin, signout, session, password
# change and reset, with their failures.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d, $res);
my ($name, $token, $uid, $hash, $token2, $u, $origin);   # shared by the subtests below

subtest 'signup' => sub {
    $name = rand_name('al');
    ($s, $d, $res) = api(POST => '/api/auth/signup',
        json => { email => "\U$name\E\@Example.TEST", password => 'password123', username => $name, full_name => 'Al Ice' });
    is $s, 201, 'signup 201';
    ok $d->{success}, 'success envelope';
    like $d->{data}{token}, qr/^[A-Za-z0-9_-]{43}$/, 'token is 256-bit base64url';
    is $d->{data}{user}{email}, lc("$name\@example.test"), 'email case-folded';
    is $d->{data}{user}{username}, $name, 'username';
    like $d->{data}{expires_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'expires_at RFC 3339 UTC';
    ok !exists $d->{data}{user}{password_hash}, 'no hash leaked';
    like $res->{headers}{'set-cookie'}, qr/^gigd_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax/, 'session cookie flags';
    $token = $d->{data}{token};
    $uid = $d->{data}{user}{id};
    ($hash) = psql_row("SELECT encode(token_hash,'hex') FROM sessions WHERE user_id = '$uid'");
    ok $hash && $hash !~ /\Q$token\E/, 'token stored only as a hash';
    my ($pwh) = psql_row("SELECT password_hash FROM users WHERE id = '$uid'");
    like $pwh, qr/^\$argon2id\$v=19\$m=(\d+),t=(\d+)/, 'argon2id hash';
    my ($pid) = psql_row("SELECT count(*) FROM profiles WHERE id = '$uid'");
    is $pid, 1, 'profile row created';

    # duplicates
    ($s, $d) = api(POST => '/api/auth/signup', json => { email => "$name\@example.test", password => 'password123', username => rand_name('x') });
    is $s, 409, 'duplicate email 409';
    is $d->{code}, 'CONFLICT', 'CONFLICT code';
    ($s, $d) = api(POST => '/api/auth/signup', json => { email => rand_name('x') . '@example.test', password => 'password123', username => uc $name });
    is $s, 409, 'duplicate username (case-folded) 409';
    like $d->{error}, qr/username/i, 'says username';

    # each invalid field
    for my $case (
        [{ password => 'password123', username => rand_name('v') }, 'email', 'is required'],
        [{ email => 'not-an-email', password => 'password123', username => rand_name('v') }, 'email', 'email'],
        [{ email => 'v@example.test', password => 'short', username => rand_name('v') }, 'password', 'at least 8'],
        [{ email => 'v@example.test', password => 'x' x 129, username => rand_name('v') }, 'password', 'at most 128'],
        [{ email => 'v@example.test', password => 'password123', username => 'ab' }, 'username', 'at least 3'],
        [{ email => 'v@example.test', password => 'password123', username => 'bad name!' }, 'username', 'letters'],
        [{ email => 'v@example.test', password => 'password123', username => 'x' x 31 }, 'username', 'at most 30'],
        [{ email => 'v@example.test', password => 12345678, username => rand_name('v') }, 'password', 'string'],
        [{ email => ['v@example.test'], password => 'password123', username => rand_name('v') }, 'email', 'string'],
        [{ email => 'v@example.test', password => 'password123', username => rand_name('v'), full_name => 'x' x 101 }, 'full_name', 'at most 100'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(POST => '/api/auth/signup', json => $in);
        is $s, 400, "invalid $field → 400";
        is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field says $msg";
    }
    ($s, $d) = api(POST => '/api/auth/signup', json => {});
    is_deeply [sort keys %{ $d->{fields} }], [qw(email password username)], 'all missing fields named at once';
    my ($vcount) = psql_row("SELECT count(*) FROM users WHERE email = 'v\@example.test'");
    is $vcount, 0, 'bad input changed nothing';

    # malformed bodies
    ($s, $d) = api(POST => '/api/auth/signup', body => '{"email": ', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    is $d->{code}, 'VALIDATION_ERROR', 'malformed JSON code';
    ($s, $d) = api(POST => '/api/auth/signup', body => 'null', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'JSON null body 400';
    ($s, $d) = api(POST => '/api/auth/signup', body => '[1,2]', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'JSON array body 400';
    ($s, $d) = api(POST => '/api/auth/signup', body => '', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'empty body 400';
    ($s, $d) = api(POST => '/api/auth/signup', body => 'email=a', headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
    is $s, 415, 'form body 415';
    is $d->{code}, 'UNSUPPORTED_MEDIA_TYPE', '415 code';
    ($s, $d) = api(POST => '/api/auth/signup', body => '{"a":"' . ('x' x (1024 * 1024 + 10)) . '"}', headers => { 'Content-Type' => 'application/json' });
    is $s, 413, 'body over 1 MiB → 413';
    is $d->{code}, 'PAYLOAD_TOO_LARGE', '413 in the envelope';
};

subtest 'signin' => sub {
    ($s, $d, $res) = api(POST => '/api/auth/signin', json => { email => uc("$name\@example.test"), password => 'password123' });
    is $s, 200, 'signin 200 (email case-insensitive)';
    ok $d->{data}{token} && $d->{data}{token} ne $token, 'new token';
    like $res->{headers}{'set-cookie'}, qr/gigd_session=/, 'cookie set';
    $token2 = $d->{data}{token};
    ($s, my $d1) = api(POST => '/api/auth/signin', json => { email => "$name\@example.test", password => 'wrong-password' });
    is $s, 401, 'wrong password 401';
    ($s, my $d2) = api(POST => '/api/auth/signin', json => { email => 'nobody-' . rand_name() . '@example.test', password => 'wrong-password' });
    is $s, 401, 'unknown email 401';
    is $d1->{error}, $d2->{error}, 'one message for unknown email and wrong password';
    is $d1->{code}, 'UNAUTHORIZED', 'UNAUTHORIZED code';
    ($s, $d) = api(POST => '/api/auth/signin', json => { email => 5, password => 'x' });
    is $s, 400, 'signin wrong type 400';
};

subtest 'session' => sub {
    ($s, $d) = api(GET => '/api/auth/session', token => $token);
    is $s, 200, 'session with bearer';
    is $d->{data}{user}{id}, $uid, 'session user';
    ok !exists $d->{data}{token}, 'session does not echo token';
    ($s, $d) = api(GET => '/api/auth/session');
    is $s, 401, 'no auth 401';
    is $d->{code}, 'UNAUTHORIZED', 'code';
    ($s) = api(GET => '/api/auth/session', token => 'garbage');
    is $s, 401, 'garbage token 401';
    ($s) = api(GET => '/api/auth/session', token => 'A' x 43);
    is $s, 401, 'well-formed unknown token 401';
    ($s) = api(GET => '/api/auth/session', headers => { Cookie => "gigd_session=$token" });
    is $s, 200, 'cookie auth works';

    # sliding expiry: a session refreshed > 24 h ago is pushed to now + 7 d when used
    psql("UPDATE sessions SET refreshed_at = now() - interval '2 days', expires_at = now() + interval '5 days' WHERE token_hash = decode('$hash','hex')");
    api(GET => '/api/auth/session', token => $token);
    my ($days) = psql_row("SELECT round(extract(epoch FROM expires_at - now()) / 86400) FROM sessions WHERE token_hash = decode('$hash','hex')");
    is $days, 7, 'stale session refreshed to 7 days';
    psql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = decode('$hash','hex')");
    ($s) = api(GET => '/api/auth/session', token => $token);
    is $s, 401, 'expired session 401';
};

subtest 'CSRF' => sub {
    my $site = $ENV{GIGD_TEST_BASE}; # the public URL is https://localhost:PORT
    ($origin = $site) =~ s/127\.0\.0\.1/localhost/;
    ($s, $d) = api(POST => '/api/auth/signout', headers => { Cookie => "gigd_session=$token2", Origin => 'https://evil.example' });
    is $s, 403, 'cookie + foreign Origin → 403';
    is $d->{code}, 'FORBIDDEN', 'FORBIDDEN';
    ($s) = api(GET => '/api/auth/session', token => $token2);
    is $s, 200, 'refused request changed nothing';
    ($s) = api(POST => '/api/auth/signout', token => $token2, headers => { Origin => 'https://evil.example' });
    isnt $s, 403, 'bearer requests are not subject to CSRF';
};

subtest 'signout' => sub {
    $u = new_user();
    ($s, $d, $res) = api(POST => '/api/auth/signout', headers => { Cookie => "gigd_session=$u->{token}", Origin => $origin });
    is $s, 200, 'signout with same-origin cookie';
    like $res->{headers}{'set-cookie'}, qr/gigd_session=; .*Max-Age=0/, 'cookie cleared';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 401, 'revoked token 401';
    ($s) = api(POST => '/api/auth/signout');
    is $s, 401, 'signout without auth 401';
};

subtest 'update password' => sub {
    $u = new_user();
    my $other = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    (undef, $d) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    my $second = $d->{data}{token};
    ($s, $d) = api(PUT => '/api/auth/password', token => $u->{token}, json => { current_password => 'nope-nope', new_password => 'brand new pass' });
    is $s, 400, 'wrong current password 400';
    ok $d->{fields}{current_password}, 'names current_password';
    ($s, $d) = api(PUT => '/api/auth/password', token => $u->{token}, json => { current_password => $u->{password}, new_password => 'short' });
    is $s, 400, 'short new password 400';
    ok $d->{fields}{new_password}, 'names new_password';
    ($s) = api(PUT => '/api/auth/password', json => { current_password => 'a', new_password => 'b' });
    is $s, 401, 'update password needs auth';
    ($s) = api(PUT => '/api/auth/password', token => $u->{token}, json => { current_password => $u->{password}, new_password => 'brand new pass' });
    is $s, 200, 'password changed';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 200, 'this session survives';
    ($s) = api(GET => '/api/auth/session', token => $second);
    is $s, 401, 'other sessions revoked';
    ($s) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => 'brand new pass' });
    is $s, 200, 'new password works';
    ($s) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    is $s, 401, 'old password does not';
};

subtest 'password reset by mail' => sub {
    $u = new_user();
    ($s, $d) = api(POST => '/api/auth/password/reset', json => { email => 'nobody-' . rand_name() . '@example.test' });
    is $s, 200, 'reset for unknown email is 200 too';
    ($s, $d) = api(POST => '/api/auth/password/reset', json => { email => 'bad' });
    is $s, 400, 'reset with invalid email 400';
    ($s, $d) = api(POST => '/api/auth/password/reset', json => { email => uc $u->{email} });
    is $s, 200, 'reset requested';
    my $mail = wait_for(sub { (grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { lc($_) eq $u->{email} } @{ $_->{to} } } mails())[0] }, 15);
    ok $mail, 'reset mail reached the fake SMTP server';
    my ($rtoken) = ($mail->{raw} // '') =~ /token=([A-Za-z0-9_-]{43})/;
    ok $rtoken, 'mail carries a token';
    like $mail->{raw} // '', qr/^Subject: Reset your gigd password$/m, 'subject';
    ($s, $d) = api(POST => '/api/auth/password/reset/confirm', json => { token => $rtoken, password => 'short' });
    is $s, 400, 'confirm with short password 400';
    ($s, $d) = api(POST => '/api/auth/password/reset/confirm', json => { token => 'x' x 43, password => 'a whole new one' });
    is $s, 400, 'unknown reset token 400';
    ok $d->{fields}{token}, 'names token';
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $rtoken, password => 'a whole new one' });
    is $s, 200, 'reset confirmed';
    ($s) = api(GET => '/api/auth/session', token => $u->{token});
    is $s, 401, 'reset revokes every session';
    ($s) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => 'a whole new one' });
    is $s, 200, 'new password works after reset';
    ($s, $d) = api(POST => '/api/auth/password/reset/confirm', json => { token => $rtoken, password => 'yet another one' });
    is $s, 400, 'reset token is single-use';
    # expiry after 1 h (the earlier link made long enough ago for a new mail to go out)
    psql("UPDATE password_resets SET created_at = created_at - interval '1 hour' WHERE user_id = '$u->{id}'");
    api(POST => '/api/auth/password/reset', json => { email => $u->{email} });
    psql("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = '$u->{id}' AND used_at IS NULL");
    $mail = wait_for(sub { my @m = grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { lc($_) eq $u->{email} } @{ $_->{to} } } mails(); @m >= 2 ? $m[-1] : undef }, 15);
    ($rtoken) = ($mail->{raw} // '') =~ /token=([A-Za-z0-9_-]{43})/;
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $rtoken // 'x', password => 'yet another one' });
    is $s, 400, 'expired reset token refused';
};

subtest 'routing envelopes' => sub {
    ($s, $d) = api(GET => '/api/no/such/route');
    is $s, 404, 'unknown route 404';
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND envelope';
    ($s, $d) = api(DELETE => '/api/auth/signin');
    is $s, 405, 'wrong method 405';
    is $d->{code}, 'METHOD_NOT_ALLOWED', '405 envelope';
};

done_testing;
