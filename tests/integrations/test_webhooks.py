"""Webhooks out: events after commit, signed JSON to a real receiver on loopback, retries with
backoff, the delivery log, the CEO's pages, and a dead receiver or broker never holding a write."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations import events, tasks, webhooks
from integrations.models import WebhookDelivery, WebhookSubscription
from operations import services as operations_services
from pipeline import services as pipeline_services
from sopdesk.roles import CEO, OPERATIONS, SALES
from sopdesk.signals import domain_event
from tests.operations.factories import ProposalFactory
from tests.pipeline.factories import OpportunityFactory, default_stages

SECRET = "a-shared-secret-for-the-tests-0123456789"


# --- a receiver on loopback ------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers the queued codes
    (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"receiver is having a bad day")

            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sopdesk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _no_forecast_recompute(monkeypatch):
    """Writes here would recompute the forecast eagerly after their commit (the embedded mode):
    slow, and beside the point. Its enqueue is tested in tests/forecasting."""
    from forecasting import services as forecasting_services

    monkeypatch.setattr(forecasting_services, "enqueue_recompute", lambda: None)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def closed_port_url():
    """An address where nothing listens: the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def hung_url():
    """An address that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    sock.close()


@pytest.fixture
def queue(monkeypatch):
    """A worker set-up (Celery not eager) whose broker records the enqueued tasks; `run()`
    executes them as the worker would."""

    class Queue:
        def __init__(self) -> None:
            self.sent: list[tuple[int, float | None]] = []

        def run(self) -> list[str | None]:
            sent, self.sent = self.sent, []
            # A worker runs outside any transaction: the retry it enqueues goes out at once.
            with TestCase.captureOnCommitCallbacks(execute=True):
                return [tasks.deliver_webhook(delivery_id) for delivery_id, _ in sent]

    recorded = Queue()

    def apply_async(args, countdown=None, **kwargs):
        recorded.sent.append((args[0], countdown))

    monkeypatch.setattr(events, "_embedded", lambda: False)
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", apply_async)
    return recorded


@pytest.fixture
def quick_webhooks(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30.0
    settings.WEBHOOK_MAX_ATTEMPTS = 6
    return settings


def subscribe(url: str, events_: list[str] | None = None, **extra) -> WebhookSubscription:
    return webhooks.subscription_create(
        data={"url": url, "events": events_ or ["opportunity.won", "opportunity.lost"], "secret": SECRET, **extra},
        actor=None,
    )


def win(opportunity, actor):
    return pipeline_services.opportunity_move_stage(opportunity=opportunity, stage=default_stages()["Won"], actor=actor)


def make_due(delivery: WebhookDelivery) -> None:
    """Move the clock past the retry: the next attempt is due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


# --- events, after commit only --------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_fires_after_the_commit_never_inside_the_transaction(
    sales, receiver, queue, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    sent = []
    domain_event.connect(lambda **kw: sent.append(kw["event"]), weak=False, dispatch_uid="test-after-commit")
    try:
        opportunity = OpportunityFactory(owner=sales)
        with django_capture_on_commit_callbacks(execute=True):
            win(opportunity, sales)
            assert sent == []  # the transaction is still open: nothing announced yet
            assert not WebhookDelivery.objects.exists()
    finally:
        domain_event.disconnect(dispatch_uid="test-after-commit")
    assert sent == ["opportunity.won"]
    assert WebhookDelivery.objects.get().status == "pending"
    assert len(queue.sent) == 1


