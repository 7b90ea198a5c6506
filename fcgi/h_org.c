/* h_org.c — thin adapters from HTTP to lib/ for the organization routes: take path,
 * query and body, call organizations/invitations/org_jobs, render the result. */
#include "handlers.h"
#include "invitations.h"
#include "org_jobs.h"
#include "organizations.h"
#include "respond.h"

/* ---- organizations and members ---- */

void h_org_create(struct request *r) { RENDER(r, 201, organizations_create(&r->g, r->json, RENDER_OUT)); }
void h_org_get(struct request *r) { RENDER(r, 200, organizations_get(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_org_delete(struct request *r) { respond_result(r, organizations_delete(&r->g, req_arg(r, 0)), 200, NULL); }

void h_org_mine(struct request *r)
{
    RENDER(r, 200, organizations_mine(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_org_update(struct request *r)
{
    RENDER(r, 200, organizations_update(&r->g, req_arg(r, 0), r->json, RENDER_OUT));
}

void h_org_members(struct request *r)
{
    RENDER(r, 200, organizations_members(&r->g, req_arg(r, 0), req_query(r, "page"), req_query(r, "limit"),
                                         RENDER_OUT));
}

void h_org_leave(struct request *r)
{
    respond_result(r, organizations_remove_member(&r->g, req_arg(r, 0), r->g.user_id), 200, NULL);
}

void h_org_member_role(struct request *r)
{
    RENDER(r, 200, organizations_set_role(&r->g, req_arg(r, 0), req_arg(r, 1), r->json, RENDER_OUT));
}

void h_org_member_remove(struct request *r)
{
    respond_result(r, organizations_remove_member(&r->g, req_arg(r, 0), req_arg(r, 1)), 200, NULL);
}

/* ---- invitations ---- */

void h_org_invite(struct request *r) { RENDER(r, 201, invitations_create(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }
void h_invitation_accept(struct request *r) { RENDER(r, 200, invitations_accept(&r->g, req_arg(r, 0), RENDER_OUT)); }

void h_org_invitations(struct request *r)
{
    RENDER(r, 200, invitations_pending(&r->g, req_arg(r, 0), req_query(r, "page"), req_query(r, "limit"),
                                       RENDER_OUT));
}

void h_org_invitation_revoke(struct request *r)
{
    respond_result(r, invitations_revoke(&r->g, req_arg(r, 0), req_arg(r, 1)), 200, NULL);
}

/* ---- categories ---- */

void h_org_categories(struct request *r)
{
    RENDER(r, 200, org_jobs_categories(&r->g, req_arg(r, 0), req_query(r, "page"), req_query(r, "limit"),
                                       RENDER_OUT));
}

void h_org_category_create(struct request *r)
{
    RENDER(r, 201, org_jobs_category_create(&r->g, req_arg(r, 0), r->json, RENDER_OUT));
}

void h_org_category_rename(struct request *r)
{
    RENDER(r, 200, org_jobs_category_rename(&r->g, req_arg(r, 0), req_arg(r, 1), r->json, RENDER_OUT));
}

void h_org_category_delete(struct request *r)
{
    respond_result(r, org_jobs_category_delete(&r->g, req_arg(r, 0), req_arg(r, 1)), 200, NULL);
}

/* ---- jobs, applicants, the public board ---- */

void h_org_jobs(struct request *r)
{
    RENDER(r, 200, org_jobs_list(&r->g, req_arg(r, 0), req_query(r, "status"), req_query(r, "category_id"),
                                 req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_org_job_create(struct request *r) { RENDER(r, 201, org_jobs_create(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }

void h_org_job_get(struct request *r)
{
    RENDER(r, 200, org_jobs_get(&r->g, req_arg(r, 0), req_arg(r, 1), RENDER_OUT));
}

void h_org_job_update(struct request *r)
{
    RENDER(r, 200, org_jobs_update(&r->g, req_arg(r, 0), req_arg(r, 1), r->json, RENDER_OUT));
}

void h_org_job_status(struct request *r)
{
    RENDER(r, 200, org_jobs_set_status(&r->g, req_arg(r, 0), req_arg(r, 1), r->json, RENDER_OUT));
}

void h_org_job_applicants(struct request *r)
{
    RENDER(r, 200, org_jobs_applicants(&r->g, req_arg(r, 0), req_arg(r, 1), req_query(r, "status"), RENDER_OUT));
}

void h_org_board(struct request *r)
{
    RENDER(r, 200, org_jobs_board(&r->g, req_arg(r, 0), req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}
