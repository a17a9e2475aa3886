"""The handler's pages explain themselves: a home page at /, one small stylesheet the CSP allows, and
the connected accounts named as account and Facebook Page."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx


def test_home_page_says_what_the_service_is_and_how_to_connect(oauth):
    response = httpx.get(f"{oauth.url}/", timeout=30)
    assert response.status_code == 200
    assert "Connect your Instagram account" in response.text and "connect link" in response.text


def test_pages_are_styled_by_the_one_stylesheet_the_csp_allows(oauth):
    response = httpx.get(f"{oauth.url}/instagram/connect", timeout=30)  # no link: a 403 page, styled too
    css = re.search(r"<style>(.*?)</style>", response.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy


def test_success_page_names_each_account_and_its_page_once(oauth):
    result = oauth.connect(oauth.user("linked"))
    assert result.status_code == 200
    assert "(Facebook Page: " in result.text
    assert not re.search(r"\(Page [^)]*Page\)", result.text), result.text
