# Revocation reaches real time (issue 12, item 3): a notification or conversation
# stream opened before sign-out, a password reset or a password change ends within
# seconds, over EventSource and WebSocket; another session's stream of the same user
# lives on. And the ?access_token= of EventSource never reaches the access log (item 6).
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdStream;
use JSON::PP;
use Time::HiRes qw(time sleep);

my ($host, $port) = $ENV{GIGD_TEST_BASE} =~ m{^https://([^:/]+):(\d+)} or die;
my $JSON = JSON::PP->new->utf8;

# The streaming client of t/lib/GigdStream.pm, on this stack.
package Sub {
    sub new { my ($class, $mode, $path, %o) = @_; return GigdStream->new($mode, $ENV{GIGD_TEST_BASE}, $path, %o) }
}

sub conversation {
    my ($a, $b) = @_;
    my (undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    return $d->{data}{id};
}
sub signin {
    my ($u) = @_;
    my (undef, $d) = api(POST => '/api/auth/signin', json => { email => $u->{email}, password => $u->{password} });
    return $d->{data}{token};
}
sub send_msg {
    my ($u, $cid, $text) = @_;
    my ($s) = api(POST => "/api/conversations/$cid/messages", token => $u->{token}, json => { content => $text });
    return $s;
}

# Opens the four streams of $u's session $tok: conversation and notifications, SSE and WS.
sub open_streams {
    my ($tok, $cid) = @_;
    my %st = (
        'conversation EventSource' => Sub->new('sse', "/api/realtime/conversations/$cid?access_token=$tok"),
        'conversation WebSocket'   => Sub->new('ws', "/api/realtime/conversations/$cid", token => $tok),
        'notification EventSource' => Sub->new('sse', "/api/realtime/notifications?access_token=$tok"),
        'notification WebSocket'   => Sub->new('ws', '/api/realtime/notifications', token => $tok),
    );
    return \%st;
}
sub check_open {
    my ($st) = @_;
    for my $k (sort keys %$st) {
        is $st->{$k}{status}, ($k =~ /WebSocket/ ? 101 : 200), "$k opened";
    }
}
my $s;
sub check_ended {
    my ($st, $why) = @_;
    for my $k (sort keys %$st) {
        my $t = $st->{$k}->ends_within(5);
        ok defined $t, "$k ends after $why" . (defined $t ? sprintf(' (%.2f s)', $t) : ' (still open after 5 s)');
        $st->{$k}->close;
    }
}

subtest 'sign-out ends the session streams, another session lives on' => sub {
    my $a = new_user();
    my $b = new_user();
    my $cid = conversation($a, $b);
    my $other = signin($a);
    my $st = open_streams($a->{token}, $cid);
    check_open($st);
    my $keep = Sub->new('sse', "/api/realtime/conversations/$cid", token => $other);
    is $keep->{status}, 200, 'a second session of the same user streams too';
    ($s) = api(POST => '/api/auth/signout', token => $a->{token});
    is $s, 200, 'signed out';
    check_ended($st, 'sign-out');
    is send_msg($b, $cid, 'still there?'), 201, 'message sent';
    my $ev = $keep->wait_event('message', 3);
    ok $ev, 'the other session still receives messages';
    ok !defined $keep->ends_within(0.5), 'and its stream stays open';
    $keep->close;
    my $r = Sub->new('sse', "/api/realtime/notifications?access_token=$a->{token}");
    is $r->{status}, 401, 'the revoked token cannot subscribe again';
    $r->close;
};

subtest 'a password change ends the other sessions\' streams' => sub {
    my $a = new_user();
    my $b = new_user();
    my $cid = conversation($a, $b);
    my $old = signin($a);
    my $st = open_streams($old, $cid);
    check_open($st);
    my $mine = Sub->new('ws', '/api/realtime/notifications', token => $a->{token});
    is $mine->{status}, 101, 'the changing session streams too';
    ($s) = api(PUT => '/api/auth/password', token => $a->{token},
                  json => { current_password => $a->{password}, new_password => 'a brand new password' });
    is $s, 200, 'password changed';
    check_ended($st, 'a password change');
    ok !defined $mine->ends_within(0.5), 'the session that changed it keeps its stream';
    $mine->close;
};

subtest 'a password reset ends every stream of the account' => sub {
    my $a = new_user();
    my $b = new_user();
    my $cid = conversation($a, $b);
    my $st = open_streams($a->{token}, $cid);
    check_open($st);
    ($s) = api(POST => '/api/auth/password/reset', json => { email => $a->{email} });
    is $s, 200, 'reset asked';
    my $m = wait_for(sub { (grep { $_->{raw} =~ /^Subject: Reset your gigd password$/m && grep { lc($_) eq $a->{email} } @{ $_->{to} } } mails())[0] }, 15);
    my ($rt) = ($m->{raw} // '') =~ /token=([A-Za-z0-9_-]{43})/;
    ok $rt, 'reset link mailed';
    ($s) = api(POST => '/api/auth/password/reset/confirm', json => { token => $rt, password => 'reset by mail' });
    is $s, 200, 'reset confirmed';
    check_ended($st, 'a password reset');
};

subtest 'the access log never holds an access_token' => sub {
    my $a = new_user();
    my $b = new_user();
    my $cid = conversation($a, $b);
    my $r = Sub->new('sse', "/api/realtime/conversations/$cid?access_token=$a->{token}");
    is $r->{status}, 200, 'subscribed with ?access_token=';
    $r->close;
    $r = Sub->new('sse', "/api/realtime/notifications?access_token=$a->{token}");
    is $r->{status}, 200, 'notifications with ?access_token=';
    $r->close;
    $r = Sub->new('sse', "/api/realtime/notifications?access_token=$a->{token}x");
    is $r->{status}, 401, 'a refused token';
    $r->close;
    my $log = stack_dir() . '/log/nginx-access.log';
    my $seen = wait_for(sub {
        open my $f, '<', $log or return 0;
        my $n = grep { m{/api/realtime/notifications} } <$f>;
        $n >= 2;
    }, 5);
    ok $seen, 'the subscriptions were logged';
    open my $f, '<', $log or die "$log: $!";
    my @hits = grep { index($_, $a->{token}) >= 0 } <$f>;
    is scalar @hits, 0, 'no access-log line carries the token' or diag @hits;
};

done_testing;
