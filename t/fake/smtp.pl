#!/usr/bin/env perl
# Fake SMTP server for gigd tests.  Core Perl only.
#
#   perl t/fake/smtp.pl --port N --dir DIR [--verbose]
#
# Listens on 127.0.0.1:N (N=0 picks a free port; the real one is written to
# DIR/smtp.port).  Forks one child per connection.  Every accepted message is
# written atomically to DIR/smtp/<sec><usec>-<pid>-<seq>.eml:
#
#   X-Fake-Mail-From: <from>
#   X-Fake-Rcpt-To: <rcpt>        (one line per recipient)
#   <raw DATA content, dot-stuffing undone, CRLF line endings kept>
#
# If DIR/smtp/control exists and contains "fail NNN [text]", the end of DATA is
# answered with NNN instead of 250 and the message is not recorded.
# DIR/smtp.pid is written (atomically) once the socket is listening, so its
# presence means "ready".  SIGTERM/SIGINT stop the server and its children.
use v5.36;
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Getopt::Long;
use File::Path qw(make_path);
use Time::HiRes qw(gettimeofday);
use MIME::Base64 qw(decode_base64);

my ($port, $dir, $verbose) = (undef, undef, 0);
my $IDLE = 300;    # seconds a client may stay silent before we hang up
GetOptions('port=i' => \$port, 'dir=s' => \$dir, 'verbose!' => \$verbose,
           'idle=i' => \$IDLE)
    && defined $port && defined $dir
    or die "usage: $0 --port N --dir DIR [--verbose] [--idle SECONDS]\n";

my $mdir = "$dir/smtp";
make_path($mdir);

my $srv = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
    Listen => 64, ReuseAddr => 1,
) or die "fake smtp: cannot listen on 127.0.0.1:$port: $@\n";
my $real_port = $srv->sockport;

sub write_atomic ($path, $data) {
    my $tmp = "$path.tmp.$$";
    open my $fh, '>:raw', $tmp or die "open $tmp: $!";
    print {$fh} $data or die "write $tmp: $!";
    close $fh or die "close $tmp: $!";
    rename $tmp, $path or die "rename $tmp: $!";
}

sub logmsg (@m) { print STDERR "fake smtp[$$]: @m\n" if $verbose }

my $pidfile = "$dir/smtp.pid";
write_atomic("$dir/smtp.port", "$real_port\n");
write_atomic($pidfile, "$$\n");
my $parent = $$;
logmsg("listening on 127.0.0.1:$real_port, dir $mdir");

my $seq = 0;    # per-child message counter (part of the file name)
my %kids;
$SIG{CHLD} = sub {
    while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k} }
};
my $stop = sub {
    return unless $$ == $parent;
    kill 'TERM', keys %kids;
    unlink $pidfile;
    exit 0;
};
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = $stop;
$SIG{PIPE} = 'IGNORE';


