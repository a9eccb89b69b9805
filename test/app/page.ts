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

/** Connects the wallet and opens a stream by its id. */
export async function openStream(page: Page, streamId: string): Promise<void> {
  await connect(page);
  await textbox(page, "Stream id").fill(streamId);
  await button(page, "Open").click();
  await page.getByRole("heading", { name: `Stream ${streamId}` }).waitFor();
}
