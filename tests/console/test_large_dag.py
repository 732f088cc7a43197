"""A 50-step DAG stays legible (issue 11): no two boxes overlap, the text keeps its size
(the drawing scrolls in its own box instead of shrinking), at 1280 px and at 390 px."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.console.conftest import DESKTOP, PHONE, Console
from tests.console.test_pages import no_sideways_scroll

WIDTH = 12  # 1 + 4 rows of 12 + 1 = 50 steps


def fifty_steps() -> dict[str, object]:
    """A fan-out, crossing edges, edges that skip a layer, guards, and a fan-in."""
    request = {"request": {"url": "http://127.0.0.1:9/unused"}}
    steps: dict[str, object] = {"start": request}
    for i in range(WIDTH):
        steps[f"fetch_{i:02}"] = {"after": ["start"], **request}
    for i in range(WIDTH):
        steps[f"approve_{i:02}"] = {"after": [f"fetch_{i:02}", f"fetch_{(i + 5) % WIDTH:02}"],
                                    "wait": {"signal": f"approve-{i}"}}
    for i in range(WIDTH):
        steps[f"charge_{i:02}"] = {"after": [f"approve_{i:02}"], **request,
                                   **({"when": f"steps.approve_{i:02}.signal.body.ok == true"} if i % 3 == 0 else {})}
    for i in range(WIDTH):
        steps[f"notify_{i:02}"] = {"after": [f"charge_{i:02}", f"fetch_{i:02}"], **request}
    steps["finish"] = {"after": [f"notify_{i:02}" for i in range(WIDTH)], "respond": {"body": "done"}}
    assert len(steps) == 50
    return {"name": "fifty", "steps": steps}


OVERLAPS = """() => {
    const boxes = [...document.querySelectorAll("svg.dag g.node rect")].map((r) => r.getBoundingClientRect());
    const hits = [];
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) hits.push([a, b]);
    }));
    return hits.length;
}"""


async def test_fifty_steps_are_drawn_legibly_at_both_widths(console: Console, screenshots: Path) -> None:
    page, live = console.page, console.live
    async with httpx.AsyncClient(base_url=live.url, headers={"Dispatched-Session": live.token}) as http:
        answer = await http.put("/api/workflows/fifty", content=json.dumps(fifty_steps()))
        assert answer.status_code == 200, answer.text
    await console.sign_in(live.token, "/workflows/fifty")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)
        await page.reload()
        await expect(page.locator("svg.dag g.node")).to_have_count(50)
        assert await page.evaluate(OVERLAPS) == 0
        sizes = await page.evaluate(
            '[...document.querySelectorAll("svg.dag .node-id")].map((t) => t.getBoundingClientRect().height)'
        )
        assert min(sizes) >= 12, "the step names shrank"  # 13 px text, drawn at its own size
        await no_sideways_scroll(page)
        box = await page.evaluate('(() => { const b = document.querySelector("#dag"); return [b.scrollWidth, b.clientWidth]; })()')
        assert box[0] > box[1], "12 boxes side by side are wider than the page: their own box scrolls"
        await page.locator("#dag").screenshot(path=screenshots / f"workflow-50-steps-{size}.png", animations="disabled")
    console.assert_clean()
