# OwnMaster.pm — a second gigd master of a test's own (socket, pidfile and log in a
# temporary directory, settings from the test), spoken to over FastCGI directly, for
# settings the shared stack cannot change (t/api/config_reload.t, t/api/pin_body_limit.t).
package OwnMaster;
use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use POSIX ();
use Time::HiRes qw(sleep);
use Gigd;

our @EXPORT = qw(own_master own_master_pid fcgi_request own_log);

my ($dir, $sock, $log, $master);

sub own_master_pid { return $master }

sub own_log { open my $f, '<', $log or return ''; local $/; return <$f> }

# Starts the master with GIGD_WORKERS=2 and the given GIGD_* settings (undef removes one
# from its environment; GIGD_CONFIG_FILE only when given); waits for its socket.
# -binary => 'gigd-test' runs the test build's binary (t/hooks/slow.c) instead of gigd.
sub own_master {
    my (%env) = @_;
    my $binary = delete $env{-binary} // 'gigd';
    my $build = $ENV{GIGD_TEST_BUILD} or die "GIGD_TEST_BUILD not set\n";
    $dir = tempdir('gigd-own.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    ($sock, $log) = ("$dir/gigd.sock", "$dir/gigd.log");
    $master = fork // die "fork: $!";
    if (!$master) {
        delete $ENV{GIGD_CONFIG_FILE};
        @ENV{qw(GIGD_WORKERS GIGD_SOCKET GIGD_PIDFILE)} = (2, $sock, "$dir/gigd.pid");
        $ENV{$_} = $env{$_} for grep { defined $env{$_} } keys %env;
        delete $ENV{$_} for grep { !defined $env{$_} } keys %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        POSIX::setsid();
        exec "$build/$binary" or POSIX::_exit(127);
    }
    return wait_for(sub { -S $sock }, 10);
}

END {
    if ($master) {
        kill 'QUIT', $master;
        for (1 .. 100) { last if waitpid($master, POSIX::WNOHANG()) == $master; sleep 0.1 }
        kill 'KILL', $master if kill 0, $master;
    }
}

sub nv_len { $_[0] < 128 ? pack('C', $_[0]) : pack('N', $_[0] | 0x80000000) }
sub record { my ($type, $c) = @_; pack('CCnnCC', 1, $type, 1, length $c, 0, 0) . $c }

# One request per connection: (status, headers text, body). params are FastCGI params
# (REQUEST_METHOD, GIGD_PATH, HTTP_*, ...); $body goes on stdin with its CONTENT_LENGTH.
# -keep => 1 asks the worker to keep the connection (FCGI_KEEP_CONN, as nginx's upstream
# keepalive does) and returns it as a fourth value, for the caller to close.
sub fcgi_request {
    my ($body, %p) = @_;
    my $keep = delete $p{-keep} ? 1 : 0;
    $body //= '';
    %p = (QUERY_STRING => '', CONTENT_LENGTH => length $body, %p);
    $p{DOCUMENT_URI} //= $p{GIGD_PATH};
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock) or return (0, '', '');
    my $params = join '', map { nv_len(length $_) . nv_len(length $p{$_}) . $_ . $p{$_} } sort keys %p;
    print $s record(1, pack('nCx5', 1, $keep)), record(4, $params), record(4, '');
    for (my $off = 0; $off < length $body; $off += 32768) { print $s record(5, substr($body, $off, 32768)) }
    print $s record(5, '');
    my $out = '';
    while ((read($s, my $h, 8) // 0) == 8) { # undef: reset (a worker killed mid-request)
        my (undef, $type, undef, $len, $pad) = unpack('CCnnC', $h);
        my $c = '';
        read($s, $c, $len + $pad) if $len + $pad;
        $out .= substr($c, 0, $len) if $type == 6;
        last if $type == 3;
    }
    my ($head, $rest) = split /\r\n\r\n/, $out, 2;
    my ($status) = ($head // '') =~ /^Status: (\d+)/m;
    return ($status // 200, $head // '', $rest // '', $keep ? $s : ());
}

1;
