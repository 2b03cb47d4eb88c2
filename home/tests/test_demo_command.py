"""`manage.py demo`: the printed logins work and have their roles; it refuses to overwrite data without --reset."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

import demo.registry
from accounts.models import Role, User
from core.models import AuditEvent
from demo.company import generate_company, people_csv
from demo.registry import DemoLogin, register_demo_step
from people.models import EmploymentStatus, Function, PeopleImport, Person
from people.scoping import forget_scope, scope_for, visible_people
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "promoted-demo-2026"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


def run_demo(**options) -> str:
    # Only the people step unless a test asks for more: the other steps have their own demo tests.
    options.setdefault("only", "people")
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def printed_logins(output: str) -> dict[str, dict[str, str]]:
    """The logins table as {role: {name, email, password, shows}}."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Role "))
    logins = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        role, name, email, password, shows = re.split(r"\s{2,}", line.strip(), maxsplit=4)
        logins[role] = {"name": name, "email": email, "password": password, "shows": shows}
    return logins


def roles_of(user: User) -> set[str]:
    forget_scope(user)
    return set(scope_for(user).roles)


def test_every_printed_login_signs_in_and_has_its_role(settings, tmp_path):
    output = run_demo(sellers=20, only="")  # the whole demo, every step
    assert "Demo step: crm" in output
    assert "Demo step: training" in output
    logins = printed_logins(output)
    assert list(logins) == ["Administrator", "HR partner", "Senior sales leader", "Regional director",
                            "Sales manager", "Seller", "Manager, other function"]
    users = {}
    for role, login in logins.items():
        assert login["password"] == DEMO_PASSWORD
        user = authenticate(email=login["email"], password=login["password"])
        assert user is not None, role
        users[role] = user

    admin = users["Administrator"]
    assert admin.is_superuser
    assert admin.is_staff
    assert Role.ADMINISTRATOR in roles_of(admin)
    assert not Person.objects.filter(user=admin).exists()  # not in the HR data

    partner = users["HR partner"]
    assert Role.HR_PARTNER in roles_of(partner)
    assert visible_people(partner).filter(function=Function.SALES).exists()

    vp = users["Senior sales leader"]
    assert Role.SENIOR_SALES_LEADER in roles_of(vp)
    all_sales = Person.objects.filter(function=Function.SALES).count()
    assert visible_people(vp).filter(function=Function.SALES).count() == all_sales

    director = users["Regional director"]
    assert Role.SENIOR_SALES_LEADER in roles_of(director)
    assert director.person.job_title.startswith("Regional Sales Director")
    assert 0 < visible_people(director).count() <= all_sales

    manager = users["Sales manager"]
    assert roles_of(manager) == {Role.SALES_MANAGER}
    assert manager.person.manager == director.person
    assert manager.person.manager_since is not None

    seller = users["Seller"]
    assert roles_of(seller) == {Role.SELLER}
    assert seller.person.manager == manager.person

    outsider = users["Manager, other function"]
    assert roles_of(outsider) == set()
    assert outsider.person.function not in (Function.SALES, Function.HR)
    assert outsider.person.direct_reports.exists()

    assert_printed_logins_tell_one_story(logins)  # after every step, not only the people step

    # Nobody else got the demo password.
    others = Person.objects.exclude(user__in=users.values()).exclude(user=None).select_related("user")[:20]
    assert all(not p.user.has_usable_password() for p in others)


def assert_printed_logins_tell_one_story(logins: dict[str, dict[str, str]]) -> None:
    """The printed HR partner supports the printed sales manager, the printed senior leader and director are
    above that manager and the printed seller reports to them, as the app's own scoping sees it."""
    users = {role: User.objects.get(email=login["email"]) for role, login in logins.items()}
    manager, seller = users["Sales manager"].person, users["Seller"].person
    assert seller.manager == manager
    for role in ("HR partner", "Senior sales leader", "Regional director"):
        forget_scope(users[role])
        seen = visible_people(users[role])
        assert seen.filter(pk=manager.pk).exists(), (role, logins[role], logins["Sales manager"])
        assert seen.filter(pk=seller.pk).exists(), (role, logins[role], logins["Seller"])
    forget_scope(users["Sales manager"])
    assert visible_people(users["Sales manager"]).filter(pk=seller.pk).exists()
    partner = users["HR partner"]
    assert Role.HR_PARTNER in roles_of(partner)
    assert scope_for(partner).hr_unit_paths
    assert not scope_for(partner).has(Role.SENIOR_SALES_LEADER)  # sees the manager as HR, not as a leader
    for leader in ("Senior sales leader", "Regional director"):
        assert manager.path.startswith(users[leader].person.path)  # above the manager in the reporting line
    assert manager.manager == users["Regional director"].person


# Seeds and sizes where the partner with the most regions was not the manager's own partner, and small ones.
@pytest.mark.parametrize(("seed", "sellers"), [(2, 60), (3, 60), (5, 60), (1, 120), (4, 10), (9, 20), (11, 35)])
def test_the_printed_hr_partner_supports_the_printed_sales_manager(seed, sellers):
    assert_printed_logins_tell_one_story(printed_logins(run_demo(sellers=sellers, seed=seed)))


