/* stage.c — the one hook pointer of stage.h (set by fcgi/scoreboard.c in workers). */
#include "stage.h"

const struct stage_hooks *stage_hooks;
