import { expect } from "chai";
import type { Page } from "playwright-core";
import { type KeywayClient, StreamPermission } from "../../sdk";
import { startAppStack, type AppStack } from "./harness";
import { button, openStream, screenshot } from "./page";

const liveMessages = (page: Page) => page.getByRole("log", { name: "Live messages" }).getByRole("listitem");
const charts = (page: Page) => page.getByRole("img", { name: /^Live chart of / });
const chartOf = (page: Page, field: string) => page.getByRole("img", { name: `Live chart of ${field}`, exact: true });

/** Resolves after the page drew two more animation frames: the charts draw once per frame. */
const nextFrames = (page: Page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

/** Waits until the page's log shows `count` messages. */
async function logShows(page: Page, count: number): Promise<void> {
  await liveMessages(page).nth(count - 1).waitFor();
  expect(await liveMessages(page).count()).to.equal(count);
}

describe("the dApp's live chart of numeric fields (Chromium)", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let owner: KeywayClient;
  let page: Page;
  let sensors: string;

  /** A stream of the owner (#0) that #1 may subscribe to, open and subscribed in #1's page. */
  async function watchNewStream(path: string): Promise<string> {
    const { id } = await owner.createStream(path);
    await owner.grantPermissions(id, { userId: stack.accounts[1].account.address, permissions: [StreamPermission.SUBSCRIBE] });
    await page?.context().close();
    page = await stack.openApp(1);
    await openStream(page, id, "Live");
    await button(page, "Subscribe").click();
    await page.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();
    return id;
  }

  before(async function () {
    stack = await startAppStack();
    owner = stack.clientOf(0);
  });

  after(async function () {
    await page?.context().close().catch(() => undefined);
    await stack?.stop();
  });

  it("plots a stream's numbers live, in a chart named after the field, with the log beside it", async function () {
    sensors = await watchNewStream("/sensors/chart");
    // A dozen readings, so the chart (and docs/images/chart.png) has a curve.
    const temperatures = Array.from({ length: 12 }, (_, i) => Math.round((21 + 2 * Math.sin(i / 2)) * 100) / 100);
    for (const temperature of temperatures) await owner.publish(sensors, { temperature, unit: "C" });

    const chart = page.getByRole("img", { name: /Live chart of temperature/ });
    await chart.waitFor();
    await logShows(page, 12);
    expect(await liveMessages(page).last().innerText()).to.include(`{"temperature":${temperatures[11]},"unit":"C"}`);
    expect(await charts(page).count()).to.equal(1);
    // The chart is an image with a name, described by its latest value in words.
    const description = page.locator(`#${await chart.getAttribute("aria-describedby")}`);
    await description.filter({ hasText: "(12 points)" }).waitFor();
    expect(await description.innerText()).to.match(new RegExp(`^temperature: latest ${temperatures[11]} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(12 points\\)$`));
    expect(await chart.locator("canvas").count()).to.be.greaterThan(0);
    await screenshot(page, "chart");
  });

  it("charts mixed content: a chart per numeric field (one level down too), text in the log only", async function () {
    await owner.publish(sensors, "just text");
    await owner.publish(sensors, { humidity: 40, wind: { speed: 3, direction: "N" }, label: "gust" });
    await owner.publish(sensors, { temperature: 23, note: "warmer" });

    await logShows(page, 15);
    for (const field of ["temperature", "humidity", "wind.speed"]) await chartOf(page, field).waitFor();
    await nextFrames(page);
    expect(await charts(page).evaluateAll((found) => found.map((chart) => chart.getAttribute("aria-label")))).to.deep.equal([
      "Live chart of temperature",
      "Live chart of humidity",
      "Live chart of wind.speed",
    ]);
    expect(await liveMessages(page).nth(12).textContent()).to.include("just text");
    const temperature = page.locator(`#${await chartOf(page, "temperature").getAttribute("aria-describedby")}`);
    await temperature.filter({ hasText: "(13 points)" }).waitFor();
    expect(await temperature.innerText()).to.match(/^temperature: latest 23 at .* \(13 points\)$/);
  });

  it("shows the log only, and no chart (nor the chart's code), for a stream whose messages carry no numbers", async function () {
    const streamId = await watchNewStream("/notes/plain");
    const chartCode: string[] = [];
    page.on("request", (request) => void (request.url().includes("uPlotChunk") && chartCode.push(request.url())));
    await owner.publish(streamId, "hello");
    await owner.publish(streamId, { label: "no numbers here", flag: true, list: [1, 2, 3], deep: { deeper: { n: 1 } } });

    await logShows(page, 2);
    await nextFrames(page);
    expect(await charts(page).count()).to.equal(0);
    expect(await page.locator("canvas").count()).to.equal(0);
    expect(chartCode, "uPlot is fetched only for a chart").to.deep.equal([]);
  });

  it("starts the charts over with a new subscription", async function () {
    const streamId = await watchNewStream("/sensors/restart");
    await owner.publish(streamId, { temperature: 1 });
    await chartOf(page, "temperature").waitFor();
    await button(page, "Unsubscribe").click();
    await button(page, "Subscribe").click();
    await page.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();
    await charts(page).first().waitFor({ state: "detached" });
    await owner.publish(streamId, { pressure: 1013 });
    await chartOf(page, "pressure").waitFor();
    expect(await charts(page).count()).to.equal(1);
  });
});
