"""What the CRM generator plants: behaviours, situations, drivers, stages (docs/planted-truth.md).

Plain constants and small typed records; no randomness and no I/O here, so the contract can be read in one
place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BEHAVIOURS: tuple[str, ...] = (
    "prospecting",
    "account_coverage",
    "multithreading",
    "discovery",
    "qualification",
    "follow_up",
    "negotiation",
    "expansion",
    "pipeline_hygiene",
    "activity_volume",
)
B = {name: index for index, name in enumerate(BEHAVIOURS)}

SITUATIONS: tuple[str, ...] = ("territory", "key_accounts", "inside_sales", "new_logo")

# Planted drivers: weight on the log-attainment scale per situation; absent behaviours weigh 0.
DRIVERS: dict[str, dict[str, float]] = {
    "territory": {"account_coverage": 0.30, "prospecting": 0.25, "follow_up": 0.18},
    "key_accounts": {"multithreading": 0.30, "discovery": 0.22, "expansion": 0.18, "negotiation": 0.15},
    "inside_sales": {"activity_volume": 0.30, "follow_up": 0.25, "qualification": 0.18},
    "new_logo": {"prospecting": 0.32, "qualification": 0.22, "discovery": 0.18, "negotiation": 0.15},
}

ATTAINMENT_BASELINE = 0.9
ATTAINMENT_NOISE_SD = 0.2
RAMP_MONTHS = 9.0
RAMP_FLOOR = 0.25

# Effects of one SD of skill on the observable (see the table in docs/planted-truth.md).
PROSPECTING_OPPS = 0.35  # log opportunities created
PROSPECTING_TOUCHES = 0.5  # log prospecting touches
COVERAGE_LOGIT = 0.7
MULTITHREADING_LOG = 0.45
DISCOVERY_LOG = 0.5
QUALIFICATION_LOGIT = 1.0
FOLLOW_UP_LOG = 0.35  # log gap between opportunity activities (negative direction)
NEGOTIATION_LOG = 0.5  # log discount (negative direction)
EXPANSION_LOGIT = 1.3
HYGIENE_PUSH_LOG = 0.6  # log pushes per opportunity (negative direction)
HYGIENE_STALE_LOGIT = 1.0
ACTIVITY_VOLUME_LOG = 0.35

# Close dates fall into calendar quarters Q1..Q4 in this ratio (Q4 heaviest).
SEASONALITY: tuple[float, float, float, float] = (0.21, 0.24, 0.22, 0.33)


@dataclass(frozen=True)
class SituationProfile:
    """How a selling situation looks at its natural size (one fully ramped seller, one year)."""

    key: str
    label: str
    accounts: tuple[int, int]  # book size range
    contacts_per_account: tuple[int, int]
    deal_median: float  # median won amount, USD
    cycle_days: tuple[int, int]  # creation to close for a won deal
    opportunities_per_year: float
    existing_share: float  # share of opportunities that are existing business at skill 0
    activities_per_week: float
    win_rate: float  # at attainment 1 and prospecting skill 0
    customer_share: float  # share of the book that are customers before the period
    stage_path: tuple[int, ...]  # indexes into STAGES, open stages only
    mix: tuple[float, float, float, float]  # call, email, meeting, task shares of opportunity activities
    contacts_per_deal: float  # distinct contacts per opportunity at multithreading skill 0
    discovery_meetings: float  # discovery meetings per opportunity at skill 0
    coverage: float  # share of the book touched per quarter at skill 0
    prospecting_per_week: float  # prospecting touches per week at skill 0
    segment: str
    opportunity_share: float  # share of the activity budget spent on opportunities at follow-up skill 0


SITUATION_PROFILES: dict[str, SituationProfile] = {
    "territory": SituationProfile(
        key="territory",
        label="High-volume territory",
        accounts=(250, 400),
        contacts_per_account=(2, 4),
        deal_median=15_000,
        cycle_days=(30, 60),
        opportunities_per_year=120,
        existing_share=0.45,
        activities_per_week=55,
        win_rate=0.28,
        customer_share=0.5,
        stage_path=(0, 1, 2, 3, 6, 7),
        mix=(0.40, 0.40, 0.0, 0.20),
        contacts_per_deal=2.0,
        discovery_meetings=1.0,
        coverage=0.30,
        prospecting_per_week=4.0,
        segment="Mid-Market",
        opportunity_share=0.28,
    ),
    "key_accounts": SituationProfile(
        key="key_accounts",
        label="Named key accounts",
        accounts=(5, 15),
        contacts_per_account=(15, 40),
        deal_median=180_000,
        cycle_days=(120, 270),
        opportunities_per_year=24,
        existing_share=0.65,
        activities_per_week=30,
        win_rate=0.35,
        customer_share=0.8,
        stage_path=(0, 1, 2, 3, 4, 5, 6, 7),
        mix=(0.25, 0.45, 0.0, 0.30),
        contacts_per_deal=4.0,
        discovery_meetings=3.0,
        coverage=0.75,
        prospecting_per_week=1.0,
        segment="Enterprise",
        opportunity_share=0.45,
    ),
    "inside_sales": SituationProfile(
        key="inside_sales",
        label="Inside sales",
        accounts=(600, 900),
        contacts_per_account=(1, 2),
        deal_median=4_500,
        cycle_days=(7, 30),
        opportunities_per_year=300,
        existing_share=0.35,
        activities_per_week=90,
        win_rate=0.30,
        customer_share=0.4,
        stage_path=(0, 1, 6, 7),
        mix=(0.55, 0.35, 0.0, 0.10),
        contacts_per_deal=1.4,
        discovery_meetings=0.5,
        coverage=0.30,
        prospecting_per_week=8.0,
        segment="SMB",
        opportunity_share=0.2,
    ),
    "new_logo": SituationProfile(
        key="new_logo",
        label="New-logo hunters",
        accounts=(40, 120),
        contacts_per_account=(3, 6),
        deal_median=45_000,
        cycle_days=(60, 120),
        opportunities_per_year=50,
        existing_share=0.20,
        activities_per_week=45,
        win_rate=0.20,
        customer_share=0.15,
        stage_path=(0, 1, 2, 3, 4, 6, 7),
        mix=(0.45, 0.40, 0.0, 0.15),
        contacts_per_deal=2.5,
        discovery_meetings=2.0,
        coverage=0.65,
        prospecting_per_week=4.0,
        segment="Mid-Market",
        opportunity_share=0.25,
    ),
}

# Salesforce's default sales process: (StageName, Probability %, ForecastCategoryName).
STAGES: tuple[tuple[str, int, str], ...] = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 10, "Pipeline"),
    ("Needs Analysis", 20, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"),
    ("Id. Decision Makers", 60, "Pipeline"),
    ("Perception Analysis", 70, "Pipeline"),
    ("Proposal/Price Quote", 75, "Pipeline"),
    ("Negotiation/Review", 90, "Pipeline"),
    ("Closed Won", 100, "Closed"),
    ("Closed Lost", 0, "Omitted"),
)
PROPOSAL = 6
NEGOTIATION = 7
CLOSED_WON = 8
CLOSED_LOST = 9

# Forecast categories (label, OpportunityHistory API value). Reps move late-stage deals to Best Case / Commit.
FORECAST_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Pipeline", "Pipeline"),
    ("Best Case", "BestCase"),
    ("Commit", "Forecast"),
    ("Closed", "Closed"),
    ("Omitted", "Omitted"),
)
FC_PIPELINE, FC_BEST_CASE, FC_COMMIT, FC_CLOSED, FC_OMITTED = range(5)

# Activity kinds in the neutral records.
CALL, EMAIL, MEETING, TASK = range(4)
ACTIVITY_KINDS: tuple[str, ...] = ("call", "email", "meeting", "task")

# Why an activity exists (kept in the records for tests; not written to the export).
(
    PURPOSE_OPPORTUNITY,
    PURPOSE_DISCOVERY,
    PURPOSE_PROSPECTING,
    PURPOSE_COVERAGE,
    PURPOSE_ACCOUNT,
    PURPOSE_MANAGER,
) = range(6)

# Call results: (Salesforce CallDisposition, HubSpot hs_call_status, connected?).
CALL_RESULTS: tuple[tuple[str, str, bool], ...] = (
    ("Connected", "COMPLETED", True),
    ("Left voicemail", "COMPLETED", False),
    ("No answer", "NO_ANSWER", False),
    ("Busy", "BUSY", False),
)
CALL_RESULT_P: tuple[float, ...] = (0.45, 0.30, 0.20, 0.05)

SUBJECTS: dict[int, tuple[str, ...]] = {
    CALL: ("Call", "Follow-up call", "Check-in call", "Pricing call"),
    EMAIL: ("Email: Follow up", "Email: Next steps", "Email: Proposal", "Email: Meeting recap"),
    MEETING: ("Product demo", "Solution review", "Negotiation meeting", "Executive briefing"),
    TASK: ("Send proposal", "Prepare quote", "Update account plan", "Send contract"),
}
PROSPECTING_SUBJECTS: tuple[str, ...] = (
    "Prospecting call",
    "Email: Introduction",
    "Cold call",
    "Email: Intro",
)
DISCOVERY_SUBJECTS: tuple[str, ...] = (
    "Discovery meeting",
    "Discovery call (video)",
    "Needs analysis workshop",
)
COVERAGE_SUBJECTS: tuple[str, ...] = (
    "Account check-in",
    "Quarterly business review",
    "Email: Account update",
)

LEAD_SOURCES: tuple[str, ...] = (
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
    "Outbound",
)
INDUSTRIES: tuple[str, ...] = (
    "Manufacturing",
    "Technology",
    "Finance",
    "Healthcare",
    "Retail",
    "Education",
    "Energy",
    "Transportation",
    "Media",
    "Construction",
    "Government",
    "Hospitality",
    "Telecommunications",
    "Insurance",
)
ACCOUNT_SOURCES: tuple[str, ...] = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
CONTACT_TITLES: tuple[str, ...] = (
    "CEO",
    "CFO",
    "COO",
    "VP Operations",
    "VP Finance",
    "Head of IT",
    "IT Manager",
    "Procurement Manager",
    "Operations Director",
    "Finance Manager",
    "Project Manager",
    "Office Manager",
    "CTO",
    "VP Sales",
    "Purchasing Lead",
    "Controller",
)

# Product catalogue: (ProductCode, Name, list price share of a typical deal).
PRODUCTS: tuple[tuple[str, str], ...] = (
    ("KS-CORE", "Kestrel Core Platform"),
    ("KS-ANL", "Kestrel Analytics"),
    ("KS-INT", "Integration Pack"),
    ("KS-SEC", "Security Add-on"),
    ("KS-SUP", "Premium Support"),
    ("KS-TRN", "Training Services"),
    ("KS-IMP", "Implementation Services"),
    ("KS-SEAT", "Additional Seats"),
)

COMPANY_WORDS_A: tuple[str, ...] = (
    "Acorn",
    "Apex",
    "Arbor",
    "Atlas",
    "Beacon",
    "Birch",
    "Blue",
    "Bright",
    "Cedar",
    "Cobalt",
    "Crest",
    "Delta",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fjord",
    "Granite",
    "Harbor",
    "Horizon",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "North",
    "Oak",
    "Orbit",
    "Pacific",
    "Pine",
    "Pioneer",
    "Prairie",
    "Quartz",
    "Redwood",
    "Ridge",
    "River",
    "Summit",
    "Silver",
    "Sterling",
    "Stone",
    "Sun",
    "Tidal",
    "Trident",
    "Union",
    "Valley",
    "Vertex",
    "West",
    "Willow",
)
COMPANY_WORDS_B: tuple[str, ...] = (
    "Analytics",
    "Bank",
    "Biotech",
    "Brands",
    "Builders",
    "Capital",
    "Chemicals",
    "Clinics",
    "Logistics",
    "Energy",
    "Engineering",
    "Foods",
    "Freight",
    "Health",
    "Holdings",
    "Hotels",
    "Industries",
    "Insurance",
    "Labs",
    "Manufacturing",
    "Media",
    "Medical",
    "Metals",
    "Motors",
    "Networks",
    "Outfitters",
    "Partners",
    "Pharma",
    "Power",
    "Retail",
    "Robotics",
    "Software",
    "Solutions",
    "Systems",
    "Telecom",
    "Textiles",
    "Transport",
    "Utilities",
    "Ventures",
    "Works",
)
COMPANY_SUFFIXES: tuple[str, ...] = ("Inc.", "Ltd", "GmbH", "LLC", "Group", "Co.", "Corp.", "AG", "SA", "plc")
CONTACT_FIRST: tuple[str, ...] = (
    "Alex",
    "Amelia",
    "Andre",
    "Anita",
    "Ben",
    "Carla",
    "Chris",
    "Dana",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ivy",
    "Jon",
    "Karen",
    "Leon",
    "Lena",
    "Marco",
    "Maya",
    "Nils",
    "Olga",
    "Paul",
    "Rita",
    "Sam",
    "Sofia",
    "Tom",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zara",
    "Ola",
    "Pia",
    "Raj",
    "Mei",
    "Ines",
)
CONTACT_LAST: tuple[str, ...] = (
    "Adams",
    "Baker",
    "Berg",
    "Brown",
    "Costa",
    "Davis",
    "Evans",
    "Fischer",
    "Garcia",
    "Hall",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Meyer",
    "Novak",
    "Olsen",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Walsh",
    "Young",
    "Ziegler",
    "Kowal",
    "Moreau",
    "Nakata",
    "Okoro",
)


def logit(p: float) -> float:
    """log(p / (1 - p))."""
    return math.log(p / (1 - p))


# Billing addresses for accounts: (city, state/province, country), grouped by the seller's sales region.
GEO: tuple[tuple[str, str, str], ...] = (
    ("New York", "NY", "United States"),
    ("Boston", "MA", "United States"),
    ("Atlanta", "GA", "United States"),
    ("Philadelphia", "PA", "United States"),
    ("Toronto", "ON", "Canada"),
    ("Montreal", "QC", "Canada"),
    ("Chicago", "IL", "United States"),
    ("Dallas", "TX", "United States"),
    ("Minneapolis", "MN", "United States"),
    ("San Francisco", "CA", "United States"),
    ("Seattle", "WA", "United States"),
    ("Denver", "CO", "United States"),
    ("Austin", "TX", "United States"),
    ("Los Angeles", "CA", "United States"),
    ("São Paulo", "SP", "Brazil"),
    ("Mexico City", "CDMX", "Mexico"),
    ("Bogotá", "DC", "Colombia"),
    ("London", "England", "United Kingdom"),
    ("Manchester", "England", "United Kingdom"),
    ("Dublin", "Leinster", "Ireland"),
    ("Munich", "Bavaria", "Germany"),
    ("Berlin", "Berlin", "Germany"),
    ("Zurich", "ZH", "Switzerland"),
    ("Vienna", "Vienna", "Austria"),
    ("Paris", "Île-de-France", "France"),
    ("Amsterdam", "North Holland", "Netherlands"),
    ("Brussels", "Brussels", "Belgium"),
    ("Stockholm", "Stockholm", "Sweden"),
    ("Copenhagen", "Capital Region", "Denmark"),
    ("Oslo", "Oslo", "Norway"),
    ("Helsinki", "Uusimaa", "Finland"),
    ("Madrid", "Madrid", "Spain"),
    ("Milan", "Lombardy", "Italy"),
    ("Lisbon", "Lisbon", "Portugal"),
    ("Dubai", "Dubai", "United Arab Emirates"),
    ("Johannesburg", "Gauteng", "South Africa"),
    ("Riyadh", "Riyadh", "Saudi Arabia"),
    ("Singapore", "Singapore", "Singapore"),
    ("Bangalore", "Karnataka", "India"),
    ("Seoul", "Seoul", "South Korea"),
    ("Sydney", "NSW", "Australia"),
    ("Melbourne", "VIC", "Australia"),
    ("Auckland", "Auckland", "New Zealand"),
    ("Tokyo", "Tokyo", "Japan"),
    ("Osaka", "Osaka", "Japan"),
)
_REGION_CITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("north america east", ("New York", "Boston", "Atlanta", "Philadelphia", "Toronto", "Montreal")),
    ("north america central", ("Chicago", "Dallas", "Minneapolis")),
    ("north america west", ("San Francisco", "Seattle", "Denver", "Austin", "Los Angeles")),
    ("north america", ("New York", "Boston", "Chicago", "Dallas", "San Francisco", "Seattle", "Toronto")),
    ("latin america", ("São Paulo", "Mexico City", "Bogotá")),
    ("uk and ireland", ("London", "Manchester", "Dublin")),
    ("dach", ("Munich", "Berlin", "Zurich", "Vienna")),
    ("france and benelux", ("Paris", "Amsterdam", "Brussels")),
    ("nordics", ("Stockholm", "Copenhagen", "Oslo", "Helsinki")),
    ("southern europe", ("Madrid", "Milan", "Lisbon")),
    ("middle east and africa", ("Dubai", "Johannesburg", "Riyadh")),
    ("emea", ("London", "Dublin", "Munich", "Paris", "Amsterdam", "Stockholm", "Madrid", "Dubai")),
    ("australia and new zealand", ("Sydney", "Melbourne", "Auckland")),
    ("japan", ("Tokyo", "Osaka")),
    ("apac", ("Singapore", "Bangalore", "Seoul", "Sydney", "Tokyo")),
)


def region_geo(region: str) -> tuple[int, ...]:
    """Indexes into GEO for a seller's sales region (North America East when the region is unknown)."""
    lowered = region.lower()
    cities = next((c for key, c in _REGION_CITIES if key in lowered), _REGION_CITIES[0][1])
    return tuple(i for i, (city, _, _) in enumerate(GEO) if city in cities)