sub session ($c) {
    binmode $c;
    my $buf = '';
    my $readline = sub {
        while (1) {
            my $i = index($buf, "\n");
            return substr($buf, 0, $i + 1, '') if $i >= 0;
            return undef unless IO::Select->new($c)->can_read($IDLE);
            my $n = sysread($c, $buf, 65536, length $buf);
            return undef unless $n;
        }
    };
    my $say = sub ($txt) {
        logmsg("S: $txt");
        my $out = join '', map { "$_\r\n" } split /\n/, $txt;
        while (length $out) {
            my $n = syswrite($c, $out);
            die "write: $!\n" unless defined $n;
            substr($out, 0, $n, '');
        }
    };
    my ($from, @rcpt);
    my $reset = sub { undef $from; @rcpt = () };

    $say->('220 localhost ESMTP gigd fake smtp ready');
    while (defined(my $line = $readline->())) {
        $line =~ s/\r?\n\z//;
        logmsg("C: $line");
        my ($verb, $arg) = $line =~ /^\s*(\S+)\s*(.*?)\s*$/ ? (uc $1, $2) : ('', '');
        if ($verb eq 'EHLO') {
            $reset->();
            $say->("250-localhost greets " . ($arg || 'client') . "\n"
                 . "250-8BITMIME\n250-SIZE 52428800\n250-AUTH PLAIN LOGIN\n"
                 . "250-SMTPUTF8\n250 HELP");
        } elsif ($verb eq 'HELO') {
            $reset->();
            $say->('250 localhost');
        } elsif ($verb eq 'AUTH') {
            my ($mech, $ir) = split ' ', $arg, 2;
            $mech = uc($mech // '');
            if ($mech eq 'PLAIN') {
                unless (defined $ir) {
                    $say->('334 ');
                    last unless defined $readline->();
                }
                $say->('235 2.7.0 Authentication successful');
            } elsif ($mech eq 'LOGIN') {
                unless (defined $ir) {
                    $say->('334 VXNlcm5hbWU6');
                    last unless defined $readline->();
                }
                $say->('334 UGFzc3dvcmQ6');
                last unless defined $readline->();
                $say->('235 2.7.0 Authentication successful');
            } else {
                $say->('504 5.5.4 Unrecognized authentication type');
            }
        } elsif ($verb eq 'MAIL') {
            if ($arg =~ /^FROM:\s*(<[^>]*>|\S+)/i) {
                $reset->();
                $from = $1;
                $from = "<$from>" unless $from =~ /^</;
                $say->('250 2.1.0 Ok');
            } else {
                $say->('501 5.5.4 Syntax: MAIL FROM:<address>');
            }
        } elsif ($verb eq 'RCPT') {
            if (!defined $from) {
                $say->('503 5.5.1 Error: need MAIL command');
            } elsif ($arg =~ /^TO:\s*(<[^>]*>|\S+)/i) {
                my $r = $1;
                $r = "<$r>" unless $r =~ /^</;
                push @rcpt, $r;
                $say->('250 2.1.5 Ok');
            } else {
                $say->('501 5.5.4 Syntax: RCPT TO:<address>');
            }
        } elsif ($verb eq 'DATA') {
            if (!defined $from) { $say->('503 5.5.1 Error: need MAIL command'); next }
            if (!@rcpt)         { $say->('554 5.5.1 Error: no valid recipients'); next }
            $say->('354 End data with <CR><LF>.<CR><LF>');
            my $data = '';
            my $complete = 0;
            while (defined(my $l = $readline->())) {
                if ($l =~ /^\.\r?\n\z/) { $complete = 1; last }
                $l =~ s/^\.//;    # undo dot-stuffing
                $data .= $l;
            }
            last unless $complete;    # client went away mid-message
            my $fail = control_failure();
            if ($fail) {
                $say->($fail);
            } else {
                my ($s, $us) = gettimeofday();
                my $name = sprintf '%010d%06d-%d-%04d.eml', $s, $us, $$, ++$seq;
                my $head = "X-Fake-Mail-From: $from\r\n"
                         . join('', map { "X-Fake-Rcpt-To: $_\r\n" } @rcpt);
                write_atomic("$mdir/$name", $head . $data);
                $say->("250 2.0.0 Ok: queued as $name");
            }
            $reset->();
        } elsif ($verb eq 'RSET') {
            $reset->();
            $say->('250 2.0.0 Ok');
        } elsif ($verb eq 'NOOP') {
            $say->('250 2.0.0 Ok');
        } elsif ($verb eq 'QUIT') {
            $say->('221 2.0.0 Bye');
            last;
        } elsif ($verb eq 'VRFY') {
            $say->('252 2.0.0 Cannot VRFY user, but will accept message');
        } elsif ($verb eq 'HELP') {
            $say->('214 2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP QUIT');
        } elsif ($verb eq 'STARTTLS') {
            $say->('454 4.7.0 TLS not available');
        } else {
            $say->('502 5.5.2 Error: command not recognized');
        }
    }
}

# Returns the reply line to use instead of 250, or undef.
sub control_failure () {
    my $f = "$mdir/control";
    open my $fh, '<', $f or return undef;
    local $/;
    my $txt = <$fh> // '';
    close $fh;
    if ($txt =~ /^\s*fail\s+([45]\d\d)(?:[ \t]+([^\r\n]*?))?\s*$/m) {
        my ($code, $msg) = ($1, $2);
        undef $msg if defined $msg && $msg eq '';
        $msg //= $code =~ /^4/ ? '4.3.0 Fake temporary failure (control file)'
                               : '5.3.0 Fake permanent failure (control file)';
        return "$code $msg";
    }
    return undef;
}

# Accept loop last, so every file-scope variable above is initialised.
sub serve () {
    while (1) {
        my $c = $srv->accept;
        unless ($c) {
            next if $!{EINTR} || $!{ECONNABORTED};
            die "fake smtp: accept: $!\n";
        }
        my $pid = fork;
        if (!defined $pid) { warn "fake smtp: fork: $!\n"; close $c; next }
        if ($pid) { $kids{$pid} = 1; close $c; next }
        # child
        $SIG{CHLD} = $SIG{TERM} = $SIG{INT} = $SIG{HUP} = 'DEFAULT';
        close $srv;
        eval { session($c); 1 } or logmsg("session error: $@");
        close $c;
        POSIX::_exit(0);
    }
}

serve();
