# Conversations and messages through nginx: get-or-create (race-free), previews,
# cursor pages while messages arrive, send/read/typing, coalesced notifications,
# and every route's failures (anonymous 401, outsiders 404, invalid fields).
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $d, $res);
my $a = new_user();
my $b = new_user();
my $c = new_user();   # outsider
my ($cid, $d1, $d2, $notes, $p);   # shared by the subtests below

subtest 'get or create' => sub {
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id} });
    is $s, 201, 'conversation created 201';
    my $conv = $d->{data};
    ok $conv->{id}, 'has id';
    is_deeply [sort @{ $conv->{participant_ids} }], [sort($a->{id}, $b->{id})], 'participant_ids';
    is scalar @{ $conv->{participants} }, 2, 'participants embedded';
    is $conv->{gig_id}, undef, 'no gig';
    like $conv->{last_message_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339 time';
    $cid = $conv->{id};

    ($s, $d) = api(POST => '/api/conversations', token => $b->{token}, json => { participant_id => $a->{id} });
    is $s, 200, 'the other side gets the same conversation (200)';
    is $d->{data}{id}, $cid, 'same id';

    # about a gig: the gig is checked and embedded, and it is a conversation of its own
    my ($gid) = psql_row("INSERT INTO gigs (poster_id, title, description, category, budget_type, location_type)"
        . " VALUES ('$b->{id}', 'Mix my EP', 'Four tracks', 'music', 'fixed', 'remote') RETURNING id");
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id}, gig_id => $gid });
    is $s, 201, 'conversation about an existing gig 201';
    isnt $d->{data}{id}, $cid, 'a gig conversation is a different one';
    is $d->{data}{gig_id}, $gid, 'gig_id kept';
    is $d->{data}{gig}{id}, $gid, 'gig embedded';
    is $d->{data}{gig}{title}, 'Mix my EP', 'gig title';
    my $gconv = $d->{data}{id};
    ($s, $d) = api(POST => '/api/conversations', token => $b->{token}, json => { participant_id => $a->{id}, gig_id => $gid });
    is $s, 200, 'the same gig conversation for the other side (200)';
    is $d->{data}{id}, $gconv, 'same gig conversation id';
    ($s, $d) = api(GET => '/api/conversations', token => $b->{token});
    my ($gc) = grep { ($_->{gig_id} // '') eq $gid } @{ $d->{data} };
    is $gc->{gig}{title}, 'Mix my EP', 'gig in the preview';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id}, gig_id => uuid_random() });
    is $s, 404, 'unknown gig 404';
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND';

    # race: many concurrent get-or-create calls give one conversation
    $d1 = new_user();
    $d2 = new_user();
    my @ids = parallel(8, sub {
        my $i = shift;
        my $u = $i % 2 ? $d1 : $d2;
        my $o = $i % 2 ? $d2 : $d1;
        my ($st, $dd) = api(POST => '/api/conversations', token => $u->{token}, json => { participant_id => $o->{id} });
        return [$st, $dd->{data}{id}];
    });
    my %uniq = map { $_->[1] => 1 } grep { $_->[1] } @ids;
    is scalar(keys %uniq), 1, 'concurrent get-or-create: one conversation';
    is scalar(grep { $_->[0] == 201 } @ids), 1, 'exactly one 201';
    my ($n) = psql_row("SELECT count(*) FROM conversations WHERE least(user_a,user_b) = least('$d1->{id}'::uuid,'$d2->{id}'::uuid) AND gig_id IS NULL");
    is $n, 1, 'one row in the database';

    # failures of POST /api/conversations
    ($s, $d) = api(POST => '/api/conversations', json => { participant_id => $b->{id} });
    is $s, 401, 'anonymous 401';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => {});
    is $s, 400, 'missing participant 400';
    is $d->{fields}{participant_id}, 'is required', 'fields.participant_id';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => 'nope' });
    is $s, 400, 'bad uuid 400';
    like $d->{fields}{participant_id}, qr/UUID/, 'says UUID';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $a->{id} });
    is $s, 400, 'with yourself 400';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => uuid_random() });
    is $s, 404, 'unknown user 404';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, json => { participant_id => $b->{id}, gig_id => 5 });
    is $s, 400, 'gig_id wrong type 400';
    ok $d->{fields}{gig_id}, 'fields.gig_id';
    ($s, $d) = api(POST => '/api/conversations', token => $a->{token}, body => '{"participant_id":', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
};