def test_writes_the_hr_file_truth_and_logins_and_imports_the_whole_file(tmp_path):
    output = run_demo(sellers=20, seed=5)
    demo_dir = tmp_path / "demo"
    plan = generate_company(seed=5, sellers=20)
    assert (demo_dir / "people.csv").read_text(encoding="utf-8") == people_csv(plan)
    assert '"struggling_managers"' in (demo_dir / "people_truth.json").read_text(encoding="utf-8")
    assert (demo_dir / "logins.txt").read_text(encoding="utf-8").strip() in output
    assert Person.objects.count() == len(plan.people)
    assert Person.objects.filter(status=EmploymentStatus.INACTIVE).count() == len(
        [p for p in plan.people if p.status == "inactive"]
    )
    record = PeopleImport.objects.get()
    assert record.status == PeopleImport.Status.SUCCEEDED
    assert record.errors == []


def test_refuses_to_run_on_a_database_with_people():
    run_demo(sellers=20)
    count = Person.objects.count()
    with pytest.raises(CommandError, match=r"already has \d+ people.*--reset"):
        run_demo(sellers=20, seed=9)
    assert Person.objects.count() == count
    assert PeopleImport.objects.count() == 1


def test_reset_wipes_people_sign_ins_and_imports_and_builds_a_new_company():
    first = printed_logins(run_demo(sellers=20))
    stray_user = UserFactory(email="someone@elsewhere.example")
    stray_person = PersonFactory(employee_id="X1", email="stray@elsewhere.example")

    second = printed_logins(run_demo(sellers=20, seed=8, reset=True))

    assert not User.objects.filter(pk=stray_user.pk).exists()
    assert not Person.objects.filter(pk=stray_person.pk).exists()
    assert Person.objects.count() == len(generate_company(seed=8, sellers=20).people)
    assert PeopleImport.objects.count() == 1
    assert first["Seller"]["email"] != second["Seller"]["email"]
    new_emails = {p.email for p in generate_company(seed=8, sellers=20).people} | {"admin@kestrel.example"}
    assert set(User.objects.values_list("email", flat=True)) <= new_emails  # only the new company's sign-ins
    for login in second.values():
        assert authenticate(email=login["email"], password=login["password"]) is not None
    assert AuditEvent.objects.filter(action="demo.administrator_created").count() == 1


def test_same_seed_after_reset_gives_the_same_logins():
    first = printed_logins(run_demo(sellers=20))
    again = printed_logins(run_demo(sellers=20, reset=True))
    assert first == again


def test_password_from_option_or_environment(monkeypatch):
    logins = printed_logins(run_demo(sellers=20, password="kestrel-tour-2026"))
    assert authenticate(email=logins["Seller"]["email"], password="kestrel-tour-2026") is not None
    assert authenticate(email=logins["Seller"]["email"], password=DEMO_PASSWORD) is None

    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment-7")
    logins = printed_logins(run_demo(sellers=20, reset=True))
    assert logins["Sales manager"]["password"] == "from-the-environment-7"
    assert authenticate(email=logins["Sales manager"]["email"], password="from-the-environment-7") is not None


def test_weak_password_and_bad_size_are_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="too weak"):
        run_demo(sellers=20, password="short")
    with pytest.raises(CommandError, match="--sellers must be between 10 and"):
        run_demo(sellers=3)
    assert not Person.objects.exists()
    assert not User.objects.exists()


def test_later_steps_run_after_people_and_their_reset_hooks_run_first(monkeypatch):
    monkeypatch.setattr(demo.registry, "_STEPS", dict(demo.registry._STEPS))
    calls: list[str] = []

    def coaching_step(context):
        assert context.plan is not None  # the people step ran first and left the plan
        assert Person.objects.filter(employee_id=context.plan.sales_managers[0].employee_id).exists()
        calls.append("coaching step")
        context.logins.append(DemoLogin("Coach", "Cora Coach", "cora@kestrel.example", "coaching notes"))

    def coaching_reset():
        assert Person.objects.exists()  # runs before the people are wiped
        calls.append("coaching reset")

    register_demo_step("coaching", 50, coaching_step, reset=coaching_reset)
    output = run_demo(sellers=20, only="coaching")
    assert calls == ["coaching step"]
    assert printed_logins(output)["Coach"]["email"] == "cora@kestrel.example"
    assert output.index("Demo step: people") < output.index("Demo step: coaching")

    run_demo(sellers=20, reset=True, only="coaching")
    assert calls == ["coaching step", "coaching reset", "coaching step"]


def test_only_names_known_steps():
    with pytest.raises(CommandError, match="Unknown demo step"):
        run_demo(sellers=20, only="people,nonsense")
    output = run_demo(sellers=20, only="training")
    assert "Demo step: training" in output
    assert "Demo step: crm" not in output
