/* market.c — unit tests of the pure marketplace helpers: query-string money and paging,
 * image type by magic bytes. */
#include "market.h"
#include "profiles.h"
#include "tap.h"

int main(void)
{
    plan(27);
    struct gctx g = {0};
    g.a = arena_new(4096);
    long long m = -1;

    is_str(market_money_param(&g, "b", "12", &m), "1200", "whole amount");
    is_str(market_money_param(&g, "b", "12.5", &m), "1250", "one decimal");
    is_str(market_money_param(&g, "b", "0.07", &m), "7", "cents");
    is_int(m, 7, "minor out");
    ok(!market_money_param(&g, "b", "1.234", &m), "three decimals refused");
    ok(!market_money_param(&g, "b", "-1", &m), "negative refused");
    ok(!market_money_param(&g, "b", "1e5", &m), "exponent refused");
    ok(!market_money_param(&g, "b", "12.", &m), "trailing dot refused");
    ok(!market_money_param(&g, "b", ".5", &m), "leading dot refused");
    ok(!market_money_param(&g, "b", "", &m), "empty refused");
    ok(!market_money_param(&g, "b", "12345678901", &m), "too large refused");
    ok(g.fields && cJSON_GetObjectItem(g.fields, "b"), "field named");

    struct paging p;
    g.fields = NULL;
    is_int(market_paging(&g, NULL, NULL, &p), R_SUCCESS, "defaults");
    is_int(p.page, 1, "page 1");
    is_int(p.limit, 20, "limit 20");
    is_int(market_paging(&g, "3", "100", &p), R_SUCCESS, "page 3 limit 100");
    is_str(p.offset_s, "200", "offset");
    is_int(market_paging(&g, "0", "20", &p), R_INVALID, "page 0 refused");
    is_int(market_paging(&g, "1", "101", &p), R_INVALID, "limit 101 refused");
    is_int(market_paging(&g, "1", " 5", &p), R_INVALID, "spaces refused");
    is_int(market_paging(&g, "99999999999999", "5", &p), R_INVALID, "huge page refused");

    is_str(profiles_image_ext((const unsigned char *)"\x89PNG\r\n\x1a\n....", 12), "png", "png");
    is_str(profiles_image_ext((const unsigned char *)"\xff\xd8\xff\xe0", 4), "jpg", "jpeg");
    is_str(profiles_image_ext((const unsigned char *)"GIF87a", 6), "gif", "gif");
    is_str(profiles_image_ext((const unsigned char *)"RIFF\0\0\0\0WEBP", 12), "webp", "webp");
    is_str(profiles_image_ext((const unsigned char *)"RIFF\0\0\0\0WAVE", 12), NULL, "RIFF but not WebP");
    is_str(profiles_image_ext((const unsigned char *)"\x89PN", 3), NULL, "truncated png");
    arena_free(g.a);
    return done();
}
