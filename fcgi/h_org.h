/* h_org.h — handlers of the organization routes (workspaces, members, invitations,
 * categories, jobs, applicants, the public job board); bodies in h_org.c. */
#ifndef GIGD_H_ORG_H
#define GIGD_H_ORG_H
#include "http.h"

void h_org_create(struct request *r);
void h_org_mine(struct request *r);
void h_org_get(struct request *r);
void h_org_update(struct request *r);
void h_org_delete(struct request *r);
void h_org_members(struct request *r);
void h_org_leave(struct request *r);
void h_org_member_role(struct request *r);
void h_org_member_remove(struct request *r);
void h_org_invite(struct request *r);
void h_org_invitations(struct request *r);
void h_org_invitation_revoke(struct request *r);
void h_invitation_accept(struct request *r);
void h_org_categories(struct request *r);
void h_org_category_create(struct request *r);
void h_org_category_rename(struct request *r);
void h_org_category_delete(struct request *r);
void h_org_jobs(struct request *r);
void h_org_job_create(struct request *r);
void h_org_job_get(struct request *r);
void h_org_job_update(struct request *r);
void h_org_job_status(struct request *r);
void h_org_job_applicants(struct request *r);
void h_org_board(struct request *r);

#endif
