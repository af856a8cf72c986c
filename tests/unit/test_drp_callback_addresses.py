"""A DRP status callback goes where the agent's signed request says, so dsr refuses to POST to
an address inside the provider's own network unless DSR_DRP_CALLBACK_PRIVATE_HOSTS allows it."""

from __future__ import annotations

import pytest

from dsr.drp.callbacks import refuse_private_address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cb",
        "https://localhost/cb",
        "https://10.1.2.3/cb",
        "https://192.168.0.10/cb",
        "https://169.254.169.254/latest/meta-data",  # a cloud metadata service
        "https://[::1]/cb",
        "https://[fd00::1]/cb",
    ],
)
async def test_private_and_loopback_addresses_are_refused(url: str) -> None:
    with pytest.raises(RuntimeError, match="not a public address"):
        await refuse_private_address(url)


async def test_a_public_address_passes() -> None:
    await refuse_private_address("https://93.184.215.14/drp/callback")  # a literal: no DNS


async def test_a_host_without_a_name_is_refused() -> None:
    with pytest.raises(RuntimeError, match="no host"):
        await refuse_private_address("https:///cb")
