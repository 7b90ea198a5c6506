# The mail outbox: a request never waits on SMTP; the deliverer retries with backoff
# while the relay refuses, and delivers once it is back.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Gigd;

my $ctl = "$ENV{GIGD_TEST_FAKE_DIR}/smtp/control";
# (the user's sign-up verification mail is left out of every count below: reset mails only)
my $u = new_user();
open my $fh, '>', $ctl or die $!;
print $fh "fail 451 try later\n";
close $fh;

my $t0 = time;
my ($s) = api(POST => '/api/auth/password/reset', json => { email => $u->{email} });
is $s, 200, 'reset accepted while SMTP refuses';
ok time - $t0 < 2, 'the request did not wait on SMTP';

my $row = wait_for(sub {
    my @r = psql("SELECT attempts, last_error IS NOT NULL, sent_at IS NULL FROM mail_outbox WHERE to_addr = '$u->{email}' AND subject LIKE 'Reset%'");
    $r[0] && $r[0][0] >= 1 && $r[0][1] eq 't' ? $r[0] : undef }, 15);
ok $row, 'delivery attempted and failed';
is $row->[2], 't', 'not marked sent';
my ($later) = psql_row("SELECT next_attempt_at > now() FROM mail_outbox WHERE to_addr = '$u->{email}' AND subject LIKE 'Reset%'");
is $later, 't', 'retry scheduled with backoff';
ok !(grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { $_ eq $u->{email} } @{ $_->{to} } } mails()), 'nothing recorded by the relay';

unlink $ctl;
psql("UPDATE mail_outbox SET next_attempt_at = now() WHERE to_addr = '$u->{email}'");
psql("NOTIFY gigd_outbox");
my $mail = wait_for(sub { (grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { $_ eq $u->{email} } @{ $_->{to} } } mails())[0] }, 15);
ok $mail, 'delivered once the relay is back';
my @sent = psql("SELECT sent_at IS NOT NULL FROM mail_outbox WHERE to_addr = '$u->{email}' AND subject LIKE 'Reset%'");
is $sent[0][0], 't', 'marked sent';
is scalar(grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { $_ eq $u->{email} } @{ $_->{to} } } mails()), 1, 'sent exactly once';
like $mail->{raw}, qr/^From: gigd <no-reply\@gigd\.test>$/m, 'From header from GIGD_MAIL_FROM';
like $mail->{raw}, qr/^Content-Type: text\/plain; charset=utf-8$/m, 'plain text UTF-8';

done_testing;
