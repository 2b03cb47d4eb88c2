"""The default analysis period on small hand-made stores: complete quarters of closed business, up to two years."""

from __future__ import annotations

import datetime as dt
from typing import Any

from insights.analysis.pipeline import default_period
from insights.tests.crm_builder import CrmBuilder

TODAY = dt.date(2026, 12, 4)


def _period(store: tuple[Any, str | None], b: CrmBuilder, today: dt.date = TODAY) -> tuple[dt.date, dt.date]:
    con, database = store
    b.write(con, database=database)
    period = default_period(con, database=database, today=today)
    return period.start, period.end


def _maven_like(last_close: str) -> CrmBuilder:
    """Deals opened from 20 Oct 2016 to 27 Dec 2017 (as in the Maven dataset), the last one closed on `last_close`;
    no activities and no quotas."""
    b = CrmBuilder()
    b.user("U1", "E1")
    b.opportunity("U1", None, amount=1000, created="2016-10-20", close="2017-03-01", won=True)
    b.opportunity("U1", None, amount=2000, created="2017-06-01", close="2017-09-15", won=False)
    b.opportunity("U1", None, amount=3000, created="2017-12-27", close="2018-02-15", won=None)  # open: expected
    b.opportunity("U1", None, amount=4000, created="2017-09-01", close=last_close, won=True)
    return b


def test_the_period_ends_with_the_quarter_whose_last_deal_closed_on_its_last_day(store):
    # Created up to 27 Dec, closed up to 31 Dec: the fourth quarter is complete and is in the period (it used to
    # end on 30 Sep, from the latest created deal). It starts with the first full quarter after the first deal.
    assert _period(store, _maven_like("2017-12-31")) == (dt.date(2017, 1, 1), dt.date(2017, 12, 31))


def test_a_quarter_the_data_has_not_reached_the_end_of_is_left_out(store):
    b = CrmBuilder()
    b.user("U1", "E1")
    b.opportunity("U1", None, amount=1000, created="2016-10-20", close="2017-03-01", won=True)
    b.opportunity("U1", None, amount=4000, created="2017-09-01", close="2017-11-15", won=True)
    b.opportunity("U1", None, amount=3000, created="2017-11-10", close="2018-01-31", won=None)
    # Nothing after 15 Nov 2017: the fourth quarter is not over in the data.
    assert _period(store, b) == (dt.date(2017, 1, 1), dt.date(2017, 9, 30))


def test_an_open_deals_expected_close_date_does_not_extend_the_period(store):
    b = _maven_like("2017-11-30")
    b.opportunity("U1", None, amount=5000, created="2017-12-01", close="2018-06-30", won=None)
    assert _period(store, b)[1] == dt.date(2017, 9, 30)


def test_a_lost_deal_dated_after_today_does_not_extend_the_period(store):
    b = _maven_like("2017-12-31")
    b.opportunity("U1", None, amount=5000, created="2017-12-01", close="2027-03-31", won=False)
    assert _period(store, b, today=dt.date(2026, 12, 4))[1] == dt.date(2017, 12, 31)


def test_activities_after_the_last_close_show_the_quarter_is_over(store):
    b = _maven_like("2017-12-20")
    b.activity("U1", "2018-01-05 10:00")
    b.activity("U1", "2016-09-01 10:00")
    assert _period(store, b)[1] == dt.date(2017, 12, 31)


def test_the_period_is_at_most_two_years_and_starts_where_every_kind_of_record_does(store):
    b = CrmBuilder()
    b.user("U1", "E1")
    b.opportunity("U1", None, amount=1000, created="2013-05-01", close="2013-08-01", won=True)
    b.opportunity("U1", None, amount=1000, created="2017-05-01", close="2017-12-31", won=False)
    assert _period(store, b) == (dt.date(2016, 1, 1), dt.date(2017, 12, 31))
    # Quotas recorded from 15 Feb 2017 only: the period starts with the next full quarter.
    b.quota("U1", "2017-02-15", "2017-03-31", 1000)
    assert _period(store, b) == (dt.date(2017, 4, 1), dt.date(2017, 12, 31))
