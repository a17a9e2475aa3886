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
    from selenium.common.exceptions import StaleElementReferenceException
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
        # The page is navigating (dialog → callback → result): elements found mid-way may go stale.
        WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: "Instagram connected" in "".join(h.text for h in d.find_elements(By.TAG_NAME, "h1")))
        page = driver.page_source
    finally:
        driver.quit()
    rows = oauth.rows("SELECT * FROM instagram_connection")
    assert rows
    cipher = TokenCipher.from_settings(oauth.settings)
    for row in rows:
        token = cipher.decrypt(row["token_encrypted"])
        assert bytes(row["token_encrypted"]).startswith(b"gAAAA") and token not in page
