"""The default curriculum Promoted ships: three tracks (management fundamentals, then sales management, and
leading managers for senior leaders, who model the program for the managers below them), their courses, the
competencies they build, and the internal and external providers that deliver them.

`default_curriculum_install` is used by the data migration (with the historical app registry) and by the
`training_default_curriculum` management command. It only adds what is missing, keyed by slugs, so HR's edits
to existing rows survive re-running it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

COMPETENCIES: list[tuple[str, str, str]] = [
    (
        "setting-expectations",
        "Setting expectations",
        "Turns goals into clear, measurable expectations per person.",
    ),
    (
        "feedback",
        "Giving feedback",
        "Gives timely, specific feedback that changes behaviour, and asks for it.",
    ),
    (
        "meeting-leadership",
        "Running effective meetings",
        "Runs one-to-ones and team meetings that decide things.",
    ),
    (
        "performance-documentation",
        "Documenting performance",
        "Keeps a fair, factual record of performance conversations and agreements.",
    ),
    (
        "ethics-compliance",
        "Ethics and compliance",
        "Applies company policies, values and the law; recognises and escalates misconduct.",
    ),
    (
        "coaching",
        "Coaching",
        "Develops sellers' skills through observation, questions and deliberate practice.",
    ),
    (
        "time-management",
        "Managing time for the team",
        "Protects time for coaching and deal support over administration.",
    ),
    (
        "motivation",
        "Motivating people",
        "Knows what drives each seller and uses it; recognises effort and results.",
    ),
    (
        "performance-culture",
        "Building a performance culture",
        "Sets standards, makes results visible and holds the team accountable.",
    ),
    (
        "performance-diagnosis",
        "Diagnosing performance gaps",
        "Finds the selling task behind a result gap, using CRM evidence, before acting.",
    ),
    (
        "market-insight",
        "Market insight",
        "Reads the territory and market to aim the team at real opportunity.",
    ),
    ("productivity", "Sales productivity", "Knows and improves the drivers of the team's selling capacity."),
    ("forecasting", "Forecasting", "Calls the number accurately from a clean, inspected pipeline."),
    ("enablement", "Sales enablement", "Uses playbooks, content and tools to make sellers effective."),
    ("leadership", "Leadership", "Sets direction, builds trust and leads the team through change."),
]

# name, kind, cost per participant, website, notes
PROVIDERS: list[tuple[str, str, str, str, str]] = [
    (
        "People team academy",
        "internal",
        "0.00",
        "",
        "The company's own people team; facilitators are HR partners and experienced sales leaders.",
    ),
    (
        "Northbridge Sales Leadership Institute",
        "external",
        "1450.00",
        "https://northbridge.example",
        "Two-day sales-management workshops; strong on coaching and forecasting.",
    ),
    (
        "SafeWork Compliance Online",
        "external",
        "45.00",
        "https://safework.example",
        "Accredited compliance e-learning with completion certificates.",
    ),
    (
        "Clearline Management Training",
        "external",
        "650.00",
        "https://clearline.example",
        "Half-day workshops for first-time managers of any function.",
    ),
]

# key, name, description, position, audience, due within days
TRACKS: list[tuple[str, str, str, int, str, int]] = [
    (
        "management-fundamentals",
        "Management fundamentals",
        "For every new people manager, whatever their function: the basics of managing people here, taken "
        "together in cohorts that mix functions.",
        1,
        "all_managers",
        120,
    ),
    (
        "sales-management",
        "Sales management",
        "For managers of sellers, after the fundamentals: coaching sellers on the tasks that drive results "
        "in "
        "their selling situation, forecasting and leading a sales team.",
        2,
        "sales_managers",
        270,
    ),
    (
        "leading-managers",
        "Leading managers",
        "For senior leaders, who lead people managers, after the fundamentals: coaching managers to coach, and "
        "leading the program by example, since their managers take it too.",
        3,
        "senior_leaders",
        180,
    ),
]

COURSES: list[dict[str, Any]] = [
    # --- Management fundamentals ---------------------------------------------------------------------------
    {
        "track": "management-fundamentals",
        "key": "setting-expectations",
        "position": 1,
        "title": "Setting expectations",
        "summary": "Turn the team's goals into clear expectations for each person, agreed and written down.",
        "objectives": [
            "Translate team goals into 3-5 measurable expectations per person",
            "Hold an expectations conversation that ends in agreement, not just announcement",
            "Revisit expectations when roles or goals change",
        ],
        "competencies": ["setting-expectations"],
        "format": "workshop",
        "duration_minutes": 180,
        "provider": "Clearline Management Training",
        "mastery_method": "work_product",
        "mastery_criteria": "Written expectations for every direct report, reviewed by the manager's leader.",
        "prerequisites": [],
    },
    {
        "track": "management-fundamentals",
        "key": "giving-feedback",
        "position": 2,
        "title": "Giving feedback",
        "summary": (
            "Specific, timely feedback on behaviour and its impact, and asking for feedback in return."
        ),
        "objectives": [
            "Use the situation-behaviour-impact model for positive and corrective feedback",
            "Give feedback within a week of the behaviour",
            "Ask for and act on upward feedback",
        ],
        "competencies": ["feedback"],
        "format": "workshop",
        "duration_minutes": 180,
        "provider": "Clearline Management Training",
        "mastery_method": "observed_practice",
        "mastery_criteria": "A role-played corrective conversation, then one real conversation observed by "
        "the manager's leader.",
        "prerequisites": [],
    },
    {
        "track": "management-fundamentals",
        "key": "effective-meetings",
        "position": 3,
        "title": "Effective meetings",
        "summary": "One-to-ones and team meetings with a purpose, an agenda and decisions.",
        "objectives": [
            "Run a weekly one-to-one that the direct report owns",
            "Cut the team meeting to decisions and learning; move status updates to writing",
            "Close every meeting with owners and dates",
        ],
        "competencies": ["meeting-leadership"],
        "format": "on_the_job",
        "duration_minutes": 240,
        "provider": "People team academy",
        "mastery_method": "observed_practice",
        "mastery_criteria": "Four weeks of one-to-one notes and one team meeting observed by an HR partner.",
        "prerequisites": [],
    },
    {
        "track": "management-fundamentals",
        "key": "documenting-performance",
        "position": 4,
        "title": "Documenting performance",
        "summary": "A fair, factual record of performance: notes, agreements, improvement plans.",
        "objectives": [
            "Write factual, behaviour-based notes after performance conversations",
            "Know when and how to start a performance improvement plan, with HR",
            "Keep records that would stand up to review",
        ],
        "competencies": ["performance-documentation", "ethics-compliance"],
        "format": "workshop",
        "duration_minutes": 150,
        "provider": "People team academy",
        "mastery_method": "work_product",
        "mastery_criteria": (
            "Three anonymised performance notes reviewed by the HR partner against the checklist."
        ),
        "prerequisites": ["setting-expectations", "giving-feedback"],
    },
    {
        "track": "management-fundamentals",
        "key": "policies-and-values",
        "position": 5,
        "title": "Company policies and values",
        "summary": "What managers are accountable for: policies, values, approvals and where to get help.",
        "objectives": [
            "Apply the policies managers sign off on (time off, expenses, hiring, recognition)",
            "Explain the company values with examples from the team's work",
            "Know when to involve HR, legal or finance",
        ],
        "competencies": ["ethics-compliance"],
        "format": "elearning",
        "duration_minutes": 60,
        "provider": "People team academy",
        "mastery_method": "knowledge_check",
        "mastery_criteria": "Scenario quiz, 80% to pass.",
        "prerequisites": [],
    },
    {
        "track": "management-fundamentals",
        "key": "harassment-prevention",
        "position": 6,
        "title": "Harassment prevention for managers",
        "summary": (
            "Recognise, prevent and respond to harassment and discrimination; a manager's legal duties."
        ),
        "objectives": [
            "Recognise harassment, discrimination and retaliation",
            "Respond to a report the same day and escalate it correctly",
            "Prevent retaliation against people who report",
        ],
        "competencies": ["ethics-compliance"],
        "format": "elearning",
        "duration_minutes": 90,
        "provider": "SafeWork Compliance Online",
        "mastery_method": "certificate",
        "mastery_criteria": "Accredited completion certificate; renewed every 12 months.",
        "prerequisites": [],
        "validity_months": 12,
    },
    {
        "track": "management-fundamentals",
        "key": "workplace-safety",
        "position": 7,
        "title": "Workplace safety for managers",
        "summary": "Health and safety duties for people managers, in the office, on the road and at home.",
        "objectives": [
            "Carry out a risk assessment for the team's work, including driving and home working",
            "Report and follow up incidents",
            "Support wellbeing and spot overwork",
        ],
        "competencies": ["ethics-compliance"],
        "format": "elearning",
        "duration_minutes": 60,
        "provider": "SafeWork Compliance Online",
        "mastery_method": "certificate",
        "mastery_criteria": "Accredited completion certificate; renewed every 24 months.",
        "prerequisites": [],
        "validity_months": 24,
    },
    # --- Sales management ----------------------------------------------------------------------------------
    {
        "track": "sales-management",
        "key": "coaching-vs-mentoring",
        "position": 1,
        "title": "Coaching versus mentoring",
        "summary": "When to coach (ask, observe, practise) and when to mentor (share experience), and the "
        "weekly coaching rhythm.",
        "objectives": [
            "Tell coaching from mentoring and choose deliberately",
            "Run a coaching conversation on one selling task with the GROW model",
            "Observe a customer call and debrief it within 24 hours",
        ],
        "competencies": ["coaching"],
        "format": "workshop",
        "duration_minutes": 420,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "observed_practice",
        "mastery_criteria": (
            "Two coaching conversations observed by the manager's leader, scored on the rubric."
        ),
        "prerequisites": ["giving-feedback", "setting-expectations"],
        "seller_tasks": ["discovery", "qualification", "negotiation"],
    },
    {
        "track": "sales-management",
        "key": "time-for-sellers",
        "position": 2,
        "title": "Time management to support sellers",
        "summary": "Free the manager's week for coaching and deal support instead of reporting.",
        "objectives": [
            "Audit a week of the manager's calendar against the team's needs",
            "Block weekly coaching and deal-review time per seller",
            "Delegate or drop administrative work",
        ],
        "competencies": ["time-management", "coaching"],
        "format": "on_the_job",
        "duration_minutes": 120,
        "provider": "People team academy",
        "mastery_method": "work_product",
        "mastery_criteria": "Calendar audit before and after, with coaching time at least 20% of the week.",
        "prerequisites": ["coaching-vs-mentoring"],
        "seller_tasks": ["follow_up", "activity_volume"],
    },
    {
        "track": "sales-management",
        "key": "motivation",
        "position": 3,
        "title": "Motivating sellers",
        "summary": "What drives each seller, and using recognition, goals and incentives well.",
        "objectives": [
            "Hold a motivation conversation with each seller",
            "Use recognition that is specific and timely",
            "Explain the compensation plan and how to win with it",
        ],
        "competencies": ["motivation"],
        "format": "workshop",
        "duration_minutes": 180,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "observed_practice",
        "mastery_criteria": "Motivation map for every seller, discussed with the leader.",
        "prerequisites": [],
        "seller_tasks": ["activity_volume", "prospecting"],
    },
    {
        "track": "sales-management",
        "key": "performance-culture",
        "position": 4,
        "title": "Building a performance culture",
        "summary": "Standards, visible results and accountability without fear.",
        "objectives": [
            "Set team activity and pipeline standards that sellers agree with",
            "Make results visible every week",
            "Address under-performance early and fairly",
        ],
        "competencies": ["performance-culture", "setting-expectations"],
        "format": "workshop",
        "duration_minutes": 180,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "crm_evidence",
        "mastery_criteria": "Team pipeline hygiene and activity standards met for a full quarter.",
        "prerequisites": ["documenting-performance"],
        "seller_tasks": ["pipeline_hygiene", "activity_volume"],
    },
    {
        "track": "sales-management",
        "key": "diagnosing-gaps",
        "position": 5,
        "title": "Diagnosing performance gaps",
        "summary": "From a result gap to the selling task behind it, using the team's CRM evidence.",
        "objectives": [
            "Break a seller's result into the tasks that drive it in their selling situation",
            "Read the evidence for each task in the CRM before deciding what to coach",
            "Agree one task to work on, with a measure",
        ],
        "competencies": ["performance-diagnosis", "coaching"],
        "format": "workshop",
        "duration_minutes": 240,
        "provider": "People team academy",
        "mastery_method": "crm_evidence",
        "mastery_criteria": "A diagnosis for each seller that matches the bottom-up engine's top gap, and a "
        "coaching plan that moves it.",
        "prerequisites": ["coaching-vs-mentoring"],
        "seller_tasks": ["qualification", "discovery", "account_coverage", "follow_up"],
    },
    {
        "track": "sales-management",
        "key": "market-opportunities",
        "position": 6,
        "title": "Market opportunities",
        "summary": "Aim the team at real opportunity: territory, segments, whitespace in existing accounts.",
        "objectives": [
            "Segment the territory by potential, not by habit",
            "Find whitespace in existing accounts",
            "Set prospecting targets from the segmentation",
        ],
        "competencies": ["market-insight"],
        "format": "on_the_job",
        "duration_minutes": 240,
        "provider": "People team academy",
        "mastery_method": "work_product",
        "mastery_criteria": "A territory and account plan reviewed with the leader.",
        "prerequisites": ["diagnosing-gaps"],
        "seller_tasks": ["prospecting", "account_coverage", "expansion"],
    },
    {
        "track": "sales-management",
        "key": "productivity-drivers",
        "position": 7,
        "title": "Productivity drivers",
        "summary": "Capacity, conversion, deal size and cycle time: which to work on, and how.",
        "objectives": [
            "Decompose the team's number into capacity, conversion, deal size and cycle time",
            "Pick the driver with the biggest gap and act on it",
            "Remove the non-selling work that eats capacity",
        ],
        "competencies": ["productivity", "performance-diagnosis"],
        "format": "workshop",
        "duration_minutes": 180,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "crm_evidence",
        "mastery_criteria": "A driver tree for the team and a measured improvement in the chosen driver.",
        "prerequisites": ["diagnosing-gaps"],
        "seller_tasks": ["activity_volume", "account_coverage", "follow_up", "multithreading"],
    },
    {
        "track": "sales-management",
        "key": "forecasting",
        "position": 8,
        "title": "Forecasting",
        "summary": "Call the number from a clean, inspected pipeline; deal reviews that find risk early.",
        "objectives": [
            "Inspect deals with consistent stage criteria",
            "Run a weekly forecast call and a monthly pipeline review",
            "Keep close dates honest and explain changes",
        ],
        "competencies": ["forecasting"],
        "format": "workshop",
        "duration_minutes": 240,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "crm_evidence",
        "mastery_criteria": (
            "Forecast within 10% for two quarters; close-date pushes per opportunity falling."
        ),
        "prerequisites": ["diagnosing-gaps"],
        "seller_tasks": ["pipeline_hygiene", "qualification"],
    },
    {
        "track": "sales-management",
        "key": "enablement-tools",
        "position": 9,
        "title": "Enablement tools",
        "summary": "Playbooks, content, call recordings and the CRM as coaching tools.",
        "objectives": [
            "Use call recordings and the CRM to prepare coaching",
            "Point sellers to the right playbook and content for their deal",
            "Feed back what works to enablement",
        ],
        "competencies": ["enablement", "coaching"],
        "format": "elearning",
        "duration_minutes": 90,
        "provider": "People team academy",
        "mastery_method": "knowledge_check",
        "mastery_criteria": "Practical quiz in the tools, 80% to pass.",
        "prerequisites": [],
        "seller_tasks": ["multithreading", "discovery", "negotiation"],
    },
    {
        "track": "sales-management",
        "key": "sales-leadership",
        "position": 10,
        "title": "Leadership",
        "summary": "Direction, trust and change: leading a sales team, not only managing it.",
        "objectives": [
            "Explain the team's direction in a way sellers can repeat",
            "Build trust through consistency and candour",
            "Lead the team through a territory or plan change",
        ],
        "competencies": ["leadership", "motivation"],
        "format": "workshop",
        "duration_minutes": 420,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "observed_practice",
        "mastery_criteria": "360 feedback from the team and leader, six months after the course.",
        "prerequisites": ["motivation", "performance-culture"],
        "seller_tasks": ["multithreading", "expansion"],
    },
    # --- Leading managers (senior leaders) -----------------------------------------------------------------
    {
        "track": "leading-managers",
        "key": "coaching-managers",
        "position": 1,
        "title": "Coaching managers to coach",
        "summary": "Develop the managers who report to you: observe them coaching, and coach them on it.",
        "objectives": [
            "Observe each manager coaching one of their people, and debrief it within a week",
            "Agree with each manager the one coaching habit they work on this quarter",
            "Review each manager's development plan with them every quarter",
        ],
        "competencies": ["coaching", "leadership"],
        "format": "workshop",
        "duration_minutes": 240,
        "provider": "Northbridge Sales Leadership Institute",
        "mastery_method": "observed_practice",
        "mastery_criteria": "Two debriefs of a manager's coaching, observed by the senior leader's own leader "
        "or an HR partner.",
        "prerequisites": ["giving-feedback"],
    },
    {
        "track": "leading-managers",
        "key": "leading-by-example",
        "position": 2,
        "title": "Leading the program by example",
        "summary": "Take part in the program your managers take: protect their training time and show it counts.",
        "objectives": [
            "Keep your managers' sessions free of forecast calls and customer meetings",
            "Attend one session of your managers' cohort and close it with what you expect afterwards",
            "Recognise a manager's mastered module in a team meeting",
        ],
        "competencies": ["leadership", "performance-culture"],
        "format": "on_the_job",
        "duration_minutes": 120,
        "provider": "People team academy",
        "mastery_method": "work_product",
        "mastery_criteria": "A quarter with no pull-out by you and one recognition of a mastered module, "
        "reviewed with the HR partner.",
        "prerequisites": [],
    },
]


def default_curriculum_install(apps: Any) -> dict[str, int]:
    """Add the default curriculum's missing rows. `apps` is an app registry (django.apps.apps, or the
    historical one in a migration). Returns how many rows of each kind were created."""
    competency_model = apps.get_model("training", "Competency")
    provider_model = apps.get_model("training", "Provider")
    track_model = apps.get_model("training", "Track")
    course_model = apps.get_model("training", "Course")
    task_model = apps.get_model("training", "CourseSellerTask")
    created = {"competencies": 0, "providers": 0, "tracks": 0, "courses": 0}

    competencies = {}
    for key, name, description in COMPETENCIES:
        obj, made = competency_model.objects.get_or_create(
            key=key, defaults={"name": name, "description": description}
        )
        competencies[key] = obj
        created["competencies"] += made
    providers = {}
    for name, kind, cost, website, notes in PROVIDERS:
        obj, made = provider_model.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "cost_per_participant": Decimal(cost),
                "website": website,
                "notes": notes,
            },
        )
        providers[name] = obj
        created["providers"] += made
    tracks = {}
    for key, name, description, position, audience, due in TRACKS:
        obj, made = track_model.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "description": description,
                "position": position,
                "audience": audience,
                "due_within_days": due,
            },
        )
        tracks[key] = obj
        created["tracks"] += made
    courses = {}
    new_courses = []
    for spec in COURSES:
        obj, made = course_model.objects.get_or_create(
            key=spec["key"],
            defaults={
                "track": tracks[spec["track"]],
                "title": spec["title"],
                "summary": spec["summary"],
                "objectives": spec["objectives"],
                "format": spec["format"],
                "duration_minutes": spec["duration_minutes"],
                "provider": providers[spec["provider"]],
                "mastery_method": spec["mastery_method"],
                "mastery_criteria": spec["mastery_criteria"],
                "validity_months": spec.get("validity_months"),
                "position": spec["position"],
            },
        )
        courses[spec["key"]] = obj
        if made:
            new_courses.append(spec)
            created["courses"] += 1
    for spec in new_courses:
        course = courses[spec["key"]]
        course.competencies.set([competencies[k] for k in spec["competencies"]])
        course.prerequisites.set([courses[k] for k in spec["prerequisites"] if k in courses])
        for task_key in spec.get("seller_tasks", []):
            task_model.objects.get_or_create(course=course, task_key=task_key)
    return created
