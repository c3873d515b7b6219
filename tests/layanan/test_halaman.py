"""The web page in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, installed by `make browser`) driven by Selenium, against the service
running on a port of its own. A refused login, then the lists a regency's officer needs."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.layanan.conftest import KK_JABAR

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is missing: `make browser` installs Debian's chromium and chromium-driver")
        pytest.skip("no chromium/chromedriver here (make browser installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def server(published):
    import uvicorn

    from layanan.app import buat_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(buat_app(published), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the service did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def click_and_wait(browser, element) -> None:
    """Click what submits a form, and wait until the browser has the next page."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(element))


def test_an_officer_logs_in_picks_a_regency_and_downloads_the_list(browser, server, keys, published, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    browser.find_element(By.ID, "kunci").send_keys("dtsen_000000000000_" + "x" * 43)
    click_and_wait(browser, browser.find_element(By.ID, "masuk"))
    assert "Ditolak" in browser.find_element(By.ID, "galat").text  # a refused login, said on the page
    assert browser.current_url.endswith("/masuk")

    browser.find_element(By.ID, "kunci").send_keys(keys.jabar)
    click_and_wait(browser, browser.find_element(By.ID, "masuk"))
    assert browser.current_url.endswith("/halaman")
    assert "PEMPROV JABAR" in browser.page_source
    provinces = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "provinsi")).options]
    assert provinces == ["32"]  # a Jawa Barat credential is offered Jawa Barat only
    Select(browser.find_element(By.ID, "snapshot")).select_by_value("2026-10-17")
    click_and_wait(browser, browser.find_element(By.ID, "tampilkan"))  # the regencies of the province come with it
    Select(browser.find_element(By.ID, "kabupaten")).select_by_value("3201")
    browser.find_element(By.ID, "desil_sampai").clear()
    browser.find_element(By.ID, "desil_sampai").send_keys("5")
    click_and_wait(browser, browser.find_element(By.ID, "tampilkan"))

    rows = [r.text.split() for r in browser.find_elements(By.CSS_SELECTOR, "#per-desil tr")[1:-1]]
    assert rows == [["1", "1", "2"], ["5", "1", "1"]]  # October: KK1 in decile 1 (2 persons), KK2 in 5
    assert browser.find_element(By.ID, "jumlah").text == "2"
    villages = browser.find_elements(By.CSS_SELECTOR, "#per-desa tr")[1:]
    assert len(villages) == 1 and "3201012001" in villages[0].text
    Path(tmp_path / "halaman.png").write_bytes(browser.get_screenshot_as_png())
    if os.environ.get("DTSEN_SCREENSHOT"):  # to look at the page by hand
        shutil.copy(tmp_path / "halaman.png", os.environ["DTSEN_SCREENSHOT"])

    # The download link, with the browser's session: the same two families as CSV, tokens not KKs.
    link = browser.find_element(By.ID, "unduh").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    csv = httpx.get(link, cookies=cookies).text.splitlines()
    assert csv[0].startswith('"token_no_kk"') and len(csv) == 3 and KK_JABAR not in "".join(csv)
    assert httpx.get(link).status_code == 303  # without the session: to the login

    browser.get(server + "/keluar")
    browser.get(server + "/halaman")
    assert browser.current_url.rstrip("/") == server  # logged out: back to the login
