# The lists that had no paging (issue 12, item 5): /api/calls/upcoming takes ?page= and
# ?limit= (default and max 100; page × limit ≤ 10,000) and stays a JSON array; the
# /api/me/* lists are PaginatedResults like every other list (issue 15: default 20,
# max 100, total, hasMore), so no request returns an unbounded list.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);

sub check_paging {
    my ($path, $token, $total, $key, $paginated) = @_;
    my $sep = $path =~ /\?/ ? '&' : '?';
    my $rows = sub { $paginated ? $d->{data}{data} : $d->{data} };
    ($s, $d) = api(GET => $path, token => $token);
    is $s, 200, "$path 200";
    if ($paginated) {
        is ref $d->{data}{data}, 'ARRAY', 'a PaginatedResult';
        is_deeply [@{ $d->{data} }{qw(total page limit)}], [$total, 1, 20], 'total, page 1, default limit 20';
        ok !$d->{data}{hasMore}, 'hasMore false';
    } else {
        is ref $d->{data}, 'ARRAY', 'still an array';
    }
    is scalar @{ $rows->() }, $total, "all $total without parameters";
    my @all = map { $_->{$key} } @{ $rows->() };
    ($s, $d) = api(GET => "$path${sep}limit=2", token => $token);
    is_deeply [map { $_->{$key} } @{ $rows->() }], [@all[0, 1]], 'limit=2: the first two';
    ok $d->{data}{hasMore}, 'hasMore on page 1 of 2' if $paginated;
    ($s, $d) = api(GET => "$path${sep}limit=2&page=2", token => $token);
    is_deeply [map { $_->{$key} } @{ $rows->() }], [@all[2 .. $#all]], 'page=2: the rest';
    ok !$d->{data}{hasMore}, 'no more after page 2' if $paginated;
    for my $bad ('limit=0', 'limit=101', 'page=0', 'page=abc', 'page=101&limit=100', 'page=5001&limit=2') {
        ($s, $d) = api(GET => "$path$sep$bad", token => $token);
        is $s, 400, "$bad refused";
        ok $d->{fields} && ($d->{fields}{page} || $d->{fields}{limit}), 'naming the parameter';
    }
    ($s) = api(GET => "$path${sep}page=100&limit=100", token => $token);
    is $s, 200, 'page × limit = 10,000 is allowed';
}

subtest '/api/calls/upcoming' => sub {
    my $a = new_user();
    for my $day (1 .. 3) {
        my @p = (new_user()->{id});
        ($s) = api(POST => '/api/calls', token => $a->{token},
                   json => { participant_id => $p[0], scheduled_at => "2099-01-0${day}T10:00:00Z" });
        is $s, 201, "call $day scheduled";
    }
    check_paging('/api/calls/upcoming', $a->{token}, 3, 'id');
};

subtest '/api/me/gigs, /api/me/saved-gigs, /api/me/applications' => sub {
    my $poster = new_user();
    my $w = new_user();
    my @gigs = map { new_gig($poster, title => "Paged gig $_") } 1 .. 3;
    for my $g (@gigs) {
        api(POST => "/api/gigs/$g->{id}/save", token => $w->{token});
        my ($st) = apply_to($w, $g->{id});
        is $st, 201, 'applied';
    }
    check_paging('/api/me/gigs', $poster->{token}, 3, 'id', 1);
    check_paging('/api/me/saved-gigs', $w->{token}, 3, 'id', 1);
    check_paging('/api/me/applications', $w->{token}, 3, 'id', 1);
    check_paging('/api/me/applications?status=pending', $w->{token}, 3, 'id', 1);
};

done_testing;
