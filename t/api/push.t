# Push: token registration routes, push outbox rows written with the notification,
# the deliverer batching to the fake Expo (<= 100 per request, paced), storing
# tickets, deactivating DeviceNotRegistered tokens (tickets and receipts), and
# surviving Expo being down, then draining.
use strict;
use warnings;
use Test::More;
use Gigd;
use JSON::PP;
use Time::HiRes qw(sleep time);

my ($s, $d);
my $JSON = JSON::PP->new->utf8;
my $a = new_user();
my $b = new_user();
my $tag = rand_name('t');
my $tok = sub { "ExponentPushToken[$tag-$_[0]]" };
my ($n, $sends, @req, $u, $dead, $live, $st, $err);   # shared by the subtests below

subtest 'routes' => sub {
    ($s, $d) = api(POST => '/api/push-tokens', token => $a->{token}, json => { push_token => $tok->('ios'), platform => 'ios', device_id => 'phone-1' });
    is $s, 201, 'register 201';
    is $d->{data}{push_token}, $tok->('ios'), 'token echoed';
    is $d->{data}{platform}, 'ios', 'platform';
    ok $d->{data}{active}, 'active';
    ($s, $d) = api(POST => '/api/push-tokens', token => $a->{token}, json => { push_token => $tok->('ios'), platform => 'ios', device_id => 'phone-1' });
    is $s, 200, 'registering again is an upsert (200)';
    ($s) = api(POST => '/api/push-tokens', token => $a->{token}, json => { push_token => $tok->('android'), platform => 'android', device_id => 'tablet' });
    is $s, 201, 'a second device';
    ($n) = psql_row("SELECT count(*) FROM push_tokens WHERE user_id = '$a->{id}' AND active");
    is $n, 2, 'several devices per user';
    ($s) = api(POST => '/api/push-tokens', token => $a->{token}, json => { push_token => $tok->('ios2'), platform => 'ios', device_id => 'phone-1' });
    is $s, 201, 'a new token for the same device';
    my ($old) = psql_row("SELECT active FROM push_tokens WHERE push_token = '" . $tok->('ios') . "'");
    is $old, 'f', 'replaces the device\'s older token';

    for my $case (
        [{ platform => 'ios' }, 'push_token', 'required'],
        [{ push_token => 'not-a-token', platform => 'ios' }, 'push_token', 'Expo'],
        [{ push_token => 'ExponentPushToken[' . ('x' x 300) . ']', platform => 'ios' }, 'push_token', 'at most'],
        [{ push_token => $tok->('x'), platform => 'symbian' }, 'platform', 'one of'],
        [{ push_token => $tok->('x') }, 'platform', 'required'],
        [{ push_token => $tok->('x'), platform => 'web', device_id => 7 }, 'device_id', 'string'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(POST => '/api/push-tokens', token => $a->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field says $msg";
    }
    ($s) = api(POST => '/api/push-tokens', json => { push_token => $tok->('anon'), platform => 'ios' });
    is $s, 401, 'anonymous register 401';
    ($s) = api(POST => '/api/push-tokens', token => $a->{token}, body => '{"push_token":', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';

    my $enc = sub { my $t = shift; $t =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge; $t };
    ($s) = api(DELETE => '/api/push-tokens/' . $enc->($tok->('android')), token => $b->{token});
    is $s, 404, 'someone else\'s token 404';
    ($s) = api(DELETE => '/api/push-tokens/' . $enc->($tok->('android')));
    is $s, 401, 'anonymous delete 401';
    ($s) = api(DELETE => '/api/push-tokens/' . $enc->($tok->('android')), token => $a->{token});
    is $s, 200, 'own token deactivated';
    ($s) = api(DELETE => '/api/push-tokens/' . $enc->('ExponentPushToken[nope]'), token => $a->{token});
    is $s, 404, 'unknown token 404';
    ($n) = psql_row("SELECT count(*) FROM push_tokens WHERE user_id = '$a->{id}' AND active");
    is $n, 1, 'one active token left';
};

subtest 'outbox rows in the notification\'s transaction, and delivery' => sub {
    $sends = sub {
        my ($re) = @_;
        grep { $_->{path} =~ m{/push/send$} && $_->{body} =~ $re } fake_requests('expo');
    };
    (undef, $d) = api(POST => '/api/conversations', token => $b->{token}, json => { participant_id => $a->{id} });
    my $cid = $d->{data}{id};
    api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'push me' });
    my ($rows) = psql_row("SELECT count(*) FROM push_outbox o JOIN notifications n ON n.id = o.notification_id WHERE n.user_id = '$a->{id}' AND n.type = 'new_message'");
    is $rows, 1, 'one outbox row per active token, with the notification';
    ok wait_for(sub { (psql_row("SELECT count(*) FROM push_outbox WHERE push_token = '" . $tok->('ios2') . "' AND status = 'sent' AND ticket_id IS NOT NULL"))[0] }, 10),
        'the deliverer sent it and stored the ticket';
    @req = $sends->(qr/\Q$tag-ios2\E/);
    is scalar @req, 1, 'Expo got one request';
    my $body = $JSON->decode($req[0]{body});
    is ref $body, 'ARRAY', 'a batch (JSON array)';
    is $body->[0]{to}, $tok->('ios2'), 'to';
    like $body->[0]{title}, qr/New message/, 'title';
    is $body->[0]{body}, 'push me', 'body';
    is $body->[0]{data}{type}, 'new_message', 'data.type';
    is $body->[0]{data}{conversation_id}, $cid, 'data.conversation_id';
    like $req[0]{headers}{'content-type'}, qr{application/json}, 'JSON content type';
};

subtest 'batches of at most 100, paced under 600/s' => sub {
    my $many = new_user();
    psql("INSERT INTO push_tokens (user_id, push_token, platform) SELECT '$many->{id}', 'ExponentPushToken[$tag-many-' || i || ']', 'android' FROM generate_series(1, 250) i");
    psql("SELECT notify('$many->{id}', 'gig_update', 'Batch test', 'hello', '{}')");
    ok wait_for(sub { (psql_row("SELECT count(*) FROM push_outbox WHERE push_token LIKE '%$tag-many-%' AND status = 'sent'"))[0] == 250 }, 15),
        '250 pushes sent';
    @req = $sends->(qr/\Q$tag-many-\E/);
    is join(',', sort map { scalar @{ $JSON->decode($_->{body}) } } @req), '100,100,50', 'in batches of 100, 100 and 50';
    my @files = sort glob("$ENV{GIGD_TEST_FAKE_DIR}/expo/[0-9]*.json");
    my @stamps;
    for my $f (@files) {
        open my $fh, '<', $f or next;
        local $/;
        my $txt = <$fh>;
        next unless $txt =~ /\Q$tag-many-\E/;
        my ($sec) = $f =~ m{/(\d+)-\d+-\d+\.json$};
        push @stamps, $sec / 1e6;
    }
    is scalar @stamps, 3, 'three requests recorded';
    # 1/3 s of pacing, less the arrival jitter of the first request on a loaded machine
    cmp_ok $stamps[2] - $stamps[0], ">=", 0.25, "paced: 200 pushes take about a third of a second before the third batch";
};

subtest 'DeviceNotRegistered in the ticket' => sub {
    $u = new_user();
    $dead = "ExponentPushToken[$tag-Unregistered]";
    $live = "ExponentPushToken[$tag-live]";
    api(POST => '/api/push-tokens', token => $u->{token}, json => { push_token => $dead, platform => 'ios' });
    api(POST => '/api/push-tokens', token => $u->{token}, json => { push_token => $live, platform => 'android' });
    psql("SELECT notify('$u->{id}', 'gig_update', 'Ticket test', NULL, '{}')");
    ok wait_for(sub { (psql_row("SELECT active FROM push_tokens WHERE push_token = '$dead'"))[0] eq 'f' }, 10),
        'DeviceNotRegistered ticket deactivates the token';
    ($st, $err) = psql_row("SELECT status, last_error FROM push_outbox WHERE push_token = '$dead'");
    is $st, 'failed', 'its row failed';
    like $err, qr/DeviceNotRegistered/, 'with the error';
    ($st) = psql_row("SELECT active FROM push_tokens WHERE push_token = '$live'");
    is $st, 't', 'the other token of the user stays active';
    psql("SELECT notify('$u->{id}', 'gig_update', 'After', NULL, '{}')");
    sleep 1.5;
    is scalar($sends->(qr/\Q$tag-Unregistered\E/)), 1, 'a deactivated token gets nothing more';
};

subtest 'DeviceNotRegistered in the receipt' => sub {
    my $late = "ExponentPushToken[$tag-LateUnregistered]";
    api(POST => '/api/push-tokens', token => $u->{token}, json => { push_token => $late, platform => 'ios' });
    psql("SELECT notify('$u->{id}', 'gig_update', 'Receipt test', NULL, '{}')");
    ok wait_for(sub { (psql_row("SELECT count(*) FROM push_outbox WHERE push_token = '$late' AND status = 'sent'"))[0] }, 10), 'ticket ok at first';
    ($st) = psql_row("SELECT active FROM push_tokens WHERE push_token = '$late'");
    is $st, 't', 'still active before the receipt';
    psql("UPDATE push_outbox SET receipt_due_at = now() WHERE status = 'sent' AND token_id IN (SELECT id FROM push_tokens WHERE user_id = '$u->{id}')");
    ok wait_for(sub { (psql_row("SELECT active FROM push_tokens WHERE push_token = '$late'"))[0] eq 'f' }, 10),
        'DeviceNotRegistered receipt deactivates the token';
    my @rr = grep { $_->{path} =~ m{/push/getReceipts$} } fake_requests('expo');
    ok scalar @rr, 'receipts fetched from getReceipts (derived from the push URL)';
    ($st) = psql_row("SELECT status FROM push_outbox WHERE push_token = '$live' AND payload->>'title' = 'Receipt test'");
    is $st, 'delivered', 'an ok receipt marks the row delivered';
};

subtest 'Expo down: retried with backoff, drained later' => sub {
    my $control = "$ENV{GIGD_TEST_FAKE_DIR}/expo/control.json";
    my $w = new_user();
    my $wt = "ExponentPushToken[$tag-outage]";
    api(POST => '/api/push-tokens', token => $w->{token}, json => { push_token => $wt, platform => 'ios' });
    open my $fh, '>', "$control.tmp" or die; print $fh '{"status":503}'; close $fh; rename "$control.tmp", $control;
    psql("SELECT notify('$w->{id}', 'gig_update', 'Outage', NULL, '{}')");
    ok wait_for(sub { scalar $sends->(qr/\Q$tag-outage\E/) }, 10), 'the deliverer tried while Expo is down';
    ok wait_for(sub { my ($st2, $at) = psql_row("SELECT status, attempts FROM push_outbox WHERE push_token = '$wt'"); $st2 eq 'pending' && $at >= 1 }, 5),
        'the row is back to pending for a retry';
    my ($le) = psql_row("SELECT last_error FROM push_outbox WHERE push_token = '$wt'");
    like $le, qr/503/, 'last_error says 503';
    my ($delay) = psql_row("SELECT next_attempt_at > now() FROM push_outbox WHERE push_token = '$wt'");
    is $delay, 't', 'with a backoff';
    sleep 1;
    unlink $control;
    ok wait_for(sub { (psql_row("SELECT status FROM push_outbox WHERE push_token = '$wt'"))[0] eq 'sent' }, 15),
        'drained once Expo is back';
    my ($alive) = psql_row("SELECT count(*) FROM push_outbox WHERE push_token = '$wt'");
    is $alive, 1, 'still one row (no duplicate)';

    # 429 with Retry-After is retried too
    my $rt = "ExponentPushToken[$tag-ratelimited]";
    api(POST => '/api/push-tokens', token => $w->{token}, json => { push_token => $rt, platform => 'ios' });
    open $fh, '>', "$control.tmp" or die; print $fh '{"status":429,"count":1,"headers":{"Retry-After":"1"}}'; close $fh; rename "$control.tmp", $control;
    psql("SELECT notify('$w->{id}', 'gig_update', 'Rate limited', NULL, '{}')");
    ok wait_for(sub { (psql_row("SELECT status FROM push_outbox WHERE push_token = '$rt'"))[0] eq 'sent' }, 15),
        '429 retried and sent';
    unlink $control;
};

subtest 'cleanup removes old final rows' => sub {
    psql("UPDATE push_outbox SET updated_at = now() - interval '31 days' WHERE push_token = '$dead'");
    ($s, $d) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() });
    is $s, 200, 'cleanup 200';
    cmp_ok $d->{data}{push_outbox}, '>=', 1, 'old final push rows removed';
    ($n) = psql_row("SELECT count(*) FROM push_outbox WHERE push_token = '$dead'");
    is $n, 0, 'gone';
};

done_testing;
