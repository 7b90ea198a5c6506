# Real time through nginx + nchan: EventSource and WebSocket subscribers on a
# conversation channel and the per-user notification channel receive message,
# typing, read and notification events within a second; outsiders and anonymous
# callers are refused; all three ways to authenticate work.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdStream;
use GigdMarket ();
use JSON::PP;
use Time::HiRes qw(time sleep);

my ($host, $port) = $ENV{GIGD_TEST_BASE} =~ m{^https://([^:/]+):(\d+)} or die;
my $JSON = JSON::PP->new->utf8;

# The streaming client of t/lib/GigdStream.pm, on this stack.
package Sub {
    sub new { my ($class, $mode, $path, %o) = @_; return GigdStream->new($mode, $ENV{GIGD_TEST_BASE}, $path, %o) }
}

my $a = new_user();
my $b = new_user();
my $c = new_user();
my (undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
my $cid = $d->{data}{id};
my $chan = "/api/realtime/conversations/$cid";

subtest 'refusals' => sub {
    my $r = Sub->new('sse', $chan, token => $c->{token});
    is $r->{status}, 403, 'outsider EventSource refused (403)';
    $r->close;
    $r = Sub->new('ws', $chan, token => $c->{token});
    is $r->{status}, 403, 'outsider WebSocket refused (403)';
    $r->close;
    $r = Sub->new('sse', $chan);
    is $r->{status}, 401, "anonymous refused (401)";
    $r->close;
    $r = Sub->new('sse', "$chan?access_token=not-a-real-token");
    is $r->{status}, 401, "bad access_token refused (401)";
    $r->close;
    $r = Sub->new('sse', '/api/realtime/conversations/' . uuid_random(), token => $a->{token});
    is $r->{status}, 403, 'unknown conversation refused';
    $r->close;
    $r = Sub->new('sse', '/api/realtime/notifications');
    is $r->{status}, 401, 'anonymous notification stream 401';
    $r->close;
    $r = Sub->new('sse', "/_realtime/notifications/$a->{id}");
    is $r->{status}, 404, 'the internal nchan location is not reachable from outside';
    $r->close;
    my $own_origin = "https://localhost:$port";
    $r = Sub->new('ws', $chan, cookie => $a->{token}, origin => 'https://evil.example');
    is $r->{status}, 403, 'cookie WebSocket from a foreign Origin refused (cross-site WebSocket hijacking)';
    $r->close;
    $r = Sub->new('ws', '/api/realtime/notifications', cookie => $a->{token}, origin => 'https://evil.example');
    is $r->{status}, 403, 'same for the notification stream';
    $r->close;
    $r = Sub->new('ws', $chan, token => $a->{token}, origin => 'https://evil.example');
    is $r->{status}, 101, 'a Bearer token is not ambient: any Origin';
    $r->close;
    $r = Sub->new('ws', $chan, cookie => $a->{token}, origin => $own_origin);
    is $r->{status}, 101, 'cookie WebSocket from our own Origin';
    $r->close;
    $r = Sub->new('sse', "/_realtime/conversations/$cid/00000000-0000-0000-0000-000000000000");
    is $r->{status}, 404, 'the internal conversation location is not reachable from outside';
    $r->close;
};

subtest 'conversation channel: EventSource (access_token) and WebSocket (Bearer)' => sub {
    my $sse = Sub->new('sse', "$chan?access_token=$a->{token}");
    is $sse->{status}, 200, 'participant EventSource via ?access_token= 200';
    my $ws = Sub->new('ws', $chan, token => $b->{token});
    is $ws->{status}, 101, 'participant WebSocket via Bearer 101';
    my $ws2 = Sub->new('ws', $chan, cookie => $a->{token});
    is $ws2->{status}, 101, 'participant WebSocket via cookie 101';
    sleep 0.2;

    (undef, $d) = api(POST => "/api/conversations/$cid/messages", token => $b->{token}, json => { content => 'live!' });
    my $mid = $d->{data}{id};
    for my $sub ([$sse, 'EventSource'], [$ws, 'WebSocket'], [$ws2, 'WebSocket (cookie)']) {
        my $ev = $sub->[0]->wait_event('message', 2);
        ok $ev, "$sub->[1] got the message";
        next unless $ev;
        is $ev->[0]{data}{id}, $mid, "$sub->[1]: same message";
        is $ev->[0]{data}{content}, 'live!', "$sub->[1]: content";
        cmp_ok $ev->[1], '<', 1, "$sub->[1]: within a second";
    }

    api(POST => "/api/conversations/$cid/typing", token => $a->{token});
    for my $sub ([$sse, 'EventSource'], [$ws, 'WebSocket']) {
        my $ev = $sub->[0]->wait_event('typing', 2);
        ok $ev && $ev->[0]{data}{user_id} eq $a->{id}, "$sub->[1] got typing from a";
        cmp_ok $ev->[1], '<', 1, "$sub->[1]: typing within a second" if $ev;
    }
    api(POST => "/api/conversations/$cid/read", token => $a->{token});
    for my $sub ([$sse, 'EventSource'], [$ws, 'WebSocket']) {
        my $ev = $sub->[0]->wait_event('read', 2);
        ok $ev && $ev->[0]{data}{user_id} eq $a->{id}, "$sub->[1] got read from a";
    }
    $_->close for $sse, $ws, $ws2;
};

subtest 'notification channel' => sub {
    my $nws = Sub->new('ws', "/api/realtime/notifications?access_token=$b->{token}");
    is $nws->{status}, 101, 'notification WebSocket via ?access_token= 101';
    my $nsse = Sub->new('sse', '/api/realtime/notifications', cookie => $b->{token});
    is $nsse->{status}, 200, 'notification EventSource via cookie 200';
    my $other = Sub->new('sse', '/api/realtime/notifications', token => $c->{token});
    is $other->{status}, 200, 'another user has their own stream';
    sleep 0.2;
    my $e = new_user();
    (undef, $d) = api(POST => '/api/conversations', token => $e->{token}, json => { participant_id => $b->{id} });
    api(POST => "/api/conversations/$d->{data}{id}/messages", token => $e->{token}, json => { content => 'ping b' });
    for my $sub ([$nws, 'WebSocket'], [$nsse, 'EventSource']) {
        my $ev = $sub->[0]->wait_event('notification', 2);
        ok $ev, "$sub->[1] got the notification";
        next unless $ev;
        is $ev->[0]{data}{type}, 'new_message', "$sub->[1]: new_message";
        is $ev->[0]{data}{user_id}, $b->{id}, "$sub->[1]: for b";
        is $ev->[0]{data}{data}{conversation_id}, $d->{data}{id}, "$sub->[1]: names the conversation";
        cmp_ok $ev->[1], '<', 1, "$sub->[1]: within a second";
    }
    ok !$other->wait_event('notification', 0.5), 'another user does not get it';

    # a scheduled call notifies in real time too
    my @t = gmtime(time + 3600);
    api(POST => '/api/calls', token => $e->{token}, json => { participant_id => $b->{id},
        scheduled_at => sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]) });
    my $cev = $nws->wait_event('notification', 2);
    ok $cev && $cev->[0]{data}{type} eq 'call_scheduled', 'call_scheduled notification over the WebSocket';

    # Notifications written by other modules reach the stream too (published on commit):
    # b posts a gig, e applies → new_application; b accepts → application_status to e.
    my $prev = $nsse->wait_event('notification', 2);
    ok $prev && $prev->[0]{data}{type} eq 'call_scheduled', 'call_scheduled over EventSource as well';
    my $gig = GigdMarket::new_gig($b);
    my ($as, $ad) = GigdMarket::apply_to($e, $gig->{id});
    is $as, 201, 'application created';
    my $aev = $nsse->wait_event('notification', 2);
    ok $aev && $aev->[0]{data}{type} eq 'new_application', 'new_application notification over EventSource';
    is $aev && $aev->[0]{data}{data}{application_id}, $ad->{data}{id}, 'it names the application';
    my $eev = Sub->new('sse', '/api/realtime/notifications', token => $e->{token});
    api(PUT => "/api/applications/$ad->{data}{id}/status", token => $b->{token}, json => { status => 'accepted' });
    my $sev = $eev->wait_event('notification', 2);
    ok $sev && $sev->[0]{data}{type} eq 'application_status', 'application_status reaches the applicant';
    my ($rs) = api(POST => '/api/reviews', token => $b->{token}, json => { gig_id => $gig->{id}, reviewee_id => $e->{id}, rating => 5 });
    is $rs, 201, 'review created';
    my $rev = $eev->wait_event('notification', 2);
    ok $rev && $rev->[0]{data}{type} eq 'review_received', 'review_received reaches the reviewee';
    $eev->close;
    $_->close for $nws, $nsse, $other;

    # publishing failures never fail the request: nchan down is simulated by a bad channel? (covered by
    # the publisher's timeout; here the request path is only checked to stay fast)
    my $t0 = time;
    api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'no subscribers' });
    cmp_ok time - $t0, '<', 1, 'sending with no subscribers is fast';
};

done_testing;
