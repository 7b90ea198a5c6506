# Attachments: multipart upload streamed to private storage, served only to the owner
# and to participants of a conversation carrying it (X-Accel-Redirect), attached to
# messages by id or url, size limit, malformed bodies, orphan cleanup.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d, $res);
my $a = new_user();
my $b = new_user();
my $c = new_user();
(undef, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
my $cid = $d->{data}{id};

sub multipart {
    my (%o) = @_;
    my $bd = $o{boundary} // 'gigdBoundary' . int(rand(1e9));
    my $body = '';
    for my $p (@{ $o{parts} }) {
        $body .= "--$bd\r\nContent-Disposition: form-data; name=\"$p->{name}\""
               . (defined $p->{filename} ? "; filename=\"$p->{filename}\"" : '') . "\r\n"
               . ($p->{type} ? "Content-Type: $p->{type}\r\n" : '') . "\r\n$p->{data}\r\n";
    }
    $body .= "--$bd--\r\n";
    return (body => $body, headers => { 'Content-Type' => "multipart/form-data; boundary=\"$bd\"" });
}

# binary content that contains things looking like delimiters
my $bin = join('', map { chr(($_ * 7919) % 256) } 1 .. 300_000) . "\r\n--gigdBoundar\r\n-gigdBoundary\n--gigdBoundary" . ("\r\n-" x 1000);
($s, $d) = api(POST => '/api/attachments', token => $a->{token},
               multipart(boundary => 'gigdBoundary', parts => [
                   { name => 'note', data => 'ignored' },
                   { name => 'file', filename => "C:\\\\Users\\\\me\\\\r\xc3\xa9sum\xc3\xa9 \\\"v2\\\".bin", type => 'Application/PDF; x=1', data => $bin },
               ]));
is $s, 201, 'upload 201';
my $att = $d->{data};
ok $att->{id}, 'id';
is $att->{size}, length $bin, 'size in bytes';
is $att->{type}, 'application/pdf', 'type cleaned (lower case, no parameters)';
is $att->{name}, "r\x{e9}sum\x{e9} _v2_.bin", 'name: last path component, quotes replaced';
like $att->{url}, qr{/api/attachments/\Q$att->{id}\E$}, 'url';
my ($key) = psql_row("SELECT storage_key FROM attachments WHERE id = '$att->{id}'");
like $key, qr/^[0-9a-f]{64}$/, 'stored under a random name';
ok -f "$ENV{GIGD_STACK_DIR}/private/$key", 'file in the private directory';

($s, undef, $res) = api(GET => "/api/attachments/$att->{id}", token => $a->{token});
is $s, 200, 'owner downloads';
ok $res->{content} eq $bin, 'byte-identical (delimiter look-alikes and chunk boundaries survive)';
like $res->{headers}{'content-disposition'}, qr/^attachment; filename="r__sum__ _v2_.bin"; filename\*=UTF-8''r%C3%A9sum%C3%A9%20_v2_.bin$/, 'Content-Disposition with UTF-8 name';
is $res->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff';
is $res->{headers}{'content-type'}, 'application/pdf', 'stored content type';
ok !exists $res->{headers}{'x-accel-redirect'}, 'internal redirect not leaked';
($s) = api(GET => "/api/attachments/$att->{id}", token => $b->{token});
is $s, 404, 'not yet visible to the other participant (not sent)';
($s) = api(GET => "/api/attachments/$att->{id}");
is $s, 401, 'anonymous 401';
($s) = api(GET => "/private/$key");
is $s, 404, 'no direct path to the file';
($s) = api(GET => "/_private/$key");
is $s, 404, 'the internal location is not reachable';

subtest 'attach to a message' => sub {
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'see file', attachments => [{ url => $att->{url} }] });
    is $s, 201, 'message with an attachment (by url)';
    is scalar @{ $d->{data}{attachments} }, 1, 'one attachment';
    is $d->{data}{attachments}[0]{id}, $att->{id}, 'the attachment';
    is $d->{data}{attachments}[0]{name}, $att->{name}, 'its name';
    ($s, undef, $res) = api(GET => "/api/attachments/$att->{id}", token => $b->{token});
    is $s, 200, 'the other participant downloads it now';
    is length $res->{content}, length $bin, 'whole file';
    ($s) = api(GET => "/api/attachments/$att->{id}", token => $c->{token});
    is $s, 404, 'an outsider gets 404';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'again', attachments => [{ id => $att->{id} }] });
    is $s, 400, 'an attachment already sent cannot be sent again';
    ok $d->{fields}{attachments}, 'fields.attachments';
    (undef, $d) = api(POST => '/api/attachments', token => $c->{token}, multipart(parts => [{ name => 'file', filename => 'x.txt', data => 'x' }]));
    my $theirs = $d->{data}{id};
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'steal', attachments => [{ id => $theirs }] });
    is $s, 400, 'someone else\'s attachment 400';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'x', attachments => [{ id => 'nope' }] });
    is $s, 400, 'malformed attachment id 400';
    ($s) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'x', attachments => [map { { id => uuid_random() } } 1 .. 11] });
    is $s, 400, 'more than 10 attachments 400';
    (undef, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'file', filename => 'a.txt', type => 'text/plain', data => 'A' }]));
    my $a1 = $d->{data}{id};
    (undef, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'file', data => 'B' }]));
    my $a2 = $d->{data}{id};
    is $d->{data}{name}, 'file', 'a part without filename is named "file"';
    is $d->{data}{type}, 'application/octet-stream', 'and typed octet-stream';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'two', attachments => [{ id => $a2 }, { id => $a1 }] });
    is $s, 201, 'two attachments';
    is_deeply [map { $_->{id} } @{ $d->{data}{attachments} }], [$a2, $a1], 'in the order given';
};

