/* gigs_views.c — unit tests of the per-worker view buffer: a read only notes, the buffer
 * stays bounded (a note into a full buffer is dropped, never flushed by the reader), a
 * full buffer is due at once for the worker loop's flush, repeats are merged. */
#include "gigs.h"
#include "tap.h"
#include <stdio.h>

int main(void)
{
    plan(10);
    char id[40];
    is_int(gigs_views_due_ms(), -1, "nothing buffered: nothing due");
    ok(!gigs_views_note("not-a-uuid", "viewer"), "a malformed id is not noted");
    ok(!gigs_views_note("00000000-0000-0000-0000-000000000000", NULL), "no viewer, no view");
    ok(gigs_views_note("00000000-0000-0000-0000-000000000000", "a"), "a view noted");
    int due = gigs_views_due_ms();
    ok(due > 0 && due <= GIGS_VIEWS_FLUSH_MS, "due within the flush interval, not at once");
    ok(gigs_views_note("00000000-0000-0000-0000-000000000000", "a"), "a repeat is merged");
    int noted = 1;
    for (int i = 1; i < 1000; i++, noted++) {
        snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
        if (!gigs_views_note(id, "b"))
            break;
    }
    is_int(noted, 256, "the buffer holds 256 views");
    is_int(gigs_views_due_ms(), 0, "a full buffer is due now");
    ok(!gigs_views_note("ffffffff-0000-0000-0000-000000000000", "c"), "a view into a full buffer is dropped");
    ok(gigs_views_note("00000000-0000-0000-0000-000000000000", "a"), "one already there still merges");
    return done();
}
