# GigdStream.pm — a minimal real-time subscriber over TLS (HTTP/1.1): EventSource ('sse')
# or WebSocket ('ws') on base URL https://HOST:PORT (the test stack's GIGD_TEST_BASE, or
# one of tools/cluster's hosts). Options: token (Bearer), cookie (gigd_session), origin.
#   my $s = GigdStream->new('sse', $base, "/api/realtime/...", token => $t);
#   my $ev = $s->wait_event('message', 2);   # [decoded event, seconds waited] or undef
package GigdStream;
use strict;
use warnings;
use IO::Socket::SSL;
use IO::Select;
use JSON::PP;
use MIME::Base64 ();
use Time::HiRes ();

my $JSON = JSON::PP->new->utf8;

sub new {
    my ($class, $mode, $base, $path, %o) = @_;
    my ($host, $port) = $base =~ m{^https://([^:/]+):(\d+)} or die "bad base $base";
    my $sock = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_verify_mode => 0,
                                    SSL_alpn_protocols => ['http/1.1'], Timeout => 5)
        or die "connect: $IO::Socket::SSL::SSL_ERROR";
    my @h = ("GET $path HTTP/1.1", "Host: $host:$port");
    push @h, "Authorization: Bearer $o{token}" if $o{token};
    push @h, "Cookie: gigd_session=$o{cookie}" if $o{cookie};
    push @h, "Origin: $o{origin}" if $o{origin};
    if ($mode eq 'ws') {
        my $key = MIME::Base64::encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
        push @h, 'Upgrade: websocket', 'Connection: Upgrade', "Sec-WebSocket-Key: $key", 'Sec-WebSocket-Version: 13';
    } else {
        push @h, 'Accept: text/event-stream';
    }
    print $sock join("\r\n", @h) . "\r\n\r\n";
    my $self = bless { sock => $sock, mode => $mode, buf => '', events => [] }, $class;
    my $end = Time::HiRes::time() + 5;
    while ($self->{buf} !~ /\r\n\r\n/ && Time::HiRes::time() < $end) { $self->fill(0.2) or last }
    ($self->{status}) = $self->{buf} =~ m{^HTTP/1\.1 (\d+)};
    $self->{status} //= 0;
    $self->{buf} =~ s/^.*?\r\n\r\n//s;
    return $self;
}

sub fill {
    my ($self, $t) = @_;
    my $sock = $self->{sock};
    return 0 unless $sock->pending || IO::Select->new($sock)->can_read($t);
    my $n = sysread($sock, my $chunk, 65536);
    return 0 unless $n;
    $self->{buf} .= $chunk;
    return 1;
}

sub parse {
    my ($self) = @_;
    if ($self->{mode} eq 'sse') {
        while ($self->{buf} =~ s/^(.*?)\n//) {
            my $line = $1 =~ s/\r$//r;
            push @{ $self->{events} }, $line =~ s/^data: //r if $line =~ /^data: \{/;
        }
        return;
    }
    while (length $self->{buf} >= 2) {
        my ($b0, $b1) = unpack 'CC', $self->{buf};
        my ($len, $off) = ($b1 & 0x7f, 2);
        if ($len == 126) { return if length $self->{buf} < 4; $len = unpack 'n', substr($self->{buf}, 2, 2); $off = 4 }
        elsif ($len == 127) { return if length $self->{buf} < 10; $len = unpack 'Q>', substr($self->{buf}, 2, 8); $off = 10 }
        return if length $self->{buf} < $off + $len;
        my $payload = substr($self->{buf}, $off, $len);
        substr($self->{buf}, 0, $off + $len) = '';
        push @{ $self->{events} }, $payload if ($b0 & 0x0f) == 1;
    }
}

sub wait_event {
    my ($self, $type, $t) = @_;
    my $start = Time::HiRes::time();
    while (1) {
        $self->parse;
        while (my $e = shift @{ $self->{events} }) {
            my $d = eval { $JSON->decode($e) } or next;
            return [$d, Time::HiRes::time() - $start] if $d->{type} eq $type;
        }
        my $left = $start + $t - Time::HiRes::time();
        return undef if $left <= 0;
        $self->fill($left);
    }
}

# Seconds until the server ends the stream (EOF), or undef if still open after $t.
sub ends_within {
    my ($self, $t) = @_;
    my $start = Time::HiRes::time();
    my $sock = $self->{sock};
    while ((my $left = $start + $t - Time::HiRes::time()) > 0) {
        next unless $sock->pending || IO::Select->new($sock)->can_read($left);
        my $n = sysread($sock, my $chunk, 65536);
        return Time::HiRes::time() - $start unless $n;
        $self->{buf} .= $chunk;
    }
    return undef;
}

sub close { my $s = shift; close $s->{sock} }

1;