@pytest.mark.django_db
def test_a_rolled_back_write_sends_nothing(sales, receiver, queue, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    opportunity = OpportunityFactory(owner=sales)

    def move_then_fail() -> None:
        with transaction.atomic():
            win(opportunity, sales)
            raise RuntimeError("something after the move failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        move_then_fail()
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert queue.sent == []
    assert receiver.requests == []


@pytest.mark.django_db
def test_each_interested_active_subscription_gets_one_delivery_in_one_insert(receiver, django_assert_num_queries):
    wanted = [subscribe(receiver.url), subscribe(receiver.url + "?b")]
    subscribe(receiver.url, ["proposal.decided"])
    subscribe(receiver.url, is_active=False)
    payload = {"event": "opportunity.won", "event_id": "4d6f5b3e-1f0e-4f1e-9a57-0a4c3e1b2c3d", "data": {}}
    with django_assert_num_queries(2):  # the subscriptions, then one INSERT of the deliveries
        ids = webhooks.deliveries_create(event="opportunity.won", payload=payload)
    deliveries = WebhookDelivery.objects.filter(pk__in=ids)
    assert sorted(d.subscription_id for d in deliveries) == sorted(s.pk for s in wanted)
    assert {str(d.event_id) for d in deliveries} == {payload["event_id"]}


@pytest.mark.django_db
def test_won_and_lost_fire_on_reaching_the_stage_only(sales, receiver, queue, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    stages = default_stages()
    opportunity = OpportunityFactory(owner=sales)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_services.opportunity_move_stage(opportunity=opportunity, stage=stages["Negotiate"], actor=sales)
        pipeline_services.opportunity_update(opportunity=opportunity, data={"title": "Renamed"}, actor=sales)
    assert not WebhookDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_services.opportunity_move_stage(
            opportunity=opportunity, stage=stages["Lost"], actor=sales, lost_reason="Price"
        )
        pipeline_services.opportunity_update(
            opportunity=opportunity, data={"lost_reason": "Price, really"}, actor=sales
        )
        win(opportunity, sales)
        pipeline_services.opportunity_update(opportunity=opportunity, data={"amount": Decimal("13000")}, actor=sales)
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)) == [
        "opportunity.lost",
        "opportunity.won",
    ]


@pytest.mark.django_db
def test_an_opportunity_entered_as_won_fires_too(sales, receiver, queue, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    template = OpportunityFactory(owner=sales)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_services.opportunity_create(
            data={
                "customer": template.customer,
                "title": "Imported win",
                "channel": template.channel,
                "stage": default_stages()["Won"],
                "amount": Decimal("900"),
                "expected_close_date": dt.date(2026, 12, 1),
                "created_on": dt.date(2026, 10, 1),
            },
            actor=sales,
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["opportunity"]["title"] == "Imported win"


# --- the payload, signed, to a real receiver ---------------------------------------------------


@pytest.mark.django_db
def test_the_receiver_gets_signed_json_it_can_verify(
    sales, receiver, queue, quick_webhooks, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    opportunity = OpportunityFactory(owner=sales, amount=Decimal("12000"))
    with django_capture_on_commit_callbacks(execute=True):
        win(opportunity, sales)
    assert queue.run() == ["delivered"]

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Sopdesk-Signature"], expected)
    assert headers["X-Sopdesk-Signature"] != "sha256=" + hmac.new(b"another secret", body, hashlib.sha256).hexdigest()
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Sopdesk-Event"] == "opportunity.won"
    payload = json.loads(body)
    assert headers["X-Sopdesk-Delivery"] == payload["event_id"]
    assert payload["event"] == "opportunity.won"
    assert dt.datetime.fromisoformat(payload["occurred_at"]) <= timezone.now()
    data = payload["data"]["opportunity"]
    assert data["id"] == opportunity.pk
    assert data["status"] == "won"
    assert data["amount"] == "12000.00"
    assert data["customer"]["name"] == opportunity.customer.name
    assert data["url"] == f"/api/v1/opportunities/{opportunity.pk}/"

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None
    assert str(delivery.event_id) == payload["event_id"]


@pytest.mark.django_db
def test_payload_urls_are_absolute_with_the_base_url(
    sales, receiver, queue, settings, django_capture_on_commit_callbacks
):
    settings.SOPDESK_BASE_URL = "https://sopdesk.example.com/"
    subscribe(receiver.url)
    opportunity = OpportunityFactory(owner=sales)
    with django_capture_on_commit_callbacks(execute=True):
        win(opportunity, sales)
    url = WebhookDelivery.objects.get().payload["data"]["opportunity"]["url"]
    assert url == f"https://sopdesk.example.com/api/v1/opportunities/{opportunity.pk}/"


@pytest.mark.django_db
def test_a_decided_proposal_is_announced(ceo, operations, receiver, queue, django_capture_on_commit_callbacks):
    subscribe(receiver.url, ["proposal.decided"])
    proposal = ProposalFactory(proposer=operations, status="proposed")
    with django_capture_on_commit_callbacks(execute=True):
        operations_services.proposal_decide(proposal=proposal, decision="approve", note="Go", actor=ceo)
    queue.run()
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["event"] == "proposal.decided"
    assert payload["data"]["proposal"] | {"decided_at": None} == {
        "id": proposal.pk,
        "title": proposal.title,
        "side": "operations",
        "status": "approved",
        "one_off_cost": "5000.00",
        "monthly_cost": "6400.00",
        "start_week": "2027-01-04",
        "decision_note": "Go",
        "decided_by": ceo.get_username(),
        "decided_at": None,
        "url": f"/api/v1/proposals/{proposal.pk}/",
    }


@pytest.mark.django_db
def test_a_completed_forecast_run_is_announced(receiver, queue, django_capture_on_commit_callbacks):
    from forecasting import services as forecasting_services
    from forecasting import state

    subscribe(receiver.url, ["forecast.run.completed"])
    state.mark_inputs_changed()
    with django_capture_on_commit_callbacks(execute=True):
        run = forecasting_services.forecast_recompute(today=dt.date(2026, 11, 25), fan_out=False)
    assert run is not None
    assert run.is_current
    delivery = WebhookDelivery.objects.get()
    data = delivery.payload["data"]["run"]
    assert (data["id"], data["status"], data["is_current"]) == (run.pk, "succeeded", True)
    assert data["url"] == f"/api/v1/forecast/runs/{run.pk}/"
    assert queue.run() == ["delivered"]


# --- retries, backoff and the log --------------------------------------------------------------


@pytest.mark.django_db
def test_a_500_is_retried_with_backoff_then_delivered(
    sales, receiver, queue, quick_webhooks, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        win(OpportunityFactory(owner=sales), sales)
    before = timezone.now()
    assert queue.run() == ["pending"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert "HTTP 500" in delivery.last_error
    assert "bad day" in delivery.last_error  # the start of the receiver's answer
    assert dt.timedelta(seconds=29) < delivery.next_attempt_at - before < dt.timedelta(seconds=31)
    [(retry_id, countdown)] = queue.sent
    assert (retry_id, countdown) == (delivery.pk, 30.0)

    assert queue.run() == [None]  # the retry's task arriving early (or twice) does nothing
    assert len(receiver.requests) == 1

    make_due(delivery)
    queue.sent = [(delivery.pk, None)]
    assert queue.run() == ["delivered"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["X-Sopdesk-Delivery"] == second["headers"]["X-Sopdesk-Delivery"]

    assert tasks.deliver_webhook.apply(args=[delivery.pk]).get() is None  # delivered: never resent
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_the_delay_doubles_and_the_delivery_fails_after_the_last_attempt(receiver, queue, quick_webhooks):
    quick_webhooks.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(receiver.url)
    receiver.answers = [500, 502, 503]
    [delivery_id] = webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000001"},
    )
    countdowns = []
    for attempt in range(3):
        if attempt:
            make_due(WebhookDelivery(pk=delivery_id))
        queue.sent = [(delivery_id, None)]
        queue.run()
        countdowns += [countdown for _, countdown in queue.sent]
    delivery = WebhookDelivery.objects.get()
    assert countdowns == [30.0, 60.0]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert delivery.next_attempt_at is None
    assert [webhooks.retry_delay(n) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]


@pytest.mark.django_db
def test_a_duplicate_task_during_an_attempt_sends_nothing_and_the_sweep_takes_over_a_dead_one(receiver, queue):
    subscribe(receiver.url)
    [delivery_id] = webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000006"},
    )
    in_flight = webhooks._claim(delivery_id, timezone.now())  # a worker took it, then died mid-attempt
    assert in_flight is not None
    assert webhooks._claim(delivery_id, timezone.now()) is None
    assert tasks.deliver_webhook(delivery_id) is None  # the redelivered message
    assert receiver.requests == []
    assert webhooks.deliveries_overdue() == []
    later = in_flight.next_attempt_at + webhooks.SWEEP_GRACE + dt.timedelta(seconds=1)
    assert webhooks.deliveries_overdue(now=later) == [delivery_id]
    make_due(in_flight)
    queue.sent = [(delivery_id, None)]
    assert queue.run() == ["delivered"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, len(receiver.requests)) == (2, 1)


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, queue, quick_webhooks):
    subscribe(receiver.url)
    receiver.answers = [302]
    webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000002"},
    )
    queue.sent = [(WebhookDelivery.objects.get().pk, None)]
    assert queue.run() == ["pending"]
    assert WebhookDelivery.objects.get().last_status_code == 302
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_refused_connection_is_logged_and_retried(closed_port_url, queue, quick_webhooks):
    subscribe(closed_port_url)
    webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000003"},
    )
    queue.sent = [(WebhookDelivery.objects.get().pk, None)]
    assert queue.run() == ["pending"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower()


@pytest.mark.django_db
def test_a_deactivated_subscription_receives_nothing_more(receiver, queue):
    subscription = subscribe(receiver.url)
    webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000004"},
    )
    webhooks.subscription_deactivate(subscription=subscription, actor=None)
    queue.sent = [(WebhookDelivery.objects.get().pk, None)]
    assert queue.run() == [None]
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "deactivated" in delivery.last_error
    assert webhooks.deliveries_create(event="opportunity.won", payload={"event_id": "x"}) == []


@pytest.mark.django_db
def test_the_delivery_log_shows_codes_and_attempts_and_resends_a_failed_one(
    ceo, receiver, queue, quick_webhooks, client_for, django_capture_on_commit_callbacks
):
    quick_webhooks.WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(receiver.url)
    receiver.answers = [500]
    webhooks.deliveries_create(
        event="opportunity.won",
        payload={"event": "opportunity.won", "event_id": "0b4d3c0e-0000-4000-8000-000000000005"},
    )
    delivery = WebhookDelivery.objects.get()
    queue.sent = [(delivery.pk, None)]
    assert queue.run() == ["failed"]

    client = client_for(ceo)
    page = client.get(reverse("integrations:webhook-delivery-list"), {"status": "failed"})
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(row.pk, row.attempts, row.last_status_code) for row, _ in rows] == [(delivery.pk, 1, 500)]
    content = page.content.decode()
    assert "HTTP 500" in content
    assert 'data-status="failed"' in content
    assert "Resend" in content
    assert client.get(reverse("integrations:webhook-delivery-list"), {"status": "delivered"}).context["rows"] == []

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("integrations:webhook-delivery-resend", args=[delivery.pk]))
    assert answer.status_code == 302
    assert queue.run() == ["delivered"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    again = client.post(reverse("integrations:webhook-delivery-resend", args=[delivery.pk]), follow=True)
    assert "Only a failed delivery can be resent." in again.content.decode()


@pytest.mark.django_db
def test_the_webhook_pages_run_the_same_queries_for_many_rows(ceo, receiver, client_for):
    client = client_for(ceo)

    def queries(route: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(route)).status_code == 200
        return len(captured)

    def add_rows(count: int) -> None:
        subscription = subscribe(receiver.url)
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(subscription=subscription, event="opportunity.won", payload={"n": n}, status=status)
            for n in range(count)
            for status in ("pending", "delivered", "failed")
        )

    add_rows(1)
    few = queries("integrations:webhook-delivery-list"), queries("integrations:webhook-list")
    for _ in range(5):
        add_rows(10)
    assert (queries("integrations:webhook-delivery-list"), queries("integrations:webhook-list")) == few