subtest 'send' => sub {
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'hello b' });
    is $s, 201, 'message 201';
    my $m1 = $d->{data};
    is $m1->{content}, 'hello b', 'content';
    is $m1->{sender_id}, $a->{id}, 'sender_id';
    is $m1->{sender}{id}, $a->{id}, 'sender embedded';
    is $m1->{conversation_id}, $cid, 'conversation_id';
    is_deeply $m1->{attachments}, [], 'no attachments';
    is_deeply $m1->{read_by}, [$a->{id}], 'read by the sender only';

    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => '' });
    is $s, 400, 'empty content 400';
    ok $d->{fields}{content}, 'fields.content';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => "  \n " });
    is $s, 400, 'blank content 400';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'x' x 10001 });
    is $s, 400, 'content over 10000 chars 400';
    like $d->{fields}{content}, qr/10000/, 'says the limit';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => "\x{e9}" x 10000 });
    is $s, 201, '10000 two-byte characters are fine (characters, not bytes)';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 12 });
    is $s, 400, 'content wrong type 400';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'x', attachments => 'no' });
    is $s, 400, 'attachments not an array 400';
    ok $d->{fields}{attachments}, 'fields.attachments';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'x', attachments => [{ id => uuid_random() }] });
    is $s, 400, 'unknown attachment 400';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, body => '{"content":"x"', headers => { 'Content-Type' => 'application/json' });
    is $s, 400, 'malformed JSON 400';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $a->{token}, body => '{"content":"' . ('x' x (1024 * 1024 + 10)) . '"}', headers => { 'Content-Type' => 'application/json' });
    is $s, 413, 'over 1 MiB 413';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", json => { content => 'x' });
    is $s, 401, 'anonymous send 401';
    ($s, $d) = api(POST => "/api/conversations/$cid/messages", token => $c->{token}, json => { content => 'intruder' });
    is $s, 404, 'outsider send 404';
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND';
    ($s) = api(POST => '/api/conversations/' . uuid_random() . '/messages', token => $a->{token}, json => { content => 'x' });
    is $s, 404, 'unknown conversation 404';
    ($s) = api(POST => '/api/conversations/not-a-uuid/messages', token => $a->{token}, json => { content => 'x' });
    is $s, 404, 'malformed id 404';
    my ($intr) = psql_row("SELECT count(*) FROM messages WHERE content = 'intruder'");
    is $intr, 0, 'nothing stored for the outsider';
};

subtest 'coalesced notification' => sub {
    $notes = sub { (psql_row("SELECT count(*) FROM notifications WHERE user_id = '$b->{id}' AND type = 'new_message' AND read_at IS NULL AND data->>'conversation_id' = '$cid'"))[0] };
    is $notes->(), 1, 'b has one unread new_message notification for several messages';
    my ($na) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$a->{id}' AND type = 'new_message'");
    is $na, 0, 'the sender is not notified';
};

subtest 'previews' => sub {
    ($s, $d) = api(GET => '/api/conversations', token => $b->{token});
    is $s, 200, 'list 200';
    ($p) = grep { $_->{id} eq $cid } @{ $d->{data} };
    ok $p, 'conversation listed';
    is $p->{unread_count}, 2, 'unread_count counts the others\' messages';
    is $p->{last_message}{content}, "\x{e9}" x 10000, 'last message';
    is scalar @{ $p->{participants} }, 2, 'participants in preview';
    ($s, $d) = api(GET => '/api/conversations', token => $a->{token});
    ($p) = grep { $_->{id} eq $cid } @{ $d->{data} };
    is $p->{unread_count}, 0, 'own messages are not unread';
    ($s, $d) = api(GET => '/api/conversations', token => $c->{token});
    is_deeply $d->{data}, [], 'outsider sees no conversations';
    ($s) = api(GET => '/api/conversations');
    is $s, 401, 'anonymous list 401';
    ($s, $d) = api(GET => '/api/conversations?limit=0', token => $a->{token});
    is $s, 400, 'limit=0 400';
    # newest activity first
    my $e = new_user();
    my ($s1, $x1) = api(POST => '/api/conversations', token => $e->{token}, json => { participant_id => $a->{id} });
    my ($s2, $x2) = api(POST => '/api/conversations', token => $e->{token}, json => { participant_id => $b->{id} });
    api(POST => "/api/conversations/$x1->{data}{id}/messages", token => $e->{token}, json => { content => 'first' });
    api(POST => "/api/conversations/$x2->{data}{id}/messages", token => $e->{token}, json => { content => 'second' });
    ($s, $d) = api(GET => '/api/conversations', token => $e->{token});
    is_deeply [map { $_->{id} } @{ $d->{data} }], [$x2->{data}{id}, $x1->{data}{id}], 'newest activity first';
    api(POST => "/api/conversations/$x1->{data}{id}/messages", token => $a->{token}, json => { content => 'bump' });
    ($s, $d) = api(GET => '/api/conversations', token => $e->{token});
    is $d->{data}[0]{id}, $x1->{data}{id}, 'a new message moves a conversation to the top';
};