subtest 'failures' => sub {
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, body => 'raw', headers => { 'Content-Type' => 'application/octet-stream' });
    is $s, 415, 'not multipart 415';
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'other', data => 'x' }]));
    is $s, 400, 'no file part 400';
    is $d->{fields}{file}, 'is required', 'fields.file';
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, body => "--xx\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated",
                   headers => { 'Content-Type' => 'multipart/form-data; boundary=xx' });
    is $s, 400, 'no closing delimiter 400';
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    ($s) = api(POST => '/api/attachments', token => $a->{token}, body => "--xx\r\nContent-Disposition: form-data; name=\"file\r\n\r\nx\r\n--xx--",
               headers => { 'Content-Type' => 'multipart/form-data; boundary=xx' });
    is $s, 400, 'unterminated quoted name 400';
    ($s) = api(POST => '/api/attachments', multipart(parts => [{ name => 'file', data => 'x' }]));
    is $s, 401, 'anonymous upload 401';
    my ($before) = psql_row("SELECT count(*) FROM attachments WHERE owner_id = '$a->{id}'");
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'file', filename => 'big', data => 'x' x (25 * 1024 * 1024 + 1) }]));
    is $s, 413, 'over 25 MiB 413';
    is $d->{code}, 'PAYLOAD_TOO_LARGE', 'PAYLOAD_TOO_LARGE';
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'file', filename => 'max', data => 'x' x (25 * 1024 * 1024) }]));
    is $s, 201, 'exactly 25 MiB is fine';
    my ($after) = psql_row("SELECT count(*) FROM attachments WHERE owner_id = '$a->{id}'");
    is $after, $before + 1, 'the refused upload left no row';
    my @files = glob("$ENV{GIGD_STACK_DIR}/private/*");
    my ($rows) = psql_row('SELECT count(*) FROM attachments');
    is scalar @files, $rows, 'and no file';
    ($s, $d) = api(POST => '/api/attachments', token => $a->{token}, body => 'x' x (27 * 1024 * 1024), headers => { 'Content-Type' => 'multipart/form-data; boundary=x' });
    is $s, 413, 'a body over nginx\'s 26 MiB is refused by nginx';
    is $d->{code}, 'PAYLOAD_TOO_LARGE', 'in the envelope';
};

subtest 'cleanup of orphans' => sub {
    (undef, $d) = api(POST => '/api/attachments', token => $a->{token}, multipart(parts => [{ name => 'file', filename => 'orphan', data => 'o' }]));
    my $orphan = $d->{data}{id};
    my ($okey) = psql_row("SELECT storage_key FROM attachments WHERE id = '$orphan'");
    psql("UPDATE attachments SET created_at = now() - interval '2 days' WHERE id IN ('$orphan', '$att->{id}')");
    ($s, $d) = api(POST => '/api/cron/cleanup', headers => { Authorization => 'Bearer ' . cron_secret() });
    is $s, 200, 'cleanup';
    cmp_ok $d->{data}{attachments}, '>=', 1, 'orphans counted';
    my ($gone) = psql_row("SELECT count(*) FROM attachments WHERE id = '$orphan'");
    is $gone, 0, 'an unsent attachment older than a day is removed';
    ok !-e "$ENV{GIGD_STACK_DIR}/private/$okey", 'with its file';
    my ($kept) = psql_row("SELECT count(*) FROM attachments WHERE id = '$att->{id}'");
    is $kept, 1, 'a sent attachment stays';
};

done_testing;
