# Provider payouts, receipts: GET /api/wallet/transactions/:id/receipt for a release credit
# and for a transfer — JSON (gross, platform fee, net) or a one-page PDF (?format=pdf or
# Accept: application/pdf) whose cross-reference table is right; another user's entry,
# the requester's own escrow entry, a malformed id → 404; a bad format → 400.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Gigd;
use Payments;
use Urgent;

my ($s, $d, $res);

# Checks a PDF's structure: header, EOF, and that every xref offset points at its object.
sub pdf_ok {
    my ($pdf, $name) = @_;
    subtest $name => sub {
        like $pdf, qr/\A%PDF-1\.4\n/, 'PDF header';
        like $pdf, qr/%%EOF\n\z/, '%%EOF';
        my ($start) = $pdf =~ /startxref\n(\d+)\n%%EOF\n\z/;
        ok defined $start, 'startxref';
        is substr($pdf, $start, 4), 'xref', 'startxref points at the xref table';
        my ($n) = substr($pdf, $start) =~ /\Axref\n0 (\d+)\n/;
        is $n, 6, 'six entries';
        my @off = substr($pdf, $start) =~ /^(\d{10}) 00000 n $/mg;
        is scalar @off, 5, 'five objects';
        for my $i (1 .. 5) {
            is substr($pdf, $off[$i - 1], length "$i 0 obj"), "$i 0 obj", "object $i at its offset";
        }
        my ($len) = $pdf =~ /<< \/Length (\d+) >>\nstream\n/;
        my ($body) = $pdf =~ /stream\n(.*)endstream/s;
        is length($body), $len, 'stream length';
        like $pdf, qr/\/Type \/Page\b/, 'one page';
    };
}

my $p = project_gig(account => 'acct_' . rand_name('r'));
($s) = api(POST => "/api/gigs/$p->{gig}/complete", token => $p->{req}{token});
is $s, 200, 'released and transferred';
($s, $d) = api(GET => '/api/wallet', token => $p->{prov}{token});
my %tx = map { $_->{kind} => $_ } @{ $d->{data}{transactions} };
ok $tx{release} && $tx{transfer}, 'a release and a transfer entry in the wallet';

subtest 'JSON receipts' => sub {
    ($s, $d) = api(GET => "/api/wallet/transactions/$tx{release}{id}/receipt", token => $p->{prov}{token});
    is $s, 200, 'release receipt 200';
    my $r = $d->{data};
    is $r->{kind}, 'release', 'kind';
    is $r->{gross_amount}, 120, 'gross';
    is $r->{platform_fee}, 14.4, 'platform fee';
    is $r->{net_amount}, 105.6, 'net';
    is $r->{amount}, 105.6, 'this entry';
    is $r->{currency}, 'GBP', 'currency';
    is $r->{gig_id}, $p->{gig}, 'gig';
    is $r->{number}, "R-$tx{release}{id}", 'number';
    is $r->{provider_name}, 'James Okafor', 'provider';
    is $r->{requester_name}, 'Grace Requester', 'requester';
    ($s, $d) = api(GET => "/api/wallet/transactions/$tx{transfer}{id}/receipt?format=json", token => $p->{prov}{token});
    is $s, 200, 'transfer receipt 200';
    is $d->{data}{kind}, 'transfer', 'kind';
    is $d->{data}{amount}, 105.6, 'transferred';
    like $d->{data}{stripe_object_id}, qr/^tr_/, 'the Transfer';
    is $d->{data}{gross_amount}, 120, 'with the gross of its release';
};

subtest 'PDF receipts' => sub {
    ($s, $res) = api_raw(GET => "/api/wallet/transactions/$tx{release}{id}/receipt?format=pdf", token => $p->{prov}{token});
    is $s, 200, '?format=pdf 200';
    like $res->{headers}{'content-type'}, qr{^application/pdf}, 'application/pdf';
    pdf_ok($res->{content}, 'release PDF');
    like $res->{content}, qr/Gross amount:  120\.00 GBP/, 'gross';
    like $res->{content}, qr/Platform fee:  14\.40 GBP/, 'fee';
    like $res->{content}, qr/Net amount:    105\.60 GBP/, 'net';
    ($s, $res) = api_raw(GET => "/api/wallet/transactions/$tx{transfer}{id}/receipt", token => $p->{prov}{token},
                         headers => { Accept => 'application/pdf' });
    is $s, 200, 'Accept: application/pdf 200';
    like $res->{headers}{'content-type'}, qr{^application/pdf}, 'application/pdf';
    pdf_ok($res->{content}, 'transfer PDF');
    like $res->{content}, qr/Transferred:   105\.60 GBP \\\(tr_/, 'the transfer line';
};

subtest 'refusals' => sub {
    ($s, $d) = api(GET => "/api/wallet/transactions/$tx{release}{id}/receipt", token => $p->{req}{token});
    is $s, 404, "the other party's entry: 404";
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND';
    my $other = new_user();
    ($s, $res) = api_raw(GET => "/api/wallet/transactions/$tx{release}{id}/receipt?format=pdf", token => $other->{token});
    is $s, 404, "another user's entry as PDF: 404";
    unlike $res->{content}, qr/%PDF/, 'no PDF';
    my ($escrow) = psql_row("SELECT t.id FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id"
                            . " WHERE w.user_id = '$p->{req}{id}' AND t.kind = 'capture'");
    ($s) = api(GET => "/api/wallet/transactions/$escrow/receipt", token => $p->{req}{token});
    is $s, 404, "the requester's own escrow entry is not a wallet receipt: 404";
    for my $id ('abc', '1x', '99999999999999999999', '0') {
        ($s) = api(GET => "/api/wallet/transactions/$id/receipt", token => $p->{prov}{token});
        is $s, 404, "id $id: 404";
    }
    ($s, $d) = api(GET => "/api/wallet/transactions/$tx{release}{id}/receipt?format=xml", token => $p->{prov}{token});
    is $s, 400, 'format=xml: 400';
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    ok $d->{fields}{format}, 'names the field';
};

done_testing;
