# Notification preferences, the email channel (issue 15, item 6): off by default; a type
# whose email is on is sent through the mail outbox in the notification's transaction
# and reaches the fake SMTP; turning its push off as well queues no push.
use strict;
use warnings;
use Test::More;
use Gigd;

my $u = new_user();
my $tag = rand_name('m');
# Only notification mails: the account also gets its sign-up verification mail.
my $mails_to = sub { grep { $_->{raw} =~ /^Subject: (Mailed call|Not mailed)$/m && grep { $_ eq $u->{email} } @{ $_->{to} } } mails() };
my ($s) = api(POST => '/api/push-tokens', token => $u->{token},
              json => { push_token => "ExponentPushToken[$tag]", platform => 'android' });
is $s, 201, 'a push token';
($s) = api(PUT => '/api/me/notification-preferences', token => $u->{token},
           json => { types => { call_scheduled => { push => JSON::PP::false, email => JSON::PP::true } } });
is $s, 200, 'call_scheduled: email on, push off';

psql("SELECT notify('$u->{id}', 'application_status', 'Not mailed', 'status body', '{}')");
psql("SELECT notify('$u->{id}', 'call_scheduled', 'Mailed call', 'call body $tag', '{}')");
my ($queued) = psql_row("SELECT count(*) FROM mail_outbox WHERE to_addr = '$u->{email}' AND subject IN ('Mailed call', 'Not mailed')");
is $queued, 1, 'one mail queued, with the notification';
my $mail = wait_for(sub { ($mails_to->())[0] }, 15);
ok $mail, 'the fake SMTP received it';
like $mail->{raw}, qr/^Subject: Mailed call$/m, 'subject: the title';
like $mail->{raw}, qr/call body \Q$tag\E/, 'body: the notification';
sleep 1;
is scalar($mails_to->()), 1, 'only the type with email on was mailed';
my ($pushes) = psql_row("SELECT count(*) FROM push_outbox o JOIN notifications n ON n.id = o.notification_id"
                        . " WHERE n.user_id = '$u->{id}' AND n.type = 'call_scheduled'");
is $pushes, 0, 'and it queued no push';


# An address nobody proved is theirs is not mailed, whatever the preferences say.
my $v = new_user();
($s) = api(PUT => '/api/me/notification-preferences', token => $v->{token},
           json => { types => { call_scheduled => { email => JSON::PP::true } } });
is $s, 200, 'unverified user: call_scheduled email on';
psql("UPDATE users SET email_verified_at = NULL WHERE id = '$v->{id}'");
psql("SELECT notify('$v->{id}', 'call_scheduled', 'Unverified call', 'call body', '{}')");
($queued) = psql_row("SELECT count(*) FROM mail_outbox WHERE to_addr = '$v->{email}' AND subject = 'Unverified call'");
is $queued, 0, 'unverified address: no mail queued';
my ($inapp) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$v->{id}' AND title = 'Unverified call'");
is $inapp, 1, '… the in-app notification is still there';
psql("UPDATE users SET email_verified_at = now() WHERE id = '$v->{id}'");
psql("SELECT notify('$v->{id}', 'call_scheduled', 'Verified call', 'call body', '{}')");
($queued) = psql_row("SELECT count(*) FROM mail_outbox WHERE to_addr = '$v->{email}' AND subject = 'Verified call'");
is $queued, 1, 'once verified: mailed';

done_testing;
