# GET /docs through nginx, without a browser (t/docs/docs_page.t renders it in Chromium
# under `make docs-test`): the page, the vendored Redoc bundle and its licence are served
# from this site, and the page loads nothing from another origin.
use strict;
use warnings;
use Test::More;
use Gigd;

my ($s, $res) = api_raw(GET => '/docs');
is $s, 200, 'GET /docs 200';
like $res->{headers}{'content-type'}, qr{^text/html}, '… HTML';
like $res->{content}, qr{<redoc spec-url="/api/openapi\.json"}, '… renders /api/openapi.json';
my @srcs = $res->{content} =~ /\b(?:src|href)="([^"]+)"/g;
ok scalar(@srcs), "the page loads: @srcs";
is scalar(grep { m{^(https?:)?//} } @srcs), 0, 'nothing from another origin (no CDN)';
($s, $res) = api_raw(GET => '/docs/redoc.standalone.js');
is $s, 200, 'the vendored Redoc bundle is served';
cmp_ok length($res->{content}), '>', 500_000, '… whole';
like $res->{headers}{'content-type'}, qr{javascript}, '… as JavaScript';
($s, $res) = api_raw(GET => '/docs/redoc.LICENSE');
is $s, 200, 'its licence is served beside it';
like $res->{content}, qr/MIT License/i, '… MIT';
($s) = api_raw(GET => '/docs/../sql/001_core.sql');
isnt $s, 200, 'no way out of docs/site';
($s, $res) = api_raw(GET => '/api/openapi.json');
is $s, 200, 'the document it renders is served';
done_testing;
