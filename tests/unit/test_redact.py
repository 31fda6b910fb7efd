"""Secrets in feed URLs never reach logs, events or the dashboard."""

import pytest

from infra.redact import redact_url, redact_urls_in


class TestQuerySecrets:
    @pytest.mark.parametrize(
        "name",
        [
            "token",
            "key",
            "api_key",
            "APIKEY",
            "Secret",
            "password",
            "pass",
            "auth",
            "signature",
            "sig",
            "access_token",
            "client_secret",
            "session",
            "partner_token",
            "feed_key",
        ],
    )
    def test_a_secret_looking_parameter_loses_its_value(self, name: str) -> None:
        assert (
            redact_url(f"https://jobs.example/feed?{name}=s3cr3t")
            == f"https://jobs.example/feed?{name}=REDACTED"
        )

    def test_ordinary_parameters_keep_their_exact_spelling(self) -> None:
        url = "https://jobs.example/feed?category=back%20end&page=2&keyword=rust"
        assert redact_url(url) == url

    def test_only_the_secret_among_several_parameters_is_hidden(self) -> None:
        redacted = redact_url("https://jobs.example/feed?page=2&api_key=s3cr3t&sort=new")
        assert redacted == "https://jobs.example/feed?page=2&api_key=REDACTED&sort=new"

    def test_a_semicolon_cannot_smuggle_a_secret_inside_another_value(self) -> None:
        assert "s3cr3t" not in redact_url("https://jobs.example/feed?page=2;token=s3cr3t")

    def test_a_percent_encoded_name_is_still_recognised(self) -> None:
        assert "s3cr3t" not in redact_url("https://jobs.example/feed?api%5Fkey=s3cr3t")

    def test_a_token_in_the_fragment_is_hidden_too(self) -> None:
        assert "s3cr3t" not in redact_url("https://jobs.example/feed#access_token=s3cr3t")


class TestUserinfo:
    def test_a_password_is_hidden_and_the_user_kept(self) -> None:
        redacted = redact_url("https://reader:hunter2@jobs.example:8443/feed")
        assert redacted == "https://reader:REDACTED@jobs.example:8443/feed"

    def test_a_url_without_credentials_is_unchanged(self) -> None:
        assert redact_url("https://jobs.example/feed.xml") == "https://jobs.example/feed.xml"

    def test_an_unparseable_url_is_hidden_entirely(self) -> None:
        assert redact_url("http://[reader:hunter2@jobs.example/feed") == "REDACTED"


def test_urls_quoted_in_a_message_are_redacted() -> None:
    message = "ConnectError: cannot reach https://reader:hunter2@jobs.example/feed?token=s3cr3t now"
    redacted = redact_urls_in(message)
    assert "hunter2" not in redacted
    assert "s3cr3t" not in redacted
    assert redacted.startswith("ConnectError: cannot reach https://reader:REDACTED@jobs.example/feed")
