import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { CHART_DRAWN_EVENT, type ChartDrawnDetail } from "./chartDrawn";
import { formatTime } from "./format";
import type { Received } from "./liveSubscription";
import { addPoints, MAX_POINTS, numericFields, type Series, type SeriesByField } from "./numericSeries";

/** A field's chart on screen: the plot, and the caption that says its latest value in words. */
interface MountedChart {
  plot: uPlot;
  caption: HTMLElement;
}

export interface LiveChart {
  /** The numeric fields seen so far, in order: a chart each; none while no message carried a number. */
  fields: string[];
  /** Draws `field`'s series into `container` and keeps it drawn; returns what removes it. */
  mount(field: string, container: HTMLElement, caption: HTMLElement): () => void;
}

let loadingUPlot: Promise<typeof uPlot> | undefined;
/** uPlot, fetched once, at the first chart (its chunk is about 23 KiB gzipped). */
const loadUPlot = () => (loadingUPlot ??= import("./uPlotChunk").then((chunk) => chunk.default));

const COLOURS = ["#1f6feb", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490"];
const HEIGHT = 160;

/**
 * The Live panel's charts of `messages`: their numeric fields, one bounded series each
 * (numericSeries.ts). Points are added as messages arrive, but drawn once per animation frame
 * whatever the rate: at 100 msg/s that is one `setData` per chart per frame, not per message; in
 * a hidden tab (no frames) nothing piles up beyond the series' bounds. The log's messages
 * starting over (a new subscription) start the charts over.
 */
export function useLiveChart(messages: Received[]): LiveChart {
  const [fields, setFields] = useState<string[]>([]);
  const series = useRef<SeriesByField>(new Map());
  const charts = useRef(new Map<string, MountedChart>());
  /** Fields with points not drawn yet. */
  const touched = useRef(new Set<string>());
  /** Points not drawn yet, as the message's timestamp and a field it has a point in: what the frame reports drawn. */
  const undrawn = useRef<{ time: number; field: string }[]>([]);
  const lastTaken = useRef<Received | undefined>(undefined);
  const frame = useRef<number | undefined>(undefined);

  function draw() {
    frame.current = undefined;
    for (const name of touched.current) {
      const chart = charts.current.get(name);
      if (chart !== undefined) show(chart, name, series.current.get(name)!);
    }
    touched.current.clear();
    // A new field's points are drawn, and reported, when its chart mounts.
    announceDrawn(undrawn.current.filter(({ field }) => charts.current.has(field)).map(({ time }) => time));
    undrawn.current = [];
  }

  // Taken in right after the log renders (a layout effect): a plain effect would wait for the
  // next frame, and the drawing for the one after.
  useLayoutEffect(() => {
    if (messages.length === 0) {
      series.current = new Map();
      touched.current.clear();
      undrawn.current = [];
      lastTaken.current = undefined;
      setFields([]);
      return;
    }
    // The log only appends (and drops its oldest): what follows the last message taken is new.
    const from = lastTaken.current === undefined ? 0 : messages.lastIndexOf(lastTaken.current) + 1;
    let added = false;
    for (const { content, metadata } of messages.slice(from)) {
      const found = numericFields(content);
      if (addPoints(series.current, metadata.timestamp, found)) added = true;
      const plotted = found.filter(({ name }) => series.current.has(name)).map(({ name }) => name);
      plotted.forEach((name) => touched.current.add(name));
      if (plotted.length > 0) undrawn.current.push({ time: metadata.timestamp, field: plotted[0] });
    }
    if (undrawn.current.length > MAX_POINTS) undrawn.current.splice(0, undrawn.current.length - MAX_POINTS);
    lastTaken.current = messages[messages.length - 1];
    if (added) setFields([...series.current.keys()]);
    if (touched.current.size > 0) frame.current ??= requestAnimationFrame(draw);
  }, [messages]);

  useEffect(
    () => () => {
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );

  function mount(field: string, container: HTMLElement, caption: HTMLElement): () => void {
    let unmount: (() => void) | undefined;
    let gone = false;
    void loadUPlot().then((UPlot) => {
      if (gone) return;
      const points = series.current.get(field) ?? { times: [], values: [] };
      const colour = COLOURS[[...series.current.keys()].indexOf(field) % COLOURS.length];
      const plot = new UPlot(chartOptions(field, colour, container.clientWidth), [points.times, points.values], container);
      const chart = { plot, caption };
      charts.current.set(field, chart);
      show(chart, field, points);
      announceDrawn(points.times);
      const resized = new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: HEIGHT }));
      resized.observe(container);
      unmount = () => {
        resized.disconnect();
        charts.current.delete(field);
        plot.destroy();
      };
    });
    return () => {
      gone = true;
      unmount?.();
    };
  }

  return { fields, mount };
}

/** Redraws now (uPlot's batch skips its microtask) and says the latest value in the caption. */
function show({ plot, caption }: MountedChart, field: string, { times, values }: Series): void {
  plot.batch(() => plot.setData([times, values]));
  const last = values.length - 1;
  caption.textContent = last < 0 ? field : `${field}: latest ${values[last]} at ${formatTime(new Date(times[last]))} (${values.length} ${values.length === 1 ? "point" : "points"})`;
}

function chartOptions(field: string, colour: string, width: number): uPlot.Options {
  return {
    width: width || 600,
    height: HEIGHT,
    ms: 1, // message timestamps are in milliseconds
    legend: { show: false }, // a chart per field: its caption names it
    // uPlot's default points: drawn while they are sparse (a lone first point is visible), not once dense.
    series: [{}, { label: field, stroke: colour, width: 1.5 }],
  };
}

function announceDrawn(timestamps: number[]): void {
  if (timestamps.length > 0) document.dispatchEvent(new CustomEvent<ChartDrawnDetail>(CHART_DRAWN_EVENT, { detail: { timestamps } }));
}
