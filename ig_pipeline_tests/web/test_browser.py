"""A real browser (Debian's headless Chromium, driven by Selenium) connects an account."""

from __future__ import annotations

import shutil

import pytest

from ig_pipeline.connections.crypto import TokenCipher

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                 reason="Debian packages chromium and chromium-driver are not installed "
                                        "(.ci/run installs them)")]


def test_browser_connects_through_the_dialog(oauth):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        fb_user = oauth.user("linked")
        driver.get(oauth.link())
        select = driver.find_element(By.NAME, "fb_user")
        driver.execute_script("arguments[0].value = arguments[1]", select, fb_user)
        driver.find_element(By.CSS_SELECTOR, "button[name=decision][value=allow]").click()
        # The page is navigating (dialog → callback → result): read the headings in one script call, and
        # retry when the document changes under it (chromedriver reports that either as a stale element or
        # as a plain WebDriverException "Node with given id does not belong to the document").
        WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
            lambda d: "Instagram connected" in d.execute_script(
                "return Array.from(document.querySelectorAll('h1'), h => h.textContent).join(' ')"))
        page = driver.page_source
    finally:
        driver.quit()
    rows = oauth.rows("SELECT * FROM instagram_connection")
    assert rows
    cipher = TokenCipher.from_settings(oauth.settings)
    for row in rows:
        token = cipher.decrypt(row["token_encrypted"])
        assert bytes(row["token_encrypted"]).startswith(b"gAAAA") and token not in page
