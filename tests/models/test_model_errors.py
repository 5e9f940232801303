"""What an asker is told when the model server fails: never its address nor what it sent back."""

import pytest

from datasette_llm.models.http_client import HttpFailure
from datasette_llm.models.openai import server_address, translate_error

pytestmark = pytest.mark.no_datasette

URL = "http://opsuser:S3CRETPASS@10.1.2.3:8815/v1"


@pytest.mark.parametrize(
    "failure",
    [
        HttpFailure("status", "SECRETMODELTEXT upstream body", 500),
        HttpFailure("status", "SECRETMODELTEXT", 400),
        HttpFailure("status", "context SECRETMODELTEXT", 400),
        HttpFailure("status", "SECRETMODELTEXT", 401),
        HttpFailure("status", "SECRETMODELTEXT", 404),
        HttpFailure("status", "SECRETMODELTEXT", 429),
        HttpFailure("connection", "ConnectError http://opsuser:S3CRETPASS@10.1.2.3:8815 SECRETMODELTEXT"),
        HttpFailure("timeout", "10.1.2.3 SECRETMODELTEXT"),
    ],
)
def test_the_asker_is_not_told_the_servers_address_nor_its_text(failure, caplog):
    """An outside tester (session 34): any asker was told the operator's model URL, with its password, and the
    server's error body, when the model failed."""
    message = translate_error(failure, "m", URL).message
    assert not {"S3CRETPASS", "opsuser", "10.1.2.3", "SECRETMODELTEXT"} & set(message.replace(":", " ").split()), (
        message
    )
    assert "S3CRETPASS" not in message and "10.1.2.3" not in message and "SECRETMODELTEXT" not in message
    assert (
        "10.1.2.3:8815" in caplog.text and "S3CRETPASS" not in caplog.text
    )  # the operator's log: where, not the password


def test_the_plugins_own_description_of_a_bad_reply_is_kept():
    message = translate_error(HttpFailure("too_large", "its reply is longer than 12,288 characters"), "m", URL).message
    assert message.endswith("unusable response: its reply is longer than 12,288 characters")


def test_the_address_drops_credentials():
    assert server_address(URL) == "http://10.1.2.3:8815/v1"
    assert server_address(None) == "api.openai.com"
