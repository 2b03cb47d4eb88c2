# ruff: noqa: S608 - the SQL is built from the test's own file paths and dates, not from outside input.
"""Helpers for the generator tests: a balanced synthetic sales force, and the planted behaviours' observables
computed from a Salesforce export with DuckDB, the simple way an analyst would (docs/planted-truth.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from demo.generator.model import SITUATIONS
from demo.generator.roster import Roster, RosterPerson, build_roster

TITLES = {
    "territory": "Territory Account Executive",
    "key_accounts": "Key Account Manager",
    "inside_sales": "Inside Sales Representative",
    "new_logo": "New Business Account Executive",
}


def balanced_roster(
    per_situation: int, *, team_size: int = 10, as_of: dt.date, turnover_team_leavers: int = 4
) -> Roster:
    """A sales force with `per_situation` established sellers in each situation (situation from the job
    title),
    one manager per team of `team_size`, a VP, and one team that lost `turnover_team_leavers` sellers
    voluntarily in the last year."""
    people: list[RosterPerson] = []

    def person(
        n: int,
        title: str,
        manager: str,
        team: str,
        *,
        hired_days: int,
        status: str = "active",
        end: dt.date | None = None,
        reason: str = "",
    ) -> str:
        employee_id = f"E{n:05d}"
        people.append(
            RosterPerson(
                employee_id=employee_id,
                first_name="Seller" if manager else "Vera",
                last_name=f"N{n}",
                email=f"p{n}@kestrel.example",
                job_title=title,
                manager_employee_id=manager,
                team_name=team,
                region="North America East",
                location="Boston",
                hire_date=as_of - dt.timedelta(days=hired_days),
                end_date=end,
                status=status,
                leaving_reason=reason,
            )
        )
        return employee_id

    vp = person(1, "VP Sales", "", "Sales", hired_days=4000)
    n = 2
    for s_index, situation in enumerate(SITUATIONS):
        for team in range(per_situation // team_size):
            team_name = f"{situation} team {team + 1}"
            manager = person(n, "Sales Manager", vp, team_name, hired_days=2500)
            n += 1
            for member in range(team_size):
                person(n, TITLES[situation], manager, team_name, hired_days=900 + 37 * member + 11 * s_index)
                n += 1
            if s_index == 0 and team == 0:
                for leaver in range(turnover_team_leavers):
                    person(
                        n,
                        TITLES[situation],
                        manager,
                        team_name,
                        hired_days=1200,
                        status="inactive",
                        end=as_of - dt.timedelta(days=40 + 60 * leaver),
                        reason="voluntary",
                    )
                    n += 1
    return build_roster(people, truth=None, as_of=as_of, source="balanced test roster")


def situation_of(title: str) -> str:
    return next(k for k, v in TITLES.items() if v == title)


def connect(export_dir: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB views over a Salesforce export's files, typed."""
    con = duckdb.connect()
    d = str(export_dir)

    def csv(name: str) -> str:
        return f"read_csv('{d}/{name}', header=true, all_varchar=true)"

    con.execute(f"create table users as select * from {csv('User.csv')}")
    con.execute(f"create table accounts as select Id, OwnerId, Type from {csv('Account.csv')}")
    con.execute(f"""create table opps as select Id, AccountId, OwnerId, Type, StageName,
        Amount::double as amount, CloseDate::date as close_date, IsClosed = 'true' as is_closed,
        IsWon = 'true' as is_won, CreatedDate::timestamp as created from {csv("Opportunity.csv")}""")
    con.execute(f"""create table history as select Id, OpportunityId, StageName, Amount::double as amount,
        CloseDate::date as close_date, CreatedDate::timestamp as changed from
        {csv("OpportunityHistory.csv")}""")
    con.execute(f"""create table acts as
        select Id, OwnerId, WhoId, WhatId, AccountId, CompletedDateTime::timestamp as t, TaskSubtype as kind,
               CallType as direction
        from {csv("Task.csv")}
        union all
        select Id, OwnerId, WhoId, WhatId, AccountId, StartDateTime::timestamp as t, 'Meeting' as kind,
               null as direction
        from {csv("Event.csv")}""")
    con.execute(f"""create table quotas as select QuotaOwnerId, StartDate::date as start_date,
        QuotaAmount::double as amount from {csv("ForecastingQuota.csv")}""")
    return con


