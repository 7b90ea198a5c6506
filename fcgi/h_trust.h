/* h_trust.h — handlers of blocks and reports (h_trust.c) and of the
 * moderators' admin routes (h_admin.c). */
#ifndef GIGD_H_TRUST_H
#define GIGD_H_TRUST_H
#include "http.h"

void h_trust_block(struct request *r);
void h_trust_unblock(struct request *r);
void h_trust_blocks(struct request *r);
void h_trust_report(struct request *r);

void h_admin_reports(struct request *r);
void h_admin_report_resolve(struct request *r);
void h_admin_suspend(struct request *r);
void h_admin_unsuspend(struct request *r);
void h_admin_content(struct request *r);
void h_admin_takedown(struct request *r);
void h_admin_restore(struct request *r);
void h_admin_audit(struct request *r);

#endif
