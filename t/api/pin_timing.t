# STATISTICAL TEST. Sign-in with an unknown email must cost about what a wrong password
# costs (lib/auth.c burn_verify), or the time tells which emails have accounts. A
# password check is an Argon2id verification (tens of milliseconds); an unknown email
# without it answers in about a millisecond. Robust to noise: the two kinds are
# interleaved (drift hits both), each is the median of N tries after a warm-up, and the
# ratio only has to fall within a generous factor (0.4 .. 2.5), while the bug it guards
# against gives a ratio near 0.05. Distinct users and addresses keep any per-user or
# per-address throttle of password checks out of the way.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Gigd;

my $N = 8;
my @users = map { new_user() } 1 .. $N;

sub signin_time {
    my ($email, $pw) = @_;
    my $t0 = time;
    my ($s, $d) = api(POST => '/api/auth/signin', json => { email => $email, password => $pw });
    return (time - $t0, $s, $d->{error} // '');
}
sub median { my @v = sort { $a <=> $b } @_; return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }

# Warm-up: every worker computes its dummy hash once, connections are open.
signin_time(rand_name('nobody') . '@example.test', 'whatever pass') for 1 .. 6;

my (@unknown, @wrong, %answers);
for my $i (0 .. $N - 1) {
    my ($t, $s, $e) = signin_time(rand_name('nobody') . '@example.test', 'wrong password 1');
    push @unknown, $t;
    $answers{"$s $e"}++;
    ($t, $s, $e) = signin_time($users[$i]{email}, 'wrong password 1');
    push @wrong, $t;
    $answers{"$s $e"}++;
}
is_deeply [keys %answers], ['401 Invalid email or password'], 'one status and one message for both';
my ($mu, $mw) = (median(@unknown), median(@wrong));
my $ratio = $mu / ($mw || 1e-6);
diag sprintf 'median unknown email %.1f ms, wrong password %.1f ms, ratio %.2f', 1000 * $mu, 1000 * $mw, $ratio;
cmp_ok $ratio, '>=', 0.4, 'unknown email is not measurably faster than a wrong password';
cmp_ok $ratio, '<=', 2.5, 'nor measurably slower';

done_testing;