# --- a dead receiver, a broker that is down ----------------------------------------------------


@pytest.mark.django_db
def test_a_broker_that_is_down_never_fails_the_write_and_the_sweep_sends_later(
    sales, receiver, monkeypatch, api_client_for, django_capture_on_commit_callbacks, caplog
):
    subscribe(receiver.url)
    opportunity = OpportunityFactory(owner=sales)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(events, "_embedded", lambda: False)
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client_for(sales).patch(
            reverse("opportunity-detail", args=[opportunity.pk]), {"stage": default_stages()["Won"].name}, format="json"
        )
    assert answer.status_code == 200, answer.content
    opportunity.refresh_from_db()
    assert opportunity.stage.is_won
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "periodic sweep" in caplog.text

    # The broker is back: the sweep enqueues what is overdue.
    sent = []
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", lambda args, **kw: sent.append(args[0]))
    assert tasks.webhook_sweep.apply().get() == 0  # not overdue yet: its own task may be on the way
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.webhook_sweep.apply().get() == 1
    assert sent == [delivery.pk]
    assert tasks.deliver_webhook.apply(args=[delivery.pk]).get() == "delivered"
    assert len(receiver.requests) == 1


@pytest.fixture
def embedded(settings):
    """The embedded mode for real: eager Celery, real commits, the background thread."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    assert events._embedded()
    yield settings
    assert events.background.wait_idle(timeout=15), "the webhook thread did not finish"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("dead", ["hung_url", "closed_port_url"])
def test_a_dead_receiver_never_blocks_the_users_write(dead, request, sales, client_for, embedded):
    url = request.getfixturevalue(dead)
    subscribe(url)
    opportunity = OpportunityFactory(owner=sales)
    won = default_stages()["Won"]
    client = client_for(sales)
    client.get(reverse("pipeline:opportunity-detail", args=[opportunity.pk]))  # warm up

    started = time.monotonic()
    answer = client.post(reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": won.pk})
    elapsed = time.monotonic() - started

    assert answer.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage_id == won.pk
    # A delivery inside the request would have waited for the 2 s timeout (twice).
    assert elapsed < 1.0, f"the write took {elapsed:.2f}s"
    assert events.background.wait_idle(timeout=15)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, None)
    assert delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_the_embedded_mode_retries_in_the_background_until_delivered(sales, receiver, embedded):
    subscribe(receiver.url)
    receiver.answers = [503]
    opportunity = OpportunityFactory(owner=sales)
    win(opportunity, sales)  # autocommit: the event goes out on the commit
    assert events.background.wait_idle(timeout=15)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.requests) == 2


# --- the CEO's pages ---------------------------------------------------------------------------


def _routes(subscription: WebhookSubscription, delivery: WebhookDelivery) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("integrations:webhook-list"), {}),
        ("get", reverse("integrations:webhook-create"), {}),
        ("post", reverse("integrations:webhook-create"), {"url": "https://x.example/h", "events": ["opportunity.won"]}),
        ("get", reverse("integrations:webhook-edit", args=[subscription.pk]), {}),
        ("post", reverse("integrations:webhook-edit", args=[subscription.pk]), {"url": "https://y.example/h"}),
        ("post", reverse("integrations:webhook-deactivate", args=[subscription.pk]), {}),
        ("get", reverse("integrations:webhook-delivery-list"), {}),
        ("post", reverse("integrations:webhook-delivery-resend", args=[delivery.pk]), {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_the_webhook_pages_are_the_ceos_only(role, users_by_role, client_for):
    subscription = subscribe("https://hooks.example.com/sopdesk")
    delivery = WebhookDelivery.objects.create(subscription=subscription, event="opportunity.won", status="failed")
    client = client_for(users_by_role[role])
    for method, route, data in _routes(subscription, delivery):
        response = getattr(client, method)(route, data)
        if role == "anonymous":
            assert response.status_code == 302, route
            assert response["Location"].startswith(reverse("login")), route
        elif role == CEO:
            assert response.status_code in (200, 302), (route, response.status_code)
        else:
            assert response.status_code == 403, (role, route)
    if role != CEO:
        assert WebhookSubscription.objects.get().url == "https://hooks.example.com/sopdesk"
        assert WebhookSubscription.objects.get().is_active


@pytest.mark.django_db
def test_the_ceo_creates_a_webhook_with_a_generated_secret_and_edits_it(ceo, client_for):
    client = client_for(ceo)
    form_page = client.get(reverse("integrations:webhook-create"))
    secret = form_page.context["form"].initial["secret"]
    assert len(secret) >= 32
    assert secret in form_page.content.decode()  # shown, to copy to the receiver
    assert "forecast.run.completed" in form_page.content.decode()

    answer = client.post(
        reverse("integrations:webhook-create"),
        {
            "url": "https://erp.example.com/hooks",
            "events": ["proposal.decided", "opportunity.won"],
            "secret": secret,
            "description": "ERP",
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert (subscription.url, subscription.events, subscription.secret, subscription.created_by) == (
        "https://erp.example.com/hooks",
        ["proposal.decided", "opportunity.won"],
        secret,
        ceo,
    )
    listing = client.get(reverse("integrations:webhook-list")).content.decode()
    assert "https://erp.example.com/hooks" in listing
    assert "ERP" in listing

    edit = reverse("integrations:webhook-edit", args=[subscription.pk])
    assert secret in client.get(edit).content.decode()
    client.post(edit, {"url": "https://erp.example.com/v2", "events": ["opportunity.lost"], "secret": "n" * 20})
    subscription.refresh_from_db()
    assert (subscription.url, subscription.events, subscription.secret, subscription.is_active) == (
        "https://erp.example.com/v2",
        ["opportunity.lost"],
        "n" * 20,
        False,  # the box was left unticked
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://files.example.com/", "events": ["opportunity.won"]}, "url"),
        ({"url": "https://x.example.com/", "events": []}, "events"),
        ({"url": "https://x.example.com/", "events": ["order.shipped"]}, "events"),
        ({"url": "https://x.example.com/", "events": ["opportunity.won"], "secret": "short"}, "secret"),
    ],
)
def test_a_bad_webhook_is_refused_with_the_field_and_nothing_saved(data, field, ceo, client_for):
    data = {"secret": "s" * 20, **data}
    answer = client_for(ceo).post(reverse("integrations:webhook-create"), data)
    assert answer.status_code == 200
    assert field in answer.context["form"].errors
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_deactivating_stops_the_events(ceo, sales, client_for, queue, django_capture_on_commit_callbacks):
    subscription = subscribe("https://hooks.example.com/sopdesk")
    answer = client_for(ceo).post(reverse("integrations:webhook-deactivate", args=[subscription.pk]))
    assert answer.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active
    with django_capture_on_commit_callbacks(execute=True):
        win(OpportunityFactory(owner=sales), sales)
    assert not WebhookDelivery.objects.exists()
