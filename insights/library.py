"""The task library that ships with Promoted: critical selling tasks with their coachable behaviours, the CRM
metrics that evidence them, and a prior importance grounded in O*NET.

Prior weight. O*NET 29.3 rates how important each task statement is to sales occupations (importance, 1-5). A
task's prior importance is the mean rating of the statements it is grounded in; its prior weight puts that on the
scale the analysis estimates (a standardised regression coefficient on log attainment):

    prior_weight = 0.28 * (importance - 1) / 4

so that a task rated 5 ("extremely important") expects the largest effect meta-analyses report for a single
driver of sales performance (beta = 0.28 for selling-related knowledge, Verbeke, Dietz & Verwaal 2011, J. Acad.
Mark. Sci. 39(3):407-428; see ../shared/reference/research-priors.csv) and a task rated 1 expects none. O*NET
rates occupations, not a company's sales situations, so the prior is a starting point the company's own data
overrides as soon as it has enough sellers to say so.

The ratings below were copied from onet_29_3_sales_task_ratings.csv; insights/tests/test_library.py checks them
against the reference file whenever it is present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ONET_ATTRIBUTION = (
    "Task importance ratings: O*NET 29.3 Database by the U.S. Department of Labor, Employment and Training "
    "Administration (USDOL/ETA), used under the CC BY 4.0 license. Promoted selected task statements, averaged "
    "their importance ratings and rescaled them into prior weights; O*NET has not reviewed or endorsed this use."
)
PRIOR_SCALE_SOURCE = (
    "Verbeke, Dietz & Verwaal (2011), 'Drivers of sales performance: a contemporary meta-analysis', "
    "J. Acad. Mark. Sci. 39(3):407-428, doi:10.1007/s11747-010-0211-8 (largest single-driver beta 0.28)."
)
LARGEST_META_ANALYTIC_BETA = 0.28

# (O*NET-SOC code, task id, importance 1-5, task statement)
ONET_TASKS: dict[str, tuple[str, float, str]] = {
    "8114": ("41-4012.00", 4.29, "Recommend products to customers, based on customers' needs and interests."),
    "8115": ("41-4012.00", 3.94, "Contact regular and prospective customers to demonstrate products, explain "
             "product features, and solicit orders."),
    "8116": ("41-4012.00", 4.27, "Estimate or quote prices, credit or contract terms, warranties, and delivery "
             "dates."),
    "8117": ("41-4012.00", 4.23, "Consult with clients after sales or contract signings to resolve problems and "
             "to provide ongoing support."),
    "8120": ("41-4012.00", 3.85, "Identify prospective customers by using business directories, following leads "
             "from existing clients, participating in organizations and clubs, and attending trade shows and "
             "conferences."),
    "8125": ("41-4012.00", 3.95, "Obtain credit information about prospective customers."),
    "20267": ("41-4012.00", 4.16, "Prepare sales contracts and order forms."),
    "20268": ("41-4012.00", 4.19, "Negotiate details of contracts and payments."),
    "11238": ("41-4011.00", 4.10, "Quote prices, credit terms, or other bid specifications."),
    "11239": ("41-4011.00", 4.03, "Emphasize product features, based on analyses of customers' needs and on "
              "technical knowledge of product capabilities and limitations."),
    "11240": ("41-4011.00", 4.30, "Negotiate prices or terms of sales or service agreements."),
    "11241": ("41-4011.00", 4.20, "Maintain customer records, using automated systems."),
    "11251": ("41-4011.00", 4.22, "Visit establishments to evaluate needs or to promote product or service sales."),
    "20608": ("41-4011.00", 4.24, "Prepare and submit sales contracts for orders."),
    "20609": ("41-4011.00", 4.07, "Contact new or existing customers to discuss how specific products or services "
              "can meet their needs."),
    "20612": ("41-4011.00", 3.79, "Identify prospective customers, using business directories, leads from existing "
              "clients, participation in organizations, or trade show or conference attendance."),
    "9679": ("41-9031.00", 3.98, "Confer with customers and engineers to assess equipment needs and to determine "
             "system requirements."),
    "9680": ("41-9031.00", 4.37, "Collaborate with sales teams to understand customer requirements, to promote the "
             "sale of company products, and to provide sales support."),
    "9681": ("41-9031.00", 3.84, "Secure and renew orders and arrange delivery."),
    "9688": ("41-9031.00", 3.85, "Research and identify potential customers for products or services."),
    "9689": ("41-9031.00", 4.12, "Visit prospective buyers at commercial, industrial, or other establishments to "
             "show samples or catalogs, and to inform them about product pricing, availability, and advantages."),
    "9690": ("41-9031.00", 4.15, "Create sales or service contracts for products or services."),
    "9697": ("41-9031.00", 4.02, "Identify resale opportunities and support them to achieve sales plans."),
    "9698": ("41-9031.00", 3.91, "Document account activities, generate reports, and keep records of business "
             "transactions with customers and suppliers."),
    "9700": ("41-9031.00", 3.92, "Maintain sales forecasting reports."),
}

# O*NET skills of Sales Managers (11-2022.00) a coaching focus draws on: element id -> name.
ONET_SKILLS: dict[str, str] = {
    "2.A.1.b": "Active Listening",
    "2.A.2.a": "Critical Thinking",
    "2.A.2.d": "Monitoring",
    "2.B.1.a": "Social Perceptiveness",
    "2.B.1.b": "Coordination",
    "2.B.1.c": "Persuasion",
    "2.B.1.d": "Negotiation",
    "2.B.1.e": "Instructing",
    "2.B.1.f": "Service Orientation",
    "2.B.4.e": "Judgment and Decision Making",
    "2.B.5.a": "Time Management",
}


def prior_importance(onet_task_ids: list[str]) -> float:
    """Mean O*NET importance (1-5) of the given task statements."""
    ratings = [ONET_TASKS[task_id][1] for task_id in onet_task_ids]
    return round(sum(ratings) / len(ratings), 3)


def prior_weight_from_importance(importance: float) -> float:
    """Importance 1-5 on the standardised-coefficient scale (0 at 1, 0.28 at 5)."""
    return round(LARGEST_META_ANALYTIC_BETA * (importance - 1.0) / 4.0, 4)


@dataclass(frozen=True)
class DefaultTask:
    key: str
    name: str
    definition: str
    behaviours: list[str]
    coaching_focus: str
    skill_ids: list[str]
    metric_keys: list[str]
    onet_task_ids: list[str]
    kind: str = "behaviour"
    extra_source: str = ""
    position: int = 100
    notes: list[str] = field(default_factory=list)

    @property
    def importance(self) -> float:
        return prior_importance(self.onet_task_ids)

    @property
    def prior_weight(self) -> float:
        return prior_weight_from_importance(self.importance)

    def prior_source(self) -> str:
        statements = "; ".join(
            f"{ONET_TASKS[t][0]} task {t} (importance {ONET_TASKS[t][1]:.2f}): {ONET_TASKS[t][2]}"
            for t in self.onet_task_ids
        )
        return (
            f"Mean O*NET importance {self.importance:.2f} of: {statements}. "
            f"Rescaled so importance 5 = beta {LARGEST_META_ANALYTIC_BETA} ({PRIOR_SCALE_SOURCE}). "
            f"{self.extra_source} {ONET_ATTRIBUTION}"
        ).replace("  ", " ")

    def as_fields(self) -> dict[str, Any]:
        """The SellingTask field values for this default."""
        return {
            "name": self.name,
            "definition": self.definition,
            "behaviours": list(self.behaviours),
            "coaching_focus": self.coaching_focus,
            "manager_skills": [{"id": s, "name": ONET_SKILLS[s]} for s in self.skill_ids],
            "metric_keys": list(self.metric_keys),
            "kind": self.kind,
            "prior_weight": self.prior_weight,
            "prior_importance": self.importance,
            "prior_source": self.prior_source(),
            "onet_task_ids": list(self.onet_task_ids),
            "is_default": True,
            "position": self.position,
        }


DEFAULT_TASKS: list[DefaultTask] = [
    DefaultTask(
        key="prospecting",
        name="Prospecting and pipeline generation",
        definition="Creating enough new, well-aimed opportunities to keep the pipeline full without waiting for "
        "inbound demand.",
        behaviours=[
            "Blocks time every week for outbound calls and emails to accounts with no open opportunity",
            "Researches target accounts before reaching out and tailors the first message",
            "Asks existing customers for introductions and follows up on referrals within days",
        ],
        coaching_focus="Set a weekly pipeline-generation target with each seller, review their prospect lists and "
        "outreach in one-to-ones, and role-play first calls.",
        skill_ids=["2.B.1.c", "2.B.5.a"],
        metric_keys=["new_opportunities_per_quarter"],
        onet_task_ids=["8120", "20612", "9688"],
        position=10,
    ),
    DefaultTask(
        key="account_coverage",
        name="Territory and account coverage",
        definition="Reaching every account in the book often enough that none is neglected and none is lost to a "
        "competitor unseen.",
        behaviours=[
            "Tiers the accounts and sets a contact cadence per tier",
            "Touches each account in the book at least once a quarter",
            "Reviews untouched accounts every month and plans the next contact",
        ],
        coaching_focus="Run territory-planning sessions: tier the book with the seller, agree contact cadences, "
        "and review coverage of untouched accounts each month.",
        skill_ids=["2.B.5.a", "2.B.1.b"],
        metric_keys=["accounts_touched_share"],
        onet_task_ids=["11251", "8115", "9689"],
        position=20,
    ),
    DefaultTask(
        key="qualification",
        name="Qualification",
        definition="Deciding early which opportunities are worth pursuing, so lost deals die early and cheaply "
        "rather than late and expensively.",
        behaviours=[
            "Confirms budget, authority, need and timing before investing in a proposal",
            "Closes out opportunities that fail qualification instead of carrying them",
            "Records why an opportunity was disqualified",
        ],
        coaching_focus="Inspect deals against a qualification checklist in pipeline reviews and praise early "
        "disqualification as much as wins.",
        skill_ids=["2.A.2.a", "2.B.4.e"],
        metric_keys=["early_loss_share", "days_to_loss"],
        onet_task_ids=["11251", "8125"],
        position=30,
    ),
    DefaultTask(
        key="discovery",
        name="Discovery",
        definition="Understanding the customer's situation, needs and decision process before proposing anything.",
        behaviours=[
            "Holds discovery meetings before sending a proposal",
            "Prepares questions about the customer's goals, pains and decision process",
            "Summarises what was learned back to the customer and in the CRM",
        ],
        coaching_focus="Prepare and debrief discovery meetings with sellers, ride along on calls, and coach "
        "questioning and listening.",
        skill_ids=["2.A.1.b", "2.B.1.a"],
        metric_keys=["meetings_before_proposal"],
        onet_task_ids=["8114", "11239", "9679"],
        position=40,
    ),
    DefaultTask(
        key="multithreading",
        name="Multi-threading",
        definition="Building relationships with several people in the buying group, not just one champion.",
        behaviours=[
            "Maps the buying group for every sizeable opportunity",
            "Meets economic buyers, users and technical evaluators, not only the first contact",
            "Brings in colleagues (sales engineers, executives) to reach peers in the customer",
        ],
        coaching_focus="Review stakeholder maps deal by deal and coach sellers on reaching beyond their champion.",
        skill_ids=["2.B.1.a", "2.B.1.b"],
        metric_keys=["contacts_per_opportunity"],
        onet_task_ids=["9680", "9679"],
        position=50,
    ),
    DefaultTask(
        key="follow_up",
        name="Follow-up and deal momentum",
        definition="Keeping every open deal moving with timely next steps so it does not go cold.",
        behaviours=[
            "Agrees a dated next step at the end of every customer conversation",
            "Follows up within days, not weeks",
            "Spots stalled deals and re-engages before they go cold",
        ],
        coaching_focus="Inspect next steps in deal reviews and coach sellers on keeping a steady cadence on open "
        "deals.",
        skill_ids=["2.B.5.a", "2.A.2.d"],
        metric_keys=["days_between_touches"],
        onet_task_ids=["20609", "8115"],
        position=60,
    ),
    DefaultTask(
        key="negotiation",
        name="Proposal and negotiation",
        definition="Presenting a proposal anchored on value and holding price through negotiation.",
        behaviours=[
            "Anchors the proposal on the customer's quantified value",
            "Trades concessions for commitments instead of discounting",
            "Prepares walk-away points before negotiating",
        ],
        coaching_focus="Role-play negotiations, review discount requests before they go out, and coach "
        "value-based proposals.",
        skill_ids=["2.B.1.d", "2.B.1.c"],
        metric_keys=["won_vs_proposal_amount"],
        onet_task_ids=["11240", "20268", "8116", "11238"],
        position=70,
    ),
    DefaultTask(
        key="closing",
        name="Closing",
        definition="Turning qualified opportunities into signed business.",
        behaviours=[
            "Agrees a mutual close plan with the buyer",
            "Confirms the decision process and paperwork early",
            "Asks for the business when the buyer's criteria are met",
        ],
        coaching_focus="Review close plans on late-stage deals and coach sellers on asking for the commitment.",
        skill_ids=["2.B.1.c", "2.B.1.d"],
        metric_keys=["win_rate"],
        onet_task_ids=["20267", "20608", "9690"],
        kind="result",
        position=80,
        notes=["Win rate is partly a result of the other tasks, so it is estimated on its own."],
    ),
    DefaultTask(
        key="expansion",
        name="Account planning and expansion",
        definition="Growing existing customers through planned cross-sell, up-sell and renewal.",
        behaviours=[
            "Keeps an account plan for the largest customers",
            "Reviews each customer's usage and needs for expansion opportunities",
            "Renews early and introduces new products to existing buyers",
        ],
        coaching_focus="Run account-planning reviews for key customers and coach sellers to find expansion "
        "opportunities.",
        skill_ids=["2.B.1.f", "2.A.2.a"],
        metric_keys=["existing_revenue_share"],
        onet_task_ids=["9697", "8117", "9681"],
        position=90,
    ),
    DefaultTask(
        key="pipeline_hygiene",
        name="Forecasting and pipeline hygiene",
        definition="Keeping the pipeline truthful: realistic close dates, current stages, no stale deals.",
        behaviours=[
            "Updates stage, amount and close date after every customer interaction",
            "Sets close dates from the buyer's timeline, not hope",
            "Closes out dead deals instead of pushing them",
        ],
        coaching_focus="Hold weekly pipeline inspections and coach sellers on evidence-based close dates and "
        "stages.",
        skill_ids=["2.A.2.d", "2.B.4.e"],
        metric_keys=["close_date_pushes", "stale_open_share"],
        onet_task_ids=["11241", "9700", "9698"],
        position=100,
    ),
    DefaultTask(
        key="activity_volume",
        name="Activity volume",
        definition="The amount of customer-facing activity (calls, emails, meetings) a seller puts in.",
        behaviours=[
            "Plans a daily block of customer-facing time",
            "Logs calls, emails and meetings in the CRM",
        ],
        coaching_focus="Agree activity standards with each seller and review them alongside what the activity "
        "produces.",
        skill_ids=["2.B.5.a", "2.B.1.e"],
        metric_keys=["activities_per_week"],
        onet_task_ids=["8115"],
        position=110,
    ),
]

DEFAULT_TASKS_BY_KEY: dict[str, DefaultTask] = {task.key: task for task in DEFAULT_TASKS}


def install_defaults(task_model: Any, *, overwrite: bool = False) -> tuple[int, int]:
    """Create the default tasks that are missing (by key); with `overwrite`, reset the defaults' fields too.

    Takes the model class so the data migration can pass its historical model. Returns (created, updated).
    Tasks administrators added or edited are left alone unless `overwrite` is set.
    """
    created = updated = 0
    for default in DEFAULT_TASKS:
        fields = default.as_fields()
        task = task_model.objects.filter(key=default.key).first()
        if task is None:
            task_model.objects.create(key=default.key, **fields)
            created += 1
        elif overwrite:
            for name, value in fields.items():
                setattr(task, name, value)
            task.save()
            updated += 1
    return created, updated