def observables(con: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each seller's observable per behaviour (the direction is "more is better"), by crm user id."""
    start = dt.date.fromisoformat(truth["period"]["start"])
    completed = [dt.date.fromisoformat(q) for q in truth["completed_quarters"]]
    sellers = [(s["crm_user_id"], s["active_from"], s["active_to"]) for s in truth["sellers"].values()]
    con.execute("create or replace temp table sellers(uid varchar, a date, b date)")
    con.executemany("insert into sellers values (?, ?, ?)", sellers)
    quarters = ", ".join(f"(date '{q}', date '{q}' + interval 3 month)" for q in completed)
    queries = {
        "prospecting": f"""select s.uid, count(o.Id) / greatest(date_diff('day', greatest(s.a, date
        '{start}'),
                           s.b) / 91.0, 0.25) from sellers s left join opps o on o.OwnerId = s.uid
                           and o.created >= date '{start}' group by s.uid, s.a, s.b""",
        "account_coverage": f"""with q(qs, qe) as (values {quarters}),
                           book as (select OwnerId uid, count(*) n from accounts group by 1),
                           touched as (select a.OwnerId uid, q.qs, count(distinct a.AccountId) k from acts a
                                       join q on a.t >= q.qs and a.t < q.qe group by all)
                           select t.uid, avg(k / n) from touched t join book using (uid) group by 1""",
        "multithreading": """select OwnerId, avg(n) from (select OwnerId, WhatId, count(distinct WhoId) n
                           from acts where WhatId like '006%' group by all) group by 1""",
        "discovery": """with proposal as (select OpportunityId, min(changed) t from history
                                          where StageName = 'Proposal/Price Quote' group by 1),
                           meetings as (select a.WhatId, count(*) n from acts a left join proposal p
                                        on p.OpportunityId = a.WhatId
                                        where a.kind = 'Meeting' and a.t < coalesce(p.t, timestamp
                                        '2999-01-01')
                                        group by 1)
                           select o.OwnerId, avg(coalesce(m.n, 0)) from opps o left join meetings m
                           on m.WhatId = o.Id group by 1""",
        "qualification": """select OwnerId, -avg(date_diff('day', created::date, close_date)) from opps
                           where is_closed and not is_won group by 1""",
        "follow_up": """select OwnerId, -avg(gap) from (select OwnerId, WhatId, date_diff('second',
                           lag(t) over (partition by WhatId order by t), t) / 86400.0 gap from acts
                           where WhatId like '006%') where gap is not null group by 1""",
        "negotiation": """with proposal as (select OpportunityId, arg_min(amount, changed) amount from history
                                          where StageName = 'Proposal/Price Quote' group by 1)
                           select o.OwnerId, avg(o.amount / p.amount) from opps o join proposal p
                           on p.OpportunityId = o.Id where o.is_won group by 1""",
        "expansion": """select OwnerId, sum(case when Type = 'Existing Business' then amount else 0 end)
                           / sum(amount) from opps where is_won group by 1""",
        "pipeline_hygiene": """select o.OwnerId, -avg(coalesce(p.n, 0)) from opps o left join (
                           select OpportunityId, count(*) n from (select OpportunityId, StageName, close_date,
                           lag(close_date) over w prev, lag(StageName) over w prev_stage from history
                           window w as (partition by OpportunityId order by changed))
                           where close_date > prev and StageName = prev_stage group by 1) p
                           on p.OpportunityId = o.Id group by 1""",
        "activity_volume": """select s.uid, count(a.Id) / (date_diff('day', s.a, s.b) / 7.0)
                           from sellers s left join acts a on a.OwnerId = s.uid group by s.uid, s.a, s.b""",
    }
    result: dict[str, dict[str, float]] = {}
    for behaviour, sql in queries.items():
        result[behaviour] = {uid: float(v) for uid, v in con.execute(sql).fetchall() if v is not None}
    return result


def attainment_from_export(con: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> dict[str, float]:
    """Won amount closed in the completed quarters / quotas of those quarters, by crm user id."""
    completed = [dt.date.fromisoformat(q) for q in truth["completed_quarters"]]
    first, last = min(completed), max(completed)
    rows = con.execute(f"""
        with won as (select OwnerId uid, sum(amount) won from opps where is_won
                     and close_date >= date '{first}' and close_date < date '{last}' + interval 3 month group
                     by 1),
             quota as (select u.Id uid, sum(q.amount) quota from quotas q join users u
                       on left(u.Id, 15) = q.QuotaOwnerId
                       where q.start_date >= date '{first}' and q.start_date <= date '{last}' group by 1)
        select quota.uid, coalesce(won.won, 0) / quota.quota from quota left join won using
        (uid)""").fetchall()
    return {uid: float(v) for uid, v in rows}
