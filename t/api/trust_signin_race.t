# A sign-in racing a suspension: the sign-in has read the account (not yet suspended) and
# checked the password when a moderator's suspension commits; sql/018's trigger refuses
# the session (it waits on the users row the suspension holds, then reads the outcome),
# and the client is told 403 ACCOUNT_SUSPENDED, not 500 (sql/022 names the refusal,
# lib/auth.c maps it). Deterministic: the suspension is an open transaction (Race.pm's
# hold) until the sign-in is blocked on it.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use Gigd;
use Race;

my $u = new_user();
my ($before) = psql_row("SELECT count(*) FROM sessions WHERE user_id = '$u->{id}'");
my $h = hold("UPDATE users SET suspended_at = now() WHERE id = '$u->{id}'");
my $k = spawn(sub {
    my ($st, $d) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    return { status => $st, code => $d->{code} };
});
ok wait_for(sub { blocked($h) >= 1 }, 10), 'the sign-in waits on the suspension';
sleep 0.05;
my $in = $h->{in};
print $in "COMMIT;\n";
close $in;
my $r = collect($k);
is $r->{status}, 403, 'sign-in 403';
is $r->{code}, 'ACCOUNT_SUSPENDED', 'ACCOUNT_SUSPENDED';
my ($after) = psql_row("SELECT count(*) FROM sessions WHERE user_id = '$u->{id}'");
is $after, $before, 'no session created by the racing sign-in';

done_testing;
