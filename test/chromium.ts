import { systemBinary } from "../scripts/systemBinaries";

/**
 * How the tests launch Chromium through playwright-core: the system's browser, headless, without
 * the background traffic a closed network refuses. playwright gives every launch a fresh
 * temporary --user-data-dir.
 */
export function chromiumLaunchOptions() {
  return {
    executablePath: systemBinary("chromium"),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  };
}
