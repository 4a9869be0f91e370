"""Amplify apps: the production branch and the successful job a redeploy starts from.

The disaster-recovery runbook restores a broken frontend by redeploying the production
branch from a job that is known to have worked. "Known good" has to be *earlier* than the
newest job: when the newest job is the release that broke the site (a successful build of
bad code), redeploying it changes nothing, so the branch needs a successful job other than
the newest one.

The production branch is the one the app names as its production branch, else its
(first, by name) branch whose stage is PRODUCTION. Apps are listed per region (ListApps);
the detail costs one ListBranches per app and ListJobs for the production branch only,
newest first, stopping at the first page that settles the question.
"""

from __future__ import annotations

from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import engine
from .spec import (
    TAGS_ATTRIBUTE,
    Attribute,
    Call,
    CustomDetail,
    Document,
    Field,
    Get,
    Listing,
    ResourceType,
    iso_time,
    mapping,
)

TYPE = "aws.amplify.app"
SUCCEED = "SUCCEED"
NEXT_TOKEN = "nextToken"

LIST_APPS = Call("amplify", "ListApps", "apps", page_size=50, page_param="maxResults")
LIST_BRANCHES = Call("amplify", "ListBranches", "branches", page_size=50,
                     page_param="maxResults", per_item_of=LIST_APPS)
# Jobs come newest first; read page by page only until an earlier success is found, and
# for the production branch only: one (paged) listing per app, not per branch.
LIST_JOBS = Call("amplify", "ListJobs", "jobSummaries", page_size=50, page_param="maxResults",
                 token=NEXT_TOKEN, per_item_of=LIST_APPS)


def _production_branch(app: Resource, branches: list[dict[str, Any]]) -> dict[str, Any] | None:
    named = app.data.get("production_branch_name")
    chosen = [b for b in branches if b["branchName"] == named] or sorted(
        (b for b in branches if b.get("stage") == "PRODUCTION"), key=lambda b: b["branchName"])
    return chosen[0] if chosen else None


def _jobs(ctx: RegionContext, app_id: str, branch: str) -> tuple[dict[str, Any] | None,
                                                                  dict[str, Any] | None]:
    """(newest job, newest successful job other than it), reading no more pages than needed."""
    client = ctx.client(LIST_JOBS.service)
    request = LIST_JOBS.request(appId=app_id, branchName=branch)
    newest: dict[str, Any] | None = None
    while True:
        page = getattr(client, LIST_JOBS.method)(**request)
        for job in engine.result(LIST_JOBS, page):
            if newest is None:
                newest = job
            elif job.get("status") == SUCCEED:
                return newest, job
        if not page.get(NEXT_TOKEN):
            return newest, None
        request = {**request, NEXT_TOKEN: page[NEXT_TOKEN]}


def _job(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {"id": job["jobId"], "status": job.get("status"), "type": job.get("jobType"),
            "commit": job.get("commitId"), "started": iso_time(job.get("startTime"))}


def _deployment(ctx: RegionContext, app: Resource) -> Document:
    branches = engine.items(ctx, LIST_BRANCHES, appId=app.id)
    branch = _production_branch(app, branches)
    if branch is None:
        return {"production_branch": None}
    newest, earlier = _jobs(ctx, app.id, branch["branchName"])
    return {"production_branch": {
        "name": branch["branchName"], "stage": branch.get("stage"),
        "latest_job": _job(newest), "redeploy_job": _job(earlier),
    }}


JOB_EXAMPLE = {"id": "41", "status": "SUCCEED", "type": "RELEASE", "commit": "9f2c1e0",
               "started": "2026-11-30T09:12:00+00:00"}

RESOURCE = ResourceType(
    name=TYPE,
    description="An Amplify Hosting app",
    listing=Listing(
        LIST_APPS, id=Get("appId"), name=Get("name"), arn=Get("appArn"),
        fields=(
            Field(TAGS_ATTRIBUTE, Get("tags", convert=mapping)),
            Field(Attribute("production_branch_name", "The branch the app names as its "
                            "production branch, null when none", "main"),
                  Get("productionBranch.branchName")),
            Field(Attribute("default_domain", "The app's amplifyapp.com domain",
                            "d1abc.amplifyapp.com"), Get("defaultDomain")),
        ),
    ),
    details=(
        CustomDetail(
            "deployment", (LIST_BRANCHES, LIST_JOBS),
            (Attribute("production_branch", "The production branch: {name, stage, latest_job, "
                       "redeploy_job: the newest successful job other than the latest, null "
                       "when none; each job {id, status, type, commit, started}}; null when "
                       "the app has no production branch",
                       {"name": "main", "stage": "PRODUCTION",
                        "latest_job": {**JOB_EXAMPLE, "id": "42"}, "redeploy_job": JOB_EXAMPLE},
                       "production branch"),),
            fetch_one=_deployment,
        ),
    ),
)
