import type { AxeResults, Result } from "axe-core";
import type { Page } from "playwright-core";

/** axe-core's browser build, from node_modules (no CDN). */
const AXE = require.resolve("axe-core/axe.min.js");

/** The impacts a screen may not have. */
const BLOCKING = ["serious", "critical"];

/**
 * Runs axe-core in the page (injected from node_modules) over what is shown now, and returns
 * its serious and critical violations, one line each ("color-contrast (serious): … at .muted").
 *
 * @example
 * expect(await seriousViolations(page), "home").to.deep.equal([]);
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const results = (await page.evaluate(() => (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run())) as AxeResults;
  return results.violations.filter((v: Result) => BLOCKING.includes(v.impact ?? "")).map(describe);
}

function describe(violation: Result): string {
  const where = violation.nodes.map((node) => node.target.join(" ")).join(", ");
  return `${violation.id} (${violation.impact}): ${violation.help} at ${where}`;
}
