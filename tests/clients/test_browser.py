"""In Chromium: a dashboard on another origin calls the API with fetch (CORS), and GraphiQL
works with no network but the server itself."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.portal.conftest import ARTIFACTS

FETCH = """async ([url, token]) => {
  try {
    const response = await fetch(url + "/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    });
    return { status: response.status, body: await response.json() };
  } catch (e) {
    return { error: String(e) };
  }
}"""


async def test_a_dashboard_on_a_listed_origin_calls_the_api_with_fetch(
    browser, other_origin, api_server, operator_token
):
    # given the API listing the dashboard's origin, and the dashboard's page open
    api = await api_server(GATEHOUSE_ALLOWED_ORIGINS=[other_origin.origin])
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(other_origin.origin + "/")

    # when its script calls the API with a bearer token (a preflighted request)
    result = await page.evaluate(FETCH, [api, operator_token])

    # then the browser lets it read the answer
    assert result == {"status": 200, "body": {"data": {"viewer": {"kind": "OPERATOR"}}}}
    await context.close()


async def test_a_page_on_an_unlisted_origin_cannot_call_the_api(
    browser, other_origin, api_server, operator_token
):
    # given the API listing some other origin only
    api = await api_server(GATEHOUSE_ALLOWED_ORIGINS=["https://dash.example.com"])
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(other_origin.origin + "/")

    # when the page's script calls the API
    result = await page.evaluate(FETCH, [api, operator_token])

    # then the browser refuses it: the script sees a network error, never the answer
    assert "error" in result
    assert "Failed to fetch" in result["error"]
    await context.close()


async def test_graphiql_runs_offline_from_the_servers_own_files(
    browser, api_server, operator_token
):
    # given the API with its IDE on, and a browser that can reach nothing but the API
    api = await api_server(GATEHOUSE_GRAPHQL_IDE=True)
    host = urlsplit(api).netloc
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    blocked: list[str] = []

    async def only_the_api(route) -> None:
        if urlsplit(route.request.url).netloc == host:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_api)
    page = await context.new_page()
    page.set_default_timeout(20_000)

    # when GraphiQL opens and runs a query with the operator's key
    await page.goto(api + "/graphql")
    await page.wait_for_selector(".graphiql-container")
    await page.evaluate(
        """token => localStorage.setItem("graphiql:headers",
        JSON.stringify({Authorization: "Bearer " + token}))""",
        operator_token,
    )
    await page.reload()
    await page.wait_for_selector(".graphiql-container")
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    await editor.click()
    await page.evaluate(
        """() => document.querySelector(".graphiql-query-editor .CodeMirror")
        .CodeMirror.setValue("{ viewer { kind } }")"""
    )
    await page.locator(".graphiql-execute-button").click()
    await page.wait_for_function(
        """() => document.querySelector(".result-window")?.innerText.includes("OPERATOR")"""
    )

    # then it ran, and nothing was fetched from anywhere else
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "graphiql-offline.png"))
    assert blocked == []
    await context.close()
