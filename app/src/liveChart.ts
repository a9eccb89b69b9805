import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { CHART_DRAWN_EVENT, type ChartDrawnDetail } from "./chartDrawn";
import { formatTime } from "./format";
import type { Received } from "./liveSubscription";
import { addPoints, numericFields, type Series, type SeriesByField } from "./numericSeries";

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

const COLOURS = ["#1f6feb", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490"];
const HEIGHT = 160;

/**
 * The Live panel's charts of `messages`: their numeric fields, one bounded series each
 * (numericSeries.ts). Messages are taken in as they arrive but drawn once per animation frame,
 * whatever the rate: at 100 msg/s that is one `setData` per chart per frame, not per message.
 * The log's messages starting over (a new subscription) start the charts over.
 */
export function useLiveChart(messages: Received[]): LiveChart {
  const [fields, setFields] = useState<string[]>([]);
  const series = useRef<SeriesByField>(new Map());
  const charts = useRef(new Map<string, MountedChart>());
  const pending = useRef<Received[]>([]);
  const lastTaken = useRef<Received | undefined>(undefined);
  const frame = useRef<number | undefined>(undefined);

  function draw() {
    frame.current = undefined;
    const drawn = pending.current;
    pending.current = [];
    const touched = new Set<string>();
    const drawnTimes: number[] = [];
    let added = false;
    for (const { content, metadata } of drawn) {
      const found = numericFields(content);
      if (addPoints(series.current, metadata.timestamp, found)) added = true;
      for (const { name } of found) touched.add(name);
      if (found.some(({ name }) => charts.current.has(name))) drawnTimes.push(metadata.timestamp);
    }
    // A new field's chart draws when it mounts.
    if (added) setFields([...series.current.keys()]);
    for (const name of touched) {
      const chart = charts.current.get(name);
      if (chart !== undefined) show(chart, name, series.current.get(name)!);
    }
    announceDrawn(drawnTimes);
  }

  useEffect(() => {
    if (messages.length === 0) {
      series.current = new Map();
      pending.current = [];
      lastTaken.current = undefined;
      setFields([]);
      return;
    }
    // The log only appends (and drops its oldest): what follows the last message taken is new.
    const from = lastTaken.current === undefined ? 0 : messages.lastIndexOf(lastTaken.current) + 1;
    pending.current.push(...messages.slice(from));
    lastTaken.current = messages[messages.length - 1];
    frame.current ??= requestAnimationFrame(draw);
  }, [messages]);

  useEffect(
    () => () => {
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );

  function mount(field: string, container: HTMLElement, caption: HTMLElement): () => void {
    const points = series.current.get(field) ?? { times: [], values: [] };
    const colour = COLOURS[[...series.current.keys()].indexOf(field) % COLOURS.length];
    const plot = new uPlot(chartOptions(field, colour, container.clientWidth), [points.times, points.values], container);
    const chart = { plot, caption };
    charts.current.set(field, chart);
    show(chart, field, points);
    announceDrawn(points.times);
    const resized = new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: HEIGHT }));
    resized.observe(container);
    return () => {
      resized.disconnect();
      charts.current.delete(field);
      plot.destroy();
    };
  }

  return { fields, mount };
}

/** Redraws now (uPlot's batch skips its microtask) and says the latest value in the caption. */
function show({ plot, caption }: MountedChart, field: string, { times, values }: Series): void {
  plot.batch(() => plot.setData([times, values]));
  const last = values.length - 1;
  caption.textContent = last < 0 ? field : `${field}: latest ${values[last]} at ${formatTime(new Date(times[last]))} (${values.length} points)`;
}

function chartOptions(field: string, colour: string, width: number): uPlot.Options {
  return {
    width: width || 600,
    height: HEIGHT,
    ms: 1, // message timestamps are in milliseconds
    legend: { show: false }, // a chart per field: its caption names it
    series: [{}, { label: field, stroke: colour, width: 1.5, points: { show: false } }],
  };
}

function announceDrawn(timestamps: number[]): void {
  if (timestamps.length > 0) document.dispatchEvent(new CustomEvent<ChartDrawnDetail>(CHART_DRAWN_EVENT, { detail: { timestamps } }));
}
