# GET /docs in a real browser (`make docs-test`; not part of `make test`, which checks the
# page and bundle are served without one): headless Chromium loads the page through nginx,
# Redoc renders docs/openapi.json, every tag and at least one operation of each show up,
# no request leaves the site, and a screenshot is kept as docs/api-reference.png.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use Gigd;

my $chromium = (grep { -x } '/usr/bin/chromium', '/usr/bin/chromium-browser')[0]
    or plan skip_all => 'chromium not installed (make docs-test installs it)';
my $root = $ENV{GIGD_TEST_BUILD} =~ s{/build/[^/]+$}{}r;
my $base = $ENV{GIGD_TEST_BASE};
my $doc = do { open my $f, '<', "$root/docs/openapi.json" or die; local $/; decode_json(<$f>) };
my $profile = tempdir('gigd-chromium.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @flags = ('--headless', '--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', '--hide-scrollbars',
             "--user-data-dir=$profile", '--virtual-time-budget=15000', '--window-size=1400,1000',
             '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'); # nothing but this stack resolves

sub run_chromium {
    my @args = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) { open STDERR, '>', '/dev/null'; exec 'timeout', '90', $chromium, @flags, @args; exit 127 }
    my $out = do { local $/; <$fh> };
    close $fh;
    return $out // '';
}

my $dom = run_chromium('--dump-dom', "$base/docs");
ok length($dom) > 10000, 'the page rendered (' . length($dom) . ' bytes of DOM)';
like $dom, qr/class="[^"]*redoc-wrap/, 'Redoc mounted';
unlike $dom, qr/Something went wrong|Error downloading/i, 'no Redoc error';
(my $text = $dom) =~ s/<[^>]+>/ /g;
for ($text) { s/&amp;/&/g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#x27;|&#39;/'/g; s/\s+/ /g }

my %by_tag;
for my $p (keys %{ $doc->{paths} }) {
    for my $m (grep { $_ ne 'parameters' } keys %{ $doc->{paths}{$p} }) {
        my $op = $doc->{paths}{$p}{$m};
        push @{ $by_tag{$_} }, $op->{summary} // "$m $p" for @{ $op->{tags} || [] };
    }
}
ok scalar(keys %by_tag) >= 10, scalar(keys %by_tag) . ' tags in the document';
for my $tag (sort keys %by_tag) {
    like $text, qr/\Q$tag\E/i, "tag '$tag' shown";
    my ($shown) = grep { index($text, $_) >= 0 } @{ $by_tag{$tag} };
    ok $shown, "an operation of '$tag' shown" . ($shown ? ": " . substr($shown, 0, 50) : '');
}

my $png = "$root/docs/api-reference.png";
unlink $png;
run_chromium("--screenshot=$png", "$base/docs");
ok -s $png && -s $png > 20000, 'screenshot kept in docs/api-reference.png (' . (-s $png // 0) . ' bytes)';
done_testing;
