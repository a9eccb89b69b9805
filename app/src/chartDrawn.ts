/**
 * The event the Live charts dispatch on `document` for each frame they draw, with the timestamps
 * (ms) of the messages whose points that frame drew: free when nobody listens, and what
 * `npm run bench:app` times (a leaf module, so the bench imports it without the page's code).
 */
export const CHART_DRAWN_EVENT = "keyway:chart-drawn";

export interface ChartDrawnDetail {
  timestamps: number[];
}
