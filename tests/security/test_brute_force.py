"""Guessing passwords: after AXES_FAILURE_LIMIT (5) failures for one username, or from one
address, logging in is refused for the cool-off time, even with the right password; an
administrator can lift the lockout; every attempt is recorded and visible in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from layers.accounts.roles import ADMIN, WORKER

pytestmark = pytest.mark.django_db

RIGHT = "zhengque-Mima-2026"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(db):
    from layers.accounts.roles import ensure_roles

    ensure_roles()
    worker = User.objects.create_user("wangge_bf", password=RIGHT)
    worker.groups.add(Group.objects.get(name=WORKER))
    other = User.objects.create_user("wangge_other", password=RIGHT)
    return worker, other


def login(username: str, password: str, ip: str = "10.1.1.1", path: str = "/accounts/login/"):
    return Client(REMOTE_ADDR=ip).post(path, {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and "/login/" not in response["Location"]


def locked_out(response) -> bool:
    body = response.content.decode()
    return response.status_code == 429 and "登录失败次数过多" in body and "联系管理员" in body


def test_five_wrong_passwords_then_the_right_one_is_refused_with_the_lockout_page(users):
    for _ in range(4):
        assert login("wangge_bf", "cuowu").status_code == 200  # the form again, with its error
    assert locked_out(login("wangge_bf", "cuowu"))  # the fifth failure locks
    refused = login("wangge_bf", RIGHT)
    assert locked_out(refused) and "30 分钟" in refused.content.decode()
    assert "sessionid" not in refused.cookies


def test_the_username_stays_locked_from_another_address(users):
    for i in range(5):
        login("wangge_bf", "cuowu", ip=f"10.2.0.{i}")  # one failure per address
    assert locked_out(login("wangge_bf", RIGHT, ip="10.9.9.9"))
    assert logged_in(login("wangge_other", RIGHT, ip="10.9.9.9"))  # the address itself is not locked


def test_guessing_across_usernames_from_one_address_locks_the_address(users):
    for name in ("a1", "a2", "a3", "a4", "a5"):
        login(name, "cuowu", ip="10.3.3.3")  # no username reaches the limit
    assert locked_out(login("wangge_other", RIGHT, ip="10.3.3.3"))  # the right password of another user
    assert logged_in(login("wangge_other", RIGHT, ip="10.3.3.4"))


def test_guessing_through_the_admin_login_is_locked_out_too(users):
    for _ in range(5):
        login("wangge_bf", "cuowu", path="/admin/login/")
    assert locked_out(login("wangge_bf", RIGHT, path="/admin/login/"))
    assert locked_out(login("wangge_bf", RIGHT))  # and on the site's login form: one counter


def test_the_api_takes_no_password_so_basic_auth_guessing_gets_nothing(users):
    import base64

    token = base64.b64encode(f"wangge_bf:{RIGHT}".encode()).decode()
    response = Client().get("/api/incidents/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 401 and response.json()["detail"].startswith("请先登录")
    assert not AccessLog.objects.exists()  # nobody logged in


def test_locked_out_json_callers_get_json(users):
    for _ in range(5):
        login("wangge_bf", "cuowu")
    response = Client(REMOTE_ADDR="10.1.1.1").post("/accounts/login/", {"username": "wangge_bf", "password": RIGHT},
                                                    HTTP_ACCEPT="application/json")
    assert response.status_code == 429 and "登录失败次数过多" in response.json()["detail"]


def test_administrator_unlocks_with_the_command(users):
    for _ in range(5):
        login("wangge_bf", "cuowu")
    assert locked_out(login("wangge_bf", RIGHT))
    call_command("axes_reset_username", "wangge_bf")
    assert logged_in(login("wangge_bf", RIGHT))


def test_administrator_of_the_group_unlocks_in_the_admin(users):
    for _ in range(5):
        login("wangge_bf", "cuowu")
    admin = User.objects.create_user("guanli_bf", password=RIGHT)
    admin.groups.add(Group.objects.get(name=ADMIN))  # not a superuser: the group's permissions
    c = Client(REMOTE_ADDR="10.7.7.7")
    assert logged_in(c.post("/admin/login/", {"username": "guanli_bf", "password": RIGHT}))
    listing = c.get("/admin/axes/accessattempt/?q=wangge_bf")
    assert listing.status_code == 200 and "wangge_bf" in listing.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="wangge_bf").values_list("pk", flat=True)]
    c.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert not AccessAttempt.objects.filter(username="wangge_bf").exists()
    assert logged_in(login("wangge_bf", RIGHT))


def test_attempts_are_recorded_without_the_password_and_shown_to_administrators(users):
    for _ in range(3):
        login("wangge_bf", "cuowu-secret", ip="10.4.4.4")
    assert logged_in(login("wangge_bf", RIGHT, ip="10.4.4.4"))
    failures = AccessFailureLog.objects.filter(username="wangge_bf")
    assert failures.count() == 3 and {f.ip_address for f in failures} == {"10.4.4.4"}
    attempt = AccessAttempt.objects.get(username="wangge_bf")
    assert attempt.failures_since_start == 3 and "cuowu-secret" not in attempt.post_data
    assert AccessLog.objects.filter(username="wangge_bf", ip_address="10.4.4.4").count() == 1
    admin = User.objects.create_user("guanli_log")
    admin.groups.add(Group.objects.get(name=ADMIN))
    c = Client()
    c.force_login(admin)
    for url, title in (("/admin/axes/accessattempt/", "登录尝试"), ("/admin/axes/accessfailurelog/", "登录失败记录"),
                       ("/admin/axes/accesslog/", "登录记录")):
        body = c.get(url).content.decode()
        assert "10.4.4.4" in body and title in body, url
    assert "登录安全" in c.get("/admin/").content.decode()


def test_the_lock_lifts_after_the_cooloff_time(users):
    for _ in range(5):
        login("wangge_bf", "cuowu")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    assert logged_in(login("wangge_bf", RIGHT))


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_address(users):
    for i in range(5):
        Client(REMOTE_ADDR="10.5.5.5", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").post(
            "/accounts/login/", {"username": f"b{i}", "password": "cuowu"})
    forged = Client(REMOTE_ADDR="10.5.5.5", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert locked_out(forged.post("/accounts/login/", {"username": "wangge_other", "password": RIGHT}))
