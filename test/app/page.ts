import path from "node:path";
import type { Page } from "playwright-core";

const SCREENSHOTS = process.env.KEYWAY_SCREENSHOTS === "1" ? path.resolve(__dirname, "..", "..", "docs", "images") : undefined;
/** `npm test` does not rewrite docs/images; `KEYWAY_SCREENSHOTS=1` does. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Polls `condition` until it holds; generous, because two cores are shared with many processes. */
export async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const button = (page: Page, name: string) => page.getByRole("button", { name, exact: true });
export const textbox = (page: Page, name: string) => page.getByRole("textbox", { name, exact: true });

/** Connects the page's injected wallet. */
export async function connect(page: Page): Promise<void> {
  await button(page, "Connect wallet").click();
  await page.getByText("Connected as").waitFor();
}

/** Connects the wallet and opens a stream by its id (on its Overview, or the tab named). */
export async function openStream(page: Page, streamId: string, tab?: "Overview" | "Access" | "Live"): Promise<void> {
  await connect(page);
  await textbox(page, "Stream id").fill(streamId);
  await button(page, "Open").click();
  await page.getByRole("heading", { name: `Stream ${streamId}` }).waitFor();
  if (tab !== undefined) await showTab(page, tab);
}

/** Shows one of the open stream's tabs ("Overview", "Access", "Live"). */
export async function showTab(page: Page, name: "Overview" | "Access" | "Live"): Promise<void> {
  await page.getByRole("tab", { name, exact: true }).click();
  await page.getByRole("tabpanel", { name, exact: true }).waitFor();
}

/** The permissions table's row of a holder, as the texts of its cells (holder first). */
export async function rowOf(page: Page, holder: string): Promise<string[] | undefined> {
  const rows = await page.getByRole("table").getByRole("row").all();
  for (const row of rows) {
    const cells = await row.getByRole("rowheader").or(row.getByRole("cell")).allInnerTexts();
    if (cells[0]?.trim().toLowerCase() === holder.toLowerCase()) return cells.map((c) => c.trim());
  }
  return undefined;
}

/** Waits for the newest transaction in the log to be confirmed, failed or refused by its simulation; returns its line. */
export async function settledTransaction(page: Page): Promise<string> {
  const newest = page.getByRole("log", { name: "Transactions" }).getByRole("listitem").first();
  await until(async () => /: (confirmed|failed|not sent)/.test((await newest.innerText().catch(() => "")) ?? ""), "the transaction to settle");
  return newest.innerText();
}
