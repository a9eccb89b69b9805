// What the bench scripts print beside their figures.
import os from "node:os";

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

/** The `p`th percentile of `sorted` (ascending), nearest rank. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