subtest 'read' => sub {
    ($s) = api(POST => "/api/conversations/$cid/read", token => $c->{token});
    is $s, 404, 'outsider read 404';
    ($s) = api(POST => "/api/conversations/$cid/read");
    is $s, 401, 'anonymous read 401';
    ($s, $d) = api(POST => "/api/conversations/$cid/read", token => $b->{token});
    is $s, 200, 'read 200';
    ($s, $d) = api(GET => "/api/conversations/$cid/messages", token => $b->{token});
    ok !(grep { !(grep { $_ eq $b->{id} } @{ $_->{read_by} }) } @{ $d->{data}{data} }), 'every message read_by b';
    is $notes->(), 0, 'the coalesced notification is marked read with the conversation';
    ($s, $d) = api(GET => '/api/conversations', token => $b->{token});
    ($p) = grep { $_->{id} eq $cid } @{ $d->{data} };
    is $p->{unread_count}, 0, 'unread_count 0 after read';
    api(POST => "/api/conversations/$cid/messages", token => $a->{token}, json => { content => 'after read' });
    is $notes->(), 1, 'a message after reading notifies again';
    ($s, $d) = api(GET => "/api/conversations/$cid/messages?limit=1", token => $b->{token});
    is_deeply $d->{data}{data}[0]{read_by}, [$a->{id}], 'the new message is unread by b';
};

subtest 'typing' => sub {
    ($s) = api(POST => "/api/conversations/$cid/typing", token => $a->{token});
    is $s, 200, 'typing 200';
    ($s) = api(POST => "/api/conversations/$cid/typing", token => $c->{token});
    is $s, 404, 'outsider typing 404';
    ($s) = api(POST => "/api/conversations/$cid/typing");
    is $s, 401, 'anonymous typing 401';
};

subtest 'message pages' => sub {
    ($s, $d) = api(GET => "/api/conversations/$cid/messages", token => $c->{token});
    is $s, 404, 'outsider messages 404';
    ($s) = api(GET => "/api/conversations/$cid/messages");
    is $s, 401, 'anonymous messages 401';
    ($s, $d) = api(GET => "/api/conversations/$cid/messages?cursor=garbage!", token => $a->{token});
    is $s, 400, 'bad cursor 400';
    ok $d->{fields}{cursor}, 'fields.cursor';
    ($s, $d) = api(GET => "/api/conversations/$cid/messages?limit=101", token => $a->{token});
    is $s, 400, 'limit over 100 400';
    ($s, $d) = api(GET => "/api/conversations/$cid/messages?limit=abc", token => $a->{token});
    is $s, 400, 'limit not a number 400';

    my ($sp, $pc) = api(POST => '/api/conversations', token => $d1->{token}, json => { participant_id => $d2->{id} });
    my $pid = $pc->{data}{id};
    my @sent;
    for my $i (1 .. 25) {
        my ($st, $dd) = api(POST => "/api/conversations/$pid/messages", token => ($i % 2 ? $d1 : $d2)->{token}, json => { content => "m$i" });
        push @sent, $dd->{data}{id};
    }
    my (@seen, $cursor);
    my $pages = 0;
    my $extra = 0;
    while (1) {
        my $q = "/api/conversations/$pid/messages?limit=7" . ($cursor ? "&cursor=$cursor" : '');
        ($s, $d) = api(GET => $q, token => $d1->{token});
        is $s, 200, "page " . ($pages + 1) if !$pages || $s != 200;
        last if $s != 200;
        $pages++;
        my $pg = $d->{data};
        push @seen, map { $_->{id} } @{ $pg->{data} };
        if ($pages == 1) {
            is $pg->{data}[0]{content}, 'm25', 'newest first';
            is $pg->{limit}, 7, 'limit echoed';
            # messages arriving while paging must not disturb older pages
            for (1 .. 3) { api(POST => "/api/conversations/$pid/messages", token => $d2->{token}, json => { content => "late$_" }); $extra++ }
        }
        $cursor = $pg->{next_cursor};
        ok(($pg->{hasMore} ? 1 : 0) == (defined $cursor ? 1 : 0), 'hasMore matches next_cursor');
        last unless $cursor;
        last if $pages > 10;
    }
    is $pages, 4, '25 messages in pages of 7 = 4 pages';
    is_deeply \@seen, [reverse @sent], 'every message exactly once, newest first, despite new arrivals';
    ($s, $d) = api(GET => "/api/conversations/$pid/messages?limit=100", token => $d1->{token});
    is scalar @{ $d->{data}{data} }, 25 + $extra, 'late messages are on a fresh first page';
    is $d->{data}{total}, 25 + $extra, 'total';
    is $d->{data}{next_cursor}, undef, 'no next cursor on the last page';
};

done_testing;
